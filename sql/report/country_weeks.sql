-- The watched figures per ISO week and country, for the weeks in $weeks: what a flag is broken down by.
-- Grain: one row per (week_start, country) with a line in the window in one of $weeks.
-- Units: counts; sales in pounds (exact DECIMAL). Definitions as sql/analytics/periods.sql (standard
-- preset): orders = distinct non-cancellation invoices; sales = Σ quantity × price (cancellations subtract);
-- a customer is new in the ISO week of their first line in the whole store, and counts as new in each
-- country they bought in that week (so a country's new customers may add up to a little over the total).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only); $weeks: date[]
-- of Mondays ($start and $end_excl only bound the scan).
with windowed as (
    select
        invoice,
        customer_id,
        country,
        is_cancellation,
        line_amount,
        cast(date_trunc('week', invoice_date) as date) as week_start
    from lines
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
),

picked as (
    select *
    from windowed
    where week_start in (select unnest(cast($weeks as date[])))
),

first_weeks as (
    select
        customer_id,
        cast(date_trunc('week', min(invoice_date)) as date) as first_week
    from lines
    where customer_id is not null
    group by customer_id
),

per_country as (
    select
        week_start,
        country,
        count(distinct invoice) filter (where not is_cancellation) as orders,
        sum(line_amount) as sales
    from picked
    group by week_start, country
),

new_per_country as (
    select
        p.week_start,
        p.country,
        count(distinct p.customer_id) as new_customers
    from picked as p
    inner join first_weeks as fw
        on p.customer_id = fw.customer_id and p.week_start = fw.first_week
    group by p.week_start, p.country
),

final as (
    select
        pc.week_start,
        pc.country,
        cast(coalesce(npc.new_customers, 0) as bigint) as new_customers,
        cast(pc.orders as bigint) as orders,
        pc.sales
    from per_country as pc
    left join new_per_country as npc
        on pc.week_start = npc.week_start and pc.country = npc.country
)

select * from final
