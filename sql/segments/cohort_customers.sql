-- Cohort of each customer (docs/SEGMENTATION.md "Cohort retention").
-- Grain: one row per customer with a purchase in the window.
-- Units: first_purchase a timestamp (UK time); cohort_month the first day of that month (null: the first
-- purchase is before the window's start, so the customer belongs to no cohort of this window);
-- purchases distinct invoices with a purchase in the window; revenue pounds (exact DECIMAL) of all their
-- lines in the window; revenue_before_first_purchase the part of it dated before the first purchase's month
-- (cancellations of orders from before the data set starts: no cell of the triangle holds them).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only) and $classic.
-- A purchase is the RFM one (docs/DEFINITIONS.md `purchase`): standard = a product line with quantity > 0 on
-- an invoice that is neither a cancellation nor an adjustment; classic = quantity > 0 and amount > 0.
-- The first purchase is looked for at any date (in the window's countries and products): a customer who
-- first bought before the window's start is not new in it.
with customer_lines as (
    select
        customer_id,
        invoice,
        invoice_date,
        country,
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

in_window as (
    select
        l.customer_id,
        count(distinct l.invoice) filter (where l.is_purchase) as purchases,
        sum(l.line_amount) as revenue,
        coalesce(
            sum(l.line_amount) filter (where l.invoice_date < date_trunc('month', f.first_purchase)),
            0
        ) as revenue_before_first_purchase
    from customer_lines as l
    inner join first_purchases as f on l.customer_id = f.customer_id
    where l.invoice_date >= $start
        and l.invoice_date < $end_excl
    group by l.customer_id
    having count(*) filter (where l.is_purchase) > 0
),

final as (
    select
        w.customer_id,
        f.first_purchase,
        case
            when f.first_purchase >= $start then cast(date_trunc('month', f.first_purchase) as date)
        end as cohort_month,
        cast(w.purchases as integer) as purchases,
        w.revenue,
        w.revenue_before_first_purchase
    from in_window as w
    inner join first_purchases as f on w.customer_id = f.customer_id
)

select * from final
