-- Remove kept set $id from kept_sets (history: dropped by the limits, or restored).
-- Grain: at most one kept_sets row. Parameters: $id integer, the kept id.
delete from kept_sets where kept_id = $id
