-- Invoice amounts (DOMAIN.md §2.1): amount = Σ quantity × price over the invoice's lines in the window.
-- Grain: one row per invoice with a line in the window. Units: amount in pounds (exact DECIMAL).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only).
-- Reads `invoice_summary` (sql/store/summaries.sql): the window keeps whole summary rows, so the sums over
-- them are the sums over the window's lines.
-- The statistics (amount > 0, the 85th-percentile trim) are computed from these rows in lgs_core.analytics.
with windowed as (
    select *
    from invoice_summary
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
),

final as (
    select
        invoice,
        min(invoice_date) as invoice_date,
        min(customer_id) as customer_id,
        min(country) as country,
        bool_or(is_cancellation) as is_cancellation,
        bool_or(is_adjustment) as is_adjustment,
        cast(sum(lines) as bigint) as lines,
        sum(amount) as amount
    from windowed
    group by invoice
)

select * from final
