-- Mark the summary tables stale: remove store_meta's freshness key (store._mark_summaries_stale,
-- history.keep_current). Grain: at most one store_meta row. Parameters: $key varchar, store.SUMMARY_KEY.
delete from store_meta where key = $key
