-- The next load id (store.next_load_id): one per load, demo generation, sync or restore, and per relogged load.
-- Grain: one row. Units: an integer from load_id_seq (sql/store/schema.sql). Parameters: none.
select nextval('load_id_seq')
