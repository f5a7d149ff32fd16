-- The file the connection's current database is (lgs_core.store.store._database_path): where its disk is.
-- Grain: one row (path null for an in-memory database). Units: path a file path. Parameters: none.
select path from duckdb_databases() where database_name = current_database()
