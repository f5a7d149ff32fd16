-- Every kept set's id, newest first (history.prune_kept).
-- Grain: one row per kept set. Units: kept ids. Parameters: none.
select kept_id from kept_sets order by kept_id desc
