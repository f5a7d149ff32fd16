-- The first and last load id of the current data set, i.e. since the last replace (lgs_core.store.history).
-- Grain: one row (both null when no load is logged). Units: load ids. Parameters: none.
select min(load_id), max(load_id) from load_log
where load_id >= coalesce((select max(load_id) from load_log where mode in ('replace', 'full')), 0)
