-- Record one kept data set (history.keep_current, in the replace's transaction).
-- Grain: one kept_sets row. Units: kept_at and the invoice dates timestamps (local); counts of lines.
-- Parameters: $kept_id integer; $kept_at timestamp; $first, $last the set's first and last load id (null:
-- none logged); $lines, $quarantined bigint; $first_date, $last_date timestamps; $description varchar;
-- $summaries varchar, 'KEY=lines' when its summaries were current (null: they were not).
insert into kept_sets values ($kept_id, $kept_at, $first, $last, $lines, $quarantined,
                              $first_date, $last_date, $description, $summaries)
