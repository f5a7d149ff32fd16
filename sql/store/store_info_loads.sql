-- The loads of the current data set, i.e. since the last replace (store.store_info), oldest first.
-- Grain: one row per load. Units: loaded_at text 'YYYY-MM-DD HH:MM:SS' (local); row counts.
-- Parameters: none.
select load_id, kind, source, mode, strftime(loaded_at, '%Y-%m-%d %H:%M:%S') as loaded_at,
       rows_read, rows_loaded, rows_quarantined, fingerprint
from load_log
where load_id >= coalesce((select max(load_id) from load_log where mode in ('replace', 'full')), 0)
order by load_id
