-- The kept data sets, newest first, with who replaced each and with what (history.kept_sets): the load
-- that replaced a set is the first one logged after the set's last load.
-- Grain: one row per kept set. Units: kept_at and the invoice dates timestamps (local); counts of lines;
-- replaced_by the load log's loaded_by, replaced_with its source (null: not logged). Parameters: none.
select k.kept_id, k.kept_at, k.description, k.lines, k.quarantined, k.first_date, k.last_date,
       (select l.loaded_by from load_log l where l.load_id > coalesce(k.last_load_id, -1)
        order by l.load_id limit 1) as replaced_by,
       (select l.source from load_log l where l.load_id > coalesce(k.last_load_id, -1)
        order by l.load_id limit 1) as replaced_with
from kept_sets k
order by k.kept_id desc
