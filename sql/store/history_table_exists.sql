-- Whether the store's main schema holds table $name (history: kept tables, summaries, kept_sets).
-- Grain: one row. Units: a count, 0 or 1. Parameters: $name varchar, the table's name.
select count(*) from duckdb_tables() where database_name = current_database()
and schema_name = 'main' and table_name = $name
