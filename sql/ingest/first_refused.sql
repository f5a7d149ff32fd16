-- The first refused line of a reason in temp table `validated` (its sheet and row), which the one-line error
-- of a load that loads nothing names (lgs_core.sources.ingest._nothing_loaded).
-- Grain: one row (none when no line has the reason). Parameters: $reason.
with final as (
    select sheet, source_row
    from validated
    where reason = $reason
    order by sheet nulls first, source_row
    limit 1
)

select * from final
