-- The saved segment called $name, ignoring case (the caller strips surrounding spaces).
-- Grain: at most one row (names are unique ignoring case). Units: as sql/store/saved_segments_list.sql.
-- Parameters: $name varchar.
with final as (
    select name, rule, created_at, updated_at, updated_by
    from saved_segments
    where lower(name) = lower($name)
)

select * from final
