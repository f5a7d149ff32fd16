-- The default reference date ("today" for recency) of a saved segment's window: RFM's
-- (sql/analytics/rfm_base.sql `reference`), the day after the last line in the window's dates, any country
-- or product. Grain: one row. Units: reference_at a timestamp at midnight (null: no line in the dates).
-- Parameters: $start, $end_excl (the window's dates). Reads `invoice_summary`, as rfm_base does.
with final as (
    select cast(cast(max(invoice_date) as date) + 1 as timestamp) as reference_at
    from invoice_summary
    where invoice_date >= $start
        and invoice_date < $end_excl
)

select * from final
