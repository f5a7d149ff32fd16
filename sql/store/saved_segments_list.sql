-- Every saved segment (the table of sql/store/saved_segments.sql), by name ignoring case, then exactly.
-- Grain: one row per saved segment. Units: rule the JSON of a segment rule; times local; updated_by a name.
-- Parameters: none.
with final as (
    select name, rule, created_at, updated_at, updated_by
    from saved_segments
)

select * from final
order by lower(name), name
