-- The next kept set's id (history.keep_current).
-- Grain: one row. Units: an integer from kept_id_seq (sql/store/schema.sql). Parameters: none.
select nextval('kept_id_seq')
