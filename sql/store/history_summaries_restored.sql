-- Mark the restored summary tables current (history.restore, when they were kept current with the set).
-- Grain: one store_meta row. Units: value the line count, as text.
-- Parameters: $key varchar, store.SUMMARY_KEY; $value varchar, the restored set's line count.
insert or replace into store_meta values ($key, $value)
