-- The temporary map from a restored set's old load ids to their new ones (history._relog_loads).
-- Grain: one row per relogged load (filled by sql/store/history_restore_ids_insert.sql). Parameters: none.
create or replace temp table restore_ids (old_id integer, new_id integer)
