-- Whether the summary tables were built from the lines now in the store (store.summaries_are_current).
-- Grain: one row. Units: a boolean (null: never built). Parameters: $key varchar, store.SUMMARY_KEY.
select (select value from store_meta where key = $key) = cast((select count(*) from lines) as varchar)
