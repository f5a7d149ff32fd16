-- Mark the summary tables current: store_meta's freshness key holds the number of lines they were built
-- from (store.refresh_summaries). Grain: one store_meta row. Units: value the line count, as text.
-- Parameters: $key varchar, store.SUMMARY_KEY.
insert or replace into store_meta select $key, cast(count(*) as varchar) from lines
