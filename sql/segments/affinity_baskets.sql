-- The size of a segment's baskets (docs/SEGMENTATION.md "Product affinity"): what the pair thresholds are
-- taken of. Grain: one row. Units: counts (segment_invoices: the segment's purchase invoices; products: the
-- distinct products on them; basket_lines: distinct (invoice, product) pairs).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries), $segment_customers (integer list).
-- A purchase line: as in affinity_products.sql (product lines of orders, quantity > 0).
with segment as (
    select distinct unnest(cast($segment_customers as integer[])) as customer_id
),

baskets as (
    select distinct
        l.invoice,
        l.stock_code
    from lines as l
    semi join segment as s on l.customer_id = s.customer_id
    where l.invoice_date >= $start
        and l.invoice_date < $end_excl
        and ($all_countries or l.country = any(cast($countries as varchar[])))
        and l.is_product
        and not l.is_cancellation
        and not l.is_adjustment
        and l.quantity > 0
),

final as (
    select
        cast(count(distinct invoice) as bigint) as segment_invoices,
        cast(count(distinct stock_code) as bigint) as products,
        cast(count(*) as bigint) as basket_lines
    from baskets
)

select * from final
