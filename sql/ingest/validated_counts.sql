-- What one validated chunk holds: the lines that load, and the refused ones per reason (the load's counts;
-- lgs_core.sources.ingest.write_validated). Grain: one row per reason, and one with reason null (the lines
-- that load). Units: lines. Parameters: none.
with final as (
    select reason, count(*) as lines
    from validated
    group by reason
)

select * from final
order by reason nulls first
