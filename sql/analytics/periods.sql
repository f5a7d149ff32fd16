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
-- Reads `invoice_summary` (sql/store/summaries.sql): the window keeps whole summary rows, each carrying its
-- lines' invoice, customer, date and Σ amount, so counts of distinct invoices and customers and the sums are
-- those of the window's lines; and `customer_first` (sql/store/customer_first.sql): each customer's first line
-- in the whole store, which decides who is new.
-- Distinct invoices are counted in two steps, (period, invoice) then period: one hash table of invoices rather
-- than three count(distinct …) (an invoice's is_cancellation is its own, the same on every row).
with windowed as (
    select
        invoice,
        customer_id,
        is_cancellation,
        amount,
        cast(date_trunc($period, invoice_date) as date) as period_start
    from invoice_summary
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
),

period_invoices as (
    select
        period_start,
        invoice,
        bool_or(is_cancellation) as is_cancellation,
        sum(amount) as amount
    from windowed
    group by period_start, invoice
),

per_period as (
    select
        period_start,
        count(*) as invoices,
        count(*) filter (where is_cancellation) as canceled,
        count(*) filter (where not is_cancellation) as not_canceled,
        sum(amount) as sales
    from period_invoices
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
        count(*) filter (
            where cast(date_trunc($period, cf.first_line_at) as date) = pc.period_start
        ) as new_customers
    from period_customers as pc
    inner join customer_first as cf on pc.customer_id = cf.customer_id
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
