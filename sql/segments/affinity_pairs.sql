-- Products bought together in a segment's invoices: association rules A → B (docs/SEGMENTATION.md
-- "Product affinity").
-- Grain: one row per ordered pair of products (antecedent, consequent) found together on at least
-- $min_invoices of the segment's purchase invoices; the $top rules by lift (ties: more invoices, then codes).
-- Units: invoices_both, antecedent_invoices, consequent_invoices counts of invoices; support = invoices_both ÷
-- the segment's invoices, confidence = invoices_both ÷ antecedent_invoices (fractions 0–1); lift = confidence ÷
-- (consequent_invoices ÷ the segment's invoices); segment_invoices the segment's purchase invoices.
-- Parameters: the window ($start, $end_excl, $countries, $all_countries), $segment_customers (integer list),
-- $min_invoices (≥ 1), $max_products, $top.
-- Limits: a pair is on at least $min_invoices invoices only if each of its products is (Apriori), so the
-- self-join on invoice keeps only such products, and of those the $max_products on the most invoices.
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

invoice_count as (
    select count(distinct invoice) as segment_invoices
    from baskets
),

item_counts as (
    select
        stock_code,
        count(*) as item_invoices
    from baskets
    group by stock_code
    having count(*) >= $min_invoices
    order by item_invoices desc, stock_code
    limit $max_products
),

frequent_baskets as (
    select b.*
    from baskets as b
    semi join item_counts as i on b.stock_code = i.stock_code
),

pairs as (
    select
        a.stock_code as code_a,
        b.stock_code as code_b,
        count(*) as invoices_both
    from frequent_baskets as a
    inner join frequent_baskets as b on a.invoice = b.invoice and a.stock_code < b.stock_code
    group by a.stock_code, b.stock_code
    having count(*) >= $min_invoices
),

rules as (
    select code_a as antecedent, code_b as consequent, invoices_both from pairs
    union all
    select code_b as antecedent, code_a as consequent, invoices_both from pairs
),

descriptions as (
    select
        l.stock_code,
        l.description,
        row_number() over (partition by l.stock_code order by count(*) desc, l.description) as description_rank
    from lines as l
    semi join item_counts as i on l.stock_code = i.stock_code
    where l.description is not null
        and l.invoice_date >= $start
        and l.invoice_date < $end_excl
    group by l.stock_code, l.description
),

final as (
    select
        r.antecedent,
        da.description as antecedent_description,
        r.consequent,
        dc.description as consequent_description,
        cast(r.invoices_both as bigint) as invoices_both,
        cast(ia.item_invoices as bigint) as antecedent_invoices,
        cast(ic.item_invoices as bigint) as consequent_invoices,
        cast(n.segment_invoices as bigint) as segment_invoices,
        r.invoices_both / n.segment_invoices as support,
        r.invoices_both / ia.item_invoices as confidence,
        -- one division of integer products: equal lifts compare equal (and order by the next keys)
        (r.invoices_both * n.segment_invoices) / (ia.item_invoices * ic.item_invoices) as lift
    from rules as r
    cross join invoice_count as n
    inner join item_counts as ia on r.antecedent = ia.stock_code
    inner join item_counts as ic on r.consequent = ic.stock_code
    left join descriptions as da on r.antecedent = da.stock_code and da.description_rank = 1
    left join descriptions as dc on r.consequent = dc.stock_code and dc.description_rank = 1
    order by lift desc, invoices_both desc, r.antecedent, r.consequent
    limit $top
)

select * from final
