-- Cohort retention triangle (docs/SEGMENTATION.md "Cohort retention").
-- Grain: one row per (cohort month, activity month), from the cohort's month to the window's last month;
-- every cell is present (zero customers when nobody of the cohort bought that month).
-- Units: cohort_customers, active_customers counts; active_share a fraction 0–1 of the cohort; revenue
-- pounds (exact DECIMAL, the cohort's lines in the month, cancellations subtracting in the standard preset);
-- months_since whole calendar months after the cohort's month (0 = the month of the first purchase).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only) and $classic.
-- A cohort: the customers whose first purchase (at any date, in the window's countries and products) falls
-- in the month and in the window; a purchase is the RFM one (docs/DEFINITIONS.md `purchase`).
with customer_lines as (
    select
        customer_id,
        invoice_date,
        line_amount,
        case
            when $classic then true
            else not is_cancellation and not is_adjustment and quantity > 0
        end as is_purchase
    from lines
    where customer_id is not null
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
        and (not $classic or (quantity > 0 and line_amount > 0))
        and ($classic or is_product)
),

first_purchases as (
    select
        customer_id,
        min(invoice_date) as first_purchase
    from customer_lines
    where is_purchase
    group by customer_id
),

cohort_members as (
    select
        customer_id,
        cast(date_trunc('month', first_purchase) as date) as cohort_month
    from first_purchases
    where first_purchase >= $start
        and first_purchase < $end_excl
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_customers
    from cohort_members
    group by cohort_month
),

activity as (
    select
        l.customer_id,
        m.cohort_month,
        cast(date_trunc('month', l.invoice_date) as date) as activity_month,
        bool_or(l.is_purchase) as purchased,
        sum(l.line_amount) as revenue
    from customer_lines as l
    inner join cohort_members as m on l.customer_id = m.customer_id
    where l.invoice_date >= $start
        and l.invoice_date < $end_excl
    group by all
),

months as (
    select cast(g.month_at as date) as activity_month
    from generate_series(
        cast(date_trunc('month', cast($start as timestamp)) as timestamp),
        cast(date_trunc('month', cast($end_excl as timestamp) - interval 1 microsecond) as timestamp),
        interval 1 month
    ) as g (month_at)
),

cells as (
    select
        s.cohort_month,
        m.activity_month,
        s.cohort_customers
    from cohort_sizes as s
    inner join months as m on m.activity_month >= s.cohort_month
),

per_cell as (
    select
        cohort_month,
        activity_month,
        count(*) filter (where purchased) as active_customers,
        sum(revenue) as revenue
    from activity
    group by cohort_month, activity_month
),

final as (
    select
        c.cohort_month,
        c.activity_month,
        cast(date_diff('month', c.cohort_month, c.activity_month) as integer) as months_since,
        cast(c.cohort_customers as bigint) as cohort_customers,
        cast(coalesce(p.active_customers, 0) as bigint) as active_customers,
        coalesce(p.active_customers, 0) / c.cohort_customers as active_share,
        coalesce(p.revenue, cast(0 as decimal(38, 3))) as revenue
    from cells as c
    left join per_cell as p
        on c.cohort_month = p.cohort_month and c.activity_month = p.activity_month
)

select * from final
