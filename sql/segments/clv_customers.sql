-- Per-customer purchase history for the lifetime-value models (docs/SEGMENTATION.md "Customer lifetime value").
-- Grain: one row per customer with a purchase from $start to $calibration_end (exclusive).
-- Units: a transaction is a purchase day (a calendar day with a purchase; several invoices on one day are one
-- transaction, as in the BG/NBD literature); purchase_days, repeat_purchases (x = purchase days − 1) counts;
-- recency_days (t_x = last − first purchase day) and age_days (T = $calibration_end's day − first purchase
-- day) in days; spend in pounds (exact DECIMAL): total_spend over the calibration period,
-- mean_repeat_spend = mean value of the repeat purchase days (null when x = 0);
-- holdout_purchases / holdout_spend: purchase days and their value from $calibration_end to $holdout_end
-- (0 when the two are equal: no holdout).
-- A purchase line is the RFM one (docs/DEFINITIONS.md `purchase`); a day's value is Σ quantity × price over
-- its purchase lines (before any later cancellation).
-- Parameters: $start, $countries, $all_countries, $products_only, $classic, $calibration_end,
-- $holdout_end (timestamps).
-- country: the customer's country with the most purchase invoices in the calibration period; ties go to the
-- first alphabetically.
with purchase_lines as (
    select
        customer_id,
        invoice,
        invoice_date,
        country,
        line_amount
    from lines
    where customer_id is not null
        and invoice_date >= $start
        and invoice_date < $holdout_end
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
        and case
            when $classic then quantity > 0 and line_amount > 0
            else is_product and not is_cancellation and not is_adjustment and quantity > 0
        end
),

days as (
    select
        customer_id,
        cast(invoice_date as date) as purchase_day,
        invoice_date < $calibration_end as in_calibration,
        sum(line_amount) as day_value
    from purchase_lines
    group by all
),

ranked as (
    select
        *,
        row_number() over (partition by customer_id order by purchase_day) as day_number
    from days
    where in_calibration
),

calibration as (
    select
        customer_id,
        min(purchase_day) as first_purchase,
        max(purchase_day) as last_purchase,
        count(*) as purchase_days,
        sum(day_value) as total_spend,
        avg(day_value) filter (where day_number > 1) as mean_repeat_spend
    from ranked
    group by customer_id
),

holdout as (
    select
        customer_id,
        count(*) as holdout_purchases,
        sum(day_value) as holdout_spend
    from days
    where not in_calibration
    group by customer_id
),

country_invoices as (
    select
        customer_id,
        country,
        row_number() over (
            partition by customer_id order by count(distinct invoice) desc, country
        ) as country_rank
    from purchase_lines
    where invoice_date < $calibration_end
    group by customer_id, country
),

final as (
    select
        c.customer_id,
        ci.country,
        c.first_purchase,
        c.last_purchase,
        cast(c.purchase_days as integer) as purchase_days,
        cast(c.purchase_days - 1 as integer) as repeat_purchases,
        cast(c.last_purchase - c.first_purchase as integer) as recency_days,
        cast(cast($calibration_end as date) - c.first_purchase as integer) as age_days,
        c.total_spend,
        cast(c.mean_repeat_spend as decimal(18, 3)) as mean_repeat_spend,
        cast(coalesce(h.holdout_purchases, 0) as integer) as holdout_purchases,
        coalesce(h.holdout_spend, cast(0 as decimal(38, 3))) as holdout_spend
    from calibration as c
    inner join country_invoices as ci on c.customer_id = ci.customer_id and ci.country_rank = 1
    left join holdout as h on c.customer_id = h.customer_id
)

select * from final
