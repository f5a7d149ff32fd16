-- Whether the summary tables are current, and how many of their names a temporary view shadows on this
-- connection (lgs_core.store.read_summaries): one small query before every query that reads a summary.
-- Grain: one row. Units: current a boolean (null: never built), shadowed a count of temporary views (0-2).
-- $key: store_meta's freshness key (store.SUMMARY_KEY); $first, $second: the summary tables' names.
select
    (select value from store_meta where key = $key) = cast((select count(*) from lines) as varchar) as current,
    (select count(*) from duckdb_views() where temporary and view_name in ($first, $second)) as shadowed
