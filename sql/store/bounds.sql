-- The store's first and last invoice date: where an open-ended window starts and ends (lgs_core.query.window).
-- Grain: one row (both null when the store holds no line). Units: timestamps, local UK time.
-- Parameters: none.
with final as (
    select min(invoice_date) as first_line_at, max(invoice_date) as last_line_at
    from lines
)

select * from final
