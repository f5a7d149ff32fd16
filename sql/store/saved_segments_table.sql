-- Whether the saved_segments table exists: a store that never saved a segment (or is read-only) has none.
-- Grain: one row. Units: found a count, 0 or 1. Parameters: none.
with final as (
    select count(*) as found
    from duckdb_tables()
    where schema_name = 'main' and table_name = 'saved_segments'
)

select * from final
