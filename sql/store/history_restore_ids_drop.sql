-- Drop the temporary map of sql/store/history_restore_ids_table.sql (history._relog_loads, always).
-- Grain: the table restore_ids. Parameters: none.
drop table if exists restore_ids
