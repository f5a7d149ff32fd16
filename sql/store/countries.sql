-- Every country the store holds a line of: a report's --country is checked against these (lgs_core.report).
-- Grain: one row per country. Units: the country's name as loaded. Parameters: none.
with final as (
    select distinct country
    from lines
)

select * from final
