-- sync (runs in DuckDB, on the store): the loads that make up the current data set, i.e. since the last
-- replace or full sync, oldest first. The sync is incremental only when every one is a sync of this table
-- (and the table still holds, up to the watermark, the lines they read: synced_lines.sql).
-- Grain: one row per load.
with final as (
    select kind, source, watermark
    from load_log
    where load_id >= coalesce((select max(load_id) from load_log where mode in ('replace', 'full')), 0)
    order by load_id
)

select * from final
