-- sync: the table's columns (none of its rows), to map them to the canonical ones before reading.
-- Grain: zero rows; the cursor's description carries the column names. {table}: an Identifier.
select * from {table} limit 0
