-- The store file's block size (history._block_size; an in-memory database reports 0).
-- Grain: one row. Units: bytes. Parameters: none.
select block_size from pragma_database_size() where database_name = current_database()
