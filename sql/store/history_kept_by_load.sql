-- The kept set that load $load_id replaced, if it is kept (history.kept_by_load): the replacing load is the
-- first load logged after the kept set's last one.
-- Grain: at most one row. Units: a kept id and its description. Parameters: $load_id integer.
select kept_id, description from kept_sets k
where (select min(load_id) from load_log where load_id > coalesce(k.last_load_id, -1)) = $load_id
order by kept_id desc limit 1
