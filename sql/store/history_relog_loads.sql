-- The restored set's loads logged again under their new ids (history._relog_loads), in the new ids' order.
-- Grain: one load_log row per row of restore_ids. Parameters: none (the map is table restore_ids).
insert into load_log by name
select l.* replace (m.new_id as load_id) from load_log l join restore_ids m on l.load_id = m.old_id
order by m.new_id
