-- Totals of the window: the figures every other query must reconcile with (STYLE.md "data contracts").
-- Grain: one row. Units: counts; sales in pounds (exact DECIMAL, cancellations subtract: DOMAIN.md §2.3).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only).
-- Reads `invoice_summary` (sql/store/summaries.sql): lines = Σ of its rows' line counts.
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
        cast(coalesce(sum(lines), 0) as bigint) as lines,
        count(distinct invoice) as invoices,
        count(distinct invoice) filter (where is_cancellation) as canceled,
        count(distinct invoice) filter (where not is_cancellation) as not_canceled,
        count(distinct customer_id) as customers,
        count(distinct country) as countries,
        coalesce(sum(amount), 0) as sales,
        min(invoice_date) as first_line_at,
        max(invoice_date) as last_line_at
    from windowed
)

select * from final
