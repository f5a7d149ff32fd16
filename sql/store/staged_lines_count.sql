-- How many lines the relation `staged_lines` holds: what store.insert_staged_lines checks the disk for.
-- Grain: one row. Units: a count of lines. Parameters: none.
select count(*) from staged_lines
