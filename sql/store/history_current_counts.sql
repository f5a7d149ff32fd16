-- How many lines and quarantined lines the current data set holds (history.describe_current).
-- Grain: one row. Units: counts of lines. Parameters: none.
select (select count(*) from lines), (select count(*) from quarantine)
