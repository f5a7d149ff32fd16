-- Every customer's first line: when a customer is "new" (DOMAIN.md §2.6), whatever the window.
-- Grain: one row per customer id with at least one line. Units: first_line_at a timestamp (local UK time).
-- A customer is new in the period (month, week, KPI window) holding their first line in the whole store, at
-- any date, in any country, of any stock code: so this does not depend on the window, and is computed once
-- per load (lgs_core.store.refresh_summaries materialises it as table `customer_first`: a few thousand rows,
-- 5,556 for a million demo lines, read instead of the ~56 thousand of the invoice summary).
-- Runs in DuckDB and, as a temporary view over the `lines` view, in PostgreSQL (lgs_core.pushdown).
with final as (
    select
        customer_id,
        min(invoice_date) as first_line_at
    from lines
    where customer_id is not null
    group by customer_id
)

select * from final
