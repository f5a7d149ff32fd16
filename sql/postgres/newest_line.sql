-- The push-down engine's data version (an export's manifest): the table's newest invoice date, by its index.
-- Grain: one row (null when the table is empty). {table}: an Identifier.
select max(invoice_date) from {table}
