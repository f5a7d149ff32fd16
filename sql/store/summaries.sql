-- The invoice summary: the store's lines aggregated once per load to what sql/analytics/*.sql read, so an
-- analysis scans ~56 thousand rows per million lines instead of the million (issue #3).
-- Grain: one row per (invoice, invoice_date, customer_id, country, is_product) holding at least one line.
-- Every column the window filters on (invoice_date, country, is_product) is part of the grain, so a window
-- keeps or drops whole rows and a sum over the rows it keeps equals the sum over its lines. An invoice has one
-- date, customer and country in nearly every case; the grain also holds the exceptions (invoice 541631 of
-- the real data spans two minutes), and the analyses group the rows back by invoice.
-- Units: lines counts; amount and classic_amount in pounds (exact DECIMAL, Σ line_amount).
--   lines, amount: every line of the row (cancellations negative: DOMAIN.md §2.3);
--   purchase_lines: lines with quantity > 0 (standard RFM: a purchase is such a product line on an order);
--   classic_lines, classic_amount: lines with quantity > 0 and quantity × price > 0 (the notebook's RFM).
-- is_cancellation and is_adjustment depend on the invoice alone; they are in the grouping to be carried along.
-- Runs in DuckDB (lgs_core.store.refresh_summaries materialises it as table `invoice_summary`) and in
-- PostgreSQL (lgs_core.pushdown: a temporary view over the `lines` view): SQL both speak.
with final as (
    select
        invoice,
        invoice_date,
        customer_id,
        country,
        is_product,
        is_cancellation,
        is_adjustment,
        count(*) as lines,
        sum(line_amount) as amount,
        count(*) filter (where quantity > 0) as purchase_lines,
        count(*) filter (where quantity > 0 and line_amount > 0) as classic_lines,
        coalesce(sum(line_amount) filter (where quantity > 0 and line_amount > 0), 0) as classic_amount
    from lines
    group by invoice, invoice_date, customer_id, country, is_product, is_cancellation, is_adjustment
)

select * from final
