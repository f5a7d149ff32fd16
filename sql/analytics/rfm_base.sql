-- RFM base (DOMAIN.md §2.7); the scoring is in lgs_core.rfm.
-- Grain: one row per customer with a purchase in the window.
-- Units: recency_days whole days before the reference date; frequency distinct invoices; monetary pounds
-- (exact DECIMAL). Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only),
-- $reference (timestamp, or null: the day after the last line in the window's dates, any country) and
-- $classic:
--   classic  = the notebook: lines with quantity > 0, quantity × price > 0 and a customer; monetary = their
--              sum; recency = floor of (reference − last line) in days.
--   standard = product lines of known customers; a purchase is a product line with quantity > 0 on a
--              non-cancellation invoice; monetary = Σ of all their product lines, cancellations subtracting;
--              recency = calendar days from the last purchase's date to the reference date.
-- country: the customer's country with the most invoices in the window; ties go to the first alphabetically.
-- `dated` (the window's dates, any country or product) feeds both the window and the reference date, so a
-- database computing the summary on the fly (PostgreSQL: lgs_core.pushdown) computes it once; `reference`
-- is MATERIALIZED (both engines): one row, computed once, however the join with it is planned.
-- Reads `invoice_summary` (sql/store/summaries.sql): a summary row holds lines of one invoice, date, customer,
-- country and kind (product or not), with the count and Σ amount of its purchase lines under each preset's
-- rule, so "the customer's purchase lines" are the rows holding any, and their sums are the lines' sums.
with dated as (
    select *
    from invoice_summary
    where invoice_date >= $start
        and invoice_date < $end_excl
),

windowed as (
    select *
    from dated
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
),

reference as materialized (
    select
        coalesce(
            cast($reference as timestamp),
            cast(cast(max(invoice_date) as date) + 1 as timestamp)
        ) as reference_at
    from dated
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
        end as is_purchase
    from windowed
    where customer_id is not null
        and (not $classic or classic_lines > 0)
        and ($classic or is_product)
),

per_customer as (
    select
        customer_id,
        min(invoice_date) filter (where is_purchase) as first_purchase,
        max(invoice_date) filter (where is_purchase) as last_purchase,
        count(distinct invoice) filter (where is_purchase) as frequency,
        sum(line_amount) as monetary
    from customer_lines
    group by customer_id
    having count(*) filter (where is_purchase) > 0
),

country_invoices as (
    select
        customer_id,
        country,
        row_number() over (
            partition by customer_id order by count(distinct invoice) desc, country
        ) as country_rank
    from customer_lines
    group by customer_id, country
),

final as (
    select
        pc.customer_id,
        ci.country,
        pc.first_purchase,
        pc.last_purchase,
        cast(
            (cast(r.reference_at as date) - cast(pc.last_purchase as date))
            - case
                when $classic and cast(pc.last_purchase as time) > cast(r.reference_at as time) then 1
                else 0
            end
            as integer
        ) as recency_days,
        cast(pc.frequency as integer) as frequency,
        pc.monetary,
        cast(r.reference_at as date) as reference_date
    from per_customer as pc
    inner join country_invoices as ci on pc.customer_id = ci.customer_id and ci.country_rank = 1
    cross join reference as r
)

select * from final
