-- Products a segment buys, against all customers (docs/SEGMENTATION.md "Product affinity").
-- Grain: one row per product (stock code) bought by at least one customer of the segment, the $top products
-- with the most segment customers (ties: higher lift, then stock code).
-- Units: segment_customers / all_customers distinct customers who bought the product; reach and base_reach
-- fractions 0–1 (÷ $segment_size and ÷ $all_size: the segment's and all scored customers); lift = reach ÷
-- base_reach; segment_invoices distinct invoices; segment_revenue pounds (exact DECIMAL, purchase lines).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries), $segment_customers (integer list),
-- $segment_size, $all_size, $top.
-- A purchase line here: a product line with quantity > 0 on an invoice that is neither a cancellation nor an
-- adjustment, by a known customer (docs/DEFINITIONS.md `purchase`), whatever the preset: products only.
with segment as (
    select distinct unnest(cast($segment_customers as integer[])) as customer_id
),

purchase_lines as (
    select
        l.customer_id,
        l.invoice,
        l.stock_code,
        l.description,
        l.line_amount,
        s.customer_id is not null as in_segment
    from lines as l
    left join segment as s on l.customer_id = s.customer_id
    where l.customer_id is not null
        and l.invoice_date >= $start
        and l.invoice_date < $end_excl
        and ($all_countries or l.country = any(cast($countries as varchar[])))
        and l.is_product
        and not l.is_cancellation
        and not l.is_adjustment
        and l.quantity > 0
),

-- Distinct customers in two steps, (product, customer) then product: one hash table of pairs rather than
-- count(distinct …) per product, twice (1.8× faster at 10M lines); the segment's invoices and revenue from
-- its own lines only.
product_customers as (
    select
        stock_code,
        customer_id,
        bool_or(in_segment) as in_segment
    from purchase_lines
    group by stock_code, customer_id
),

segment_products as (
    select
        stock_code,
        count(distinct invoice) as segment_invoices,
        sum(line_amount) as segment_revenue
    from purchase_lines
    where in_segment
    group by stock_code
),

per_product as (
    select
        pc.stock_code,
        count(*) filter (where pc.in_segment) as segment_customers,
        count(*) as all_customers,
        any_value(sp.segment_invoices) as segment_invoices,
        coalesce(any_value(sp.segment_revenue), 0) as segment_revenue
    from product_customers as pc
    inner join segment_products as sp on pc.stock_code = sp.stock_code
    group by pc.stock_code
),

descriptions as (
    select
        stock_code,
        description,
        row_number() over (partition by stock_code order by count(*) desc, description) as description_rank
    from purchase_lines
    where in_segment
        and description is not null
    group by stock_code, description
),

final as (
    select
        p.stock_code,
        d.description,
        cast(p.segment_customers as bigint) as segment_customers,
        cast(p.all_customers as bigint) as all_customers,
        p.segment_customers / $segment_size as reach,
        p.all_customers / $all_size as base_reach,
        (p.segment_customers * $all_size) / (p.all_customers * $segment_size) as lift,
        cast(p.segment_invoices as bigint) as segment_invoices,
        p.segment_revenue
    from per_product as p
    left join descriptions as d on p.stock_code = d.stock_code and d.description_rank = 1
    order by segment_customers desc, lift desc, p.stock_code
    limit $top
)

select * from final
