-- One pair of the map sql/store/history_restore_ids_table.sql creates (history._relog_loads, executemany).
-- Grain: one restore_ids row per pair. Units: load ids.
-- Parameters: two positional ones, the old load id and the new one (executemany binds a list of pairs).
insert into restore_ids values (?, ?)
