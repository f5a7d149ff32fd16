-- The Overview page's KPI cards for one window (docs/DEFINITIONS.md "Monthly and weekly", summed over the
-- window). Run once for the chosen window and once for the previous window of equal length.
-- Grain: one row. Units: sales in pounds (exact DECIMAL, cancellations subtract: DOMAIN.md §2.3); the rest
-- are counts. Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only).
-- Reads `invoice_summary` (sql/store/summaries.sql: every column the window filters on is in its grain, so
-- its sums over a window equal the lines'): ~18 times fewer rows than `lines`.
-- A customer is new when their first line in the whole store (any date, country or product; the table
-- `customer_first`, sql/store/customer_first.sql) falls in the window, as in periods.sql: the window chooses
-- whom we look at, not who is new. Distinct invoices are counted by grouping the rows by invoice once.
with windowed as (
    select
        invoice,
        customer_id,
        is_cancellation,
        lines,
        amount
    from invoice_summary
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
),

window_customers as (
    select distinct customer_id
    from windowed
    where customer_id is not null
),

window_invoices as (
    select
        invoice,
        bool_or(is_cancellation) as is_cancellation,
        sum(lines) as lines,
        sum(amount) as amount
    from windowed
    group by invoice
),

lines_total as (
    select
        coalesce(sum(lines), 0) as lines,
        coalesce(sum(amount), 0) as sales,
        count(*) as invoices,
        count(*) filter (where is_cancellation) as canceled,
        count(*) filter (where not is_cancellation) as not_canceled
    from window_invoices
),

customers_total as (
    select
        count(*) as active_customers,
        count(*) filter (
            where fl.first_line_at >= $start and fl.first_line_at < $end_excl
        ) as new_customers
    from window_customers as wc
    inner join customer_first as fl on wc.customer_id = fl.customer_id
),

final as (
    select
        cast(lt.lines as bigint) as lines,
        lt.sales,
        cast(lt.invoices as bigint) as invoices,
        cast(lt.canceled as bigint) as canceled,
        cast(lt.not_canceled as bigint) as not_canceled,
        cast(ct.active_customers as bigint) as active_customers,
        cast(ct.new_customers as bigint) as new_customers
    from lines_total as lt
    cross join customers_total as ct
)

select * from final
