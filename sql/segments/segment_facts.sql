-- What a saved segment's rules read (docs/SEGMENTATION.md "Saved segments"): RFM's per-customer base
-- (sql/analytics/rfm_base.sql, the same definitions; tests/test_saved_segments.py checks the columns equal
-- its output) at the end of one or more periods, plus each customer's first order at any date.
-- Grain: one row per (period, customer with a purchase from $start to the period's end).
-- Units: recency_days whole days before the period's reference date; frequency distinct invoices with a
-- purchase (the rules' "orders"); monetary pounds (exact DECIMAL; the rules' "spend"); period_revenue the
-- part of monetary dated in the period itself (from the previous period's end; the first period: from
-- $start); first_order the customer's first purchase at any date before the period's end (in the window's
-- countries and products, as cohorts look for it); first_ and last_purchase in the window.
-- Parameters: the window's $start, $countries, $all_countries, $products_only; $classic; and the periods as
-- two lists of equal length, zipped by position: $period_ends (ascending timestamps, exclusive: the period's
-- end and its key) and $period_references (timestamps: "today" for recency; the caller gives rfm_base's
-- default for a window, or each period's end). Every period's lines run from $start to its end.
-- country: the customer's country with the most invoices from $start to the period's end; ties go to the
-- first alphabetically. Reads `invoice_summary` (sql/store/summaries.sql), as rfm_base does.
-- How: each row is put in the period it falls in (the first period ending after it: periods end at midnight,
-- so a calendar of days maps each day to its period and rows join it on their day) and summed there, once;
-- each period then adds up the sums of the periods up to it. Distinct counts are made once, before the
-- periods (an invoice counts as an order in the period of its first purchase row), not once per period.
with periods as (
    select
        unnest(cast($period_ends as timestamp[])) as period_end,
        unnest(cast($period_references as timestamp[])) as reference_at
),

customer_lines as (
    select
        customer_id,
        invoice,
        invoice_date,
        country,
        case when $classic then classic_amount else amount end as line_amount,
        case
            when $classic then true
            else not is_cancellation and not is_adjustment and purchase_lines > 0
        end as is_purchase,
        invoice_date >= $start as in_window
    from invoice_summary
    where customer_id is not null
        and invoice_date < (select max(period_end) from periods)
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
        and (not $classic or classic_lines > 0)
        and ($classic or is_product)
),

-- Every day from the first line read to the last period's end, with the period holding it.
day_periods as (
    select
        d.day,
        min(p.period_end) as period_end
    from (
        select cast(unnest(generate_series(
            (select cast(min(invoice_date) as date) from customer_lines),
            (select cast(max(period_end) as date) from periods),
            interval 1 day
        )) as date) as day
    ) as d
    inner join periods as p on p.period_end > d.day
    group by d.day
),

-- What each customer's rows add in each period.
added as (
    select
        l.customer_id,
        p.period_end,
        min(l.invoice_date) filter (where l.is_purchase) as first_order,
        min(l.invoice_date) filter (where l.is_purchase and l.in_window) as first_purchase,
        max(l.invoice_date) filter (where l.is_purchase and l.in_window) as last_purchase,
        coalesce(sum(l.line_amount) filter (where l.in_window), 0) as amount,
        count(*) filter (where l.is_purchase and l.in_window) as purchase_rows
    from customer_lines as l
    inner join day_periods as p on cast(l.invoice_date as date) = p.day
    group by l.customer_id, p.period_end
),

-- Each invoice counts as an order from its first purchase row in the window (a distinct count, once).
orders_added as (
    select
        i.customer_id,
        p.period_end,
        count(*) as orders
    from (
        select
            customer_id,
            invoice,
            min(invoice_date) as ordered_at
        from customer_lines
        where is_purchase and in_window
        group by customer_id, invoice
    ) as i
    inner join day_periods as p on cast(i.ordered_at as date) = p.day
    group by i.customer_id, p.period_end
),

-- Each customer at every period from the first one holding a row of theirs: what the periods up to it added.
accumulated as (
    select
        p.period_end,
        a.customer_id,
        any_value(p.reference_at) as reference_at,
        min(a.first_order) as first_order,
        min(a.first_purchase) as first_purchase,
        max(a.last_purchase) as last_purchase,
        sum(a.amount) as monetary,
        coalesce(sum(a.amount) filter (where a.period_end = p.period_end), 0) as period_revenue,
        sum(a.purchase_rows) as purchase_rows
    from added as a
    inner join periods as p on a.period_end <= p.period_end
    group by p.period_end, a.customer_id
),

orders as (
    select
        p.period_end,
        o.customer_id,
        sum(o.orders) as frequency
    from orders_added as o
    inner join periods as p on o.period_end <= p.period_end
    group by p.period_end, o.customer_id
),

-- Each (customer, country) invoice counts for the country from its first row there in the window.
country_added as (
    select
        ic.customer_id,
        ic.country,
        p.period_end,
        count(*) as invoices
    from (
        select
            customer_id,
            invoice,
            country,
            min(invoice_date) as seen_at
        from customer_lines
        where in_window
        group by customer_id, invoice, country
    ) as ic
    inner join day_periods as p on cast(ic.seen_at as date) = p.day
    group by ic.customer_id, ic.country, p.period_end
),

country_invoices as (
    select
        p.period_end,
        c.customer_id,
        c.country,
        sum(c.invoices) as invoices
    from country_added as c
    inner join periods as p on c.period_end <= p.period_end
    group by p.period_end, c.customer_id, c.country
),

-- The country with the most invoices; a tie goes to the first alphabetically.
countries as (
    select
        ci.period_end,
        ci.customer_id,
        min(ci.country) as country
    from country_invoices as ci
    inner join (
        select
            period_end,
            customer_id,
            max(invoices) as most
        from country_invoices
        group by period_end, customer_id
    ) as top
        on ci.period_end = top.period_end and ci.customer_id = top.customer_id and ci.invoices = top.most
    group by ci.period_end, ci.customer_id
),

final as (
    select
        ac.period_end,
        cast(ac.reference_at as date) as reference_date,
        ac.customer_id,
        cr.country,
        ac.first_order,
        ac.first_purchase,
        ac.last_purchase,
        cast(
            (cast(ac.reference_at as date) - cast(ac.last_purchase as date))
            - case
                when $classic and cast(ac.last_purchase as time) > cast(ac.reference_at as time) then 1
                else 0
            end
            as integer
        ) as recency_days,
        cast(o.frequency as integer) as frequency,
        ac.monetary,
        ac.period_revenue
    from accumulated as ac
    inner join orders as o on ac.period_end = o.period_end and ac.customer_id = o.customer_id
    inner join countries as cr on ac.period_end = cr.period_end and ac.customer_id = cr.customer_id
    where ac.purchase_rows > 0
)

select * from final
