-- Whether a load with this fingerprint is part of the current data set, i.e. since the last replace
-- (store.fingerprint_is_loaded: the append check). Grain: one row. Units: a count of loads.
-- Parameters: $fp varchar, the sha256 fingerprint.
select count(*) from load_log
where fingerprint = $fp
  and load_id >= coalesce(
      (select max(load_id) from load_log where mode in ('replace', 'full')), 0)
