-- Kept set $id, as history.restore needs it.
-- Grain: at most one row. Units: counts of lines; its first and last load id (null: none logged);
-- summaries 'KEY=lines' when its summaries were kept current (null: not). Parameters: $id integer.
select description, lines, quarantined, first_load_id, last_load_id, summaries
from kept_sets where kept_id = $id
