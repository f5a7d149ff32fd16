-- Per ISO week: did the shop trade at all, and what were the orders placed worth (the report's AOV).
-- Grain: one row per ISO week (week_start, the Monday) with a line in the store in [$start, $end_excl).
-- Units: store_lines counts lines of the whole store, whatever the window's countries or products: a week
-- without one is a closure (Christmas) or missing data, never a dip. order_value is in pounds (exact
-- DECIMAL): Σ quantity × price over the window's lines of non-cancellation invoices, i.e. orders as placed,
-- before refunds (cancellations are the report's cancellation rate).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only).
with store_weeks as (
    select
        cast(date_trunc('week', invoice_date) as date) as week_start,
        count(*) as store_lines
    from lines
    where invoice_date >= $start
        and invoice_date < $end_excl
    group by 1
),

window_weeks as (
    select
        cast(date_trunc('week', invoice_date) as date) as week_start,
        coalesce(sum(line_amount) filter (where not is_cancellation), 0) as order_value
    from lines
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
    group by 1
),

final as (
    select
        sw.week_start,
        cast(sw.store_lines as bigint) as store_lines,
        coalesce(ww.order_value, 0) as order_value
    from store_weeks as sw
    left join window_weeks as ww on sw.week_start = ww.week_start
)

select * from final
