-- Why input lines were refused: the Data page's quarantine summary.
-- Grain: one row per reason in the store's quarantine. Units: lines are counts.
-- No parameters: the quarantine belongs to the current data set, not to a window.
with final as (
    select
        reason,
        cast(count(*) as bigint) as lines,
        min(source) as first_source,
        min(source_row) as first_row
    from quarantine
    group by reason
)

select * from final
