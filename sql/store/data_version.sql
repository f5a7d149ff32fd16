-- The data set's version (store.data_version: caches key on it): the newest load id and the number of loads.
-- Grain: one row. Units: a load id (0: no load yet) and a count. Parameters: none.
select coalesce(max(load_id), 0), count(*) from load_log
