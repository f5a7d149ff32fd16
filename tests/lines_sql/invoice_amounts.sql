-- Reference for tests/test_summaries.py: sql/analytics/invoice_amounts.sql as it read `lines` before the invoice summary
-- (issue #3). The summary-based query must give exactly these rows on any store and window.
-- Invoice amounts (DOMAIN.md §2.1): amount = Σ quantity × price over the invoice's lines in the window.
-- Grain: one row per invoice with a line in the window. Units: amount in pounds (exact DECIMAL).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only).
-- The statistics (amount > 0, the 85th-percentile trim) are computed from these rows in lgs_core.analytics.
with windowed as (
    select *
    from lines
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country in (select unnest(cast($countries as varchar[]))))
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
        count(*) as lines,
        sum(line_amount) as amount
    from windowed
    group by invoice
)

select * from final
