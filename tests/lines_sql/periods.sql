-- Reference for tests/test_summaries.py: sql/analytics/periods.sql as it read `lines` before the invoice summary
-- (issue #3). The summary-based query must give exactly these rows on any store and window.
-- Sales, orders and customers per calendar month or ISO week (DOMAIN.md §2.2–2.6).
-- Grain: one row per period from the first to the last period with a line in the window; a period in
-- between without lines is a row of zeros (so growth compares neighbours, never across a gap).
-- Units: invoices and customers are counts; sales in pounds (exact DECIMAL); growth_pct in percent.
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only);
-- $period ('month' | 'week': ISO weeks start on Monday) and $step (interval text: '1 month' | '7 days');
-- $classic: placed = invoices − 2 × canceled and growth over the signed previous sales (the notebook's),
-- else placed = non-cancellation invoices and growth over the size of the previous sales.
-- A customer is new in the period holding their first line in the whole store (any date, country, stock
-- code): the window chooses which periods are shown, not who is new.
with windowed as (
    select
        invoice,
        customer_id,
        is_cancellation,
        line_amount,
        cast(date_trunc($period, invoice_date) as date) as period_start
    from lines
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country in (select unnest(cast($countries as varchar[]))))
        and (not $products_only or is_product)
),

first_lines as (
    select
        customer_id,
        cast(date_trunc($period, min(invoice_date)) as date) as first_period
    from lines
    where customer_id is not null
    group by customer_id
),

per_period as (
    select
        period_start,
        count(distinct invoice) as invoices,
        count(distinct invoice) filter (where is_cancellation) as canceled,
        count(distinct invoice) filter (where not is_cancellation) as not_canceled,
        sum(line_amount) as sales
    from windowed
    group by period_start
),

period_customers as (
    select distinct
        period_start,
        customer_id
    from windowed
    where customer_id is not null
),

customers as (
    select
        pc.period_start,
        count(*) as active_customers,
        count(*) filter (where fl.first_period = pc.period_start) as new_customers
    from period_customers as pc
    inner join first_lines as fl on pc.customer_id = fl.customer_id
    group by pc.period_start
),

span as (
    select
        min(period_start) as first_period,
        max(period_start) as last_period
    from per_period
),

periods as (
    select cast(g.period_at as date) as period_start
    from span,
        generate_series(
            cast(span.first_period as timestamp),
            cast(span.last_period as timestamp),
            cast($step as interval)
        ) as g (period_at)
),

filled as (
    select
        p.period_start,
        coalesce(pp.invoices, 0) as invoices,
        coalesce(pp.canceled, 0) as canceled,
        coalesce(pp.not_canceled, 0) as not_canceled,
        coalesce(pp.sales, 0) as sales,
        coalesce(c.active_customers, 0) as active_customers,
        coalesce(c.new_customers, 0) as new_customers
    from periods as p
    left join per_period as pp on p.period_start = pp.period_start
    left join customers as c on p.period_start = c.period_start
),

with_previous as (
    select
        *,
        lag(sales) over (order by period_start) as previous_sales
    from filled
),

final as (
    select
        period_start,
        cast(invoices as bigint) as invoices,
        cast(case when $classic then invoices - 2 * canceled else not_canceled end as bigint) as placed,
        cast(canceled as bigint) as canceled,
        sales,
        case
            when previous_sales <> 0
                then 100 * cast(sales - previous_sales as double precision)
                / cast(case when $classic then previous_sales else abs(previous_sales) end as double precision)
        end as growth_pct,
        cast(active_customers as bigint) as active_customers,
        cast(new_customers as bigint) as new_customers,
        cast(active_customers - new_customers as bigint) as existing_customers
    from with_previous
)

select * from final
