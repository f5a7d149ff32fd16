-- Whether load_log has its loaded_by column (a store from before issue #16, opened read-only, has none).
-- Grain: one row. Units: a count, 0 or 1. Parameters: none.
select count(*) from duckdb_columns() where database_name = current_database()
and table_name = 'load_log' and column_name = 'loaded_by'
