-- The ids of the loads between $a and $b, oldest first (history._relog_loads: the restored set's loads).
-- Grain: one row per load. Units: load ids. Parameters: $a, $b integer, the first and last load id.
select load_id from load_log where load_id between $a and $b order by load_id
