-- Push-down (lgs_core/pushdown.py): the relations sql/analytics/*.sql read, as TEMPORARY views over LGS's
-- PostgreSQL table, so the same query files run inside PostgreSQL. Created once per session, before the
-- session turns read-only; a temporary view lives in the session's own schema and writes nothing.
-- Grain: `lines` one row per line of the table that a sync would load; `invoice_summary` and `customer_first`
-- as the store's (sql/store/summaries.sql, customer_first.sql; here computed on the fly: views, not tables).
-- Placeholders (a psycopg.sql template): table, an Identifier composed with psycopg.sql.Identifier; summary
-- and customer_first, the texts of sql/store/summaries.sql and sql/store/customer_first.sql. Comments name them without braces, as a placeholder in a comment would
-- be filled too. first_date and end_date: the accepted invoice dates (lgs_core.store.accepted_invoice_dates),
-- Literals.
-- The columns and flags of `lines` are derived as sql/ingest/validate.sql and sql/store/insert_lines.sql
-- derive them from the synced text: invoice trimmed and upper-cased; is_cancellation 'C…'; is_adjustment
-- 'A…'; is_product a 5-digit stock code with optional letters (DOMAIN.md §1); line_amount = quantity ×
-- unit_price, exact NUMERIC pounds. Lines the sync would quarantine (a malformed invoice, a blank stock code
-- or country, a customer id ≤ 0, a quantity beyond ±2,000,000,000, an invoice date outside the accepted
-- range, a quantity × price beyond the store's DECIMAL(18, 3)) are left out. invoice_date is the table's own
-- column, untouched, so a date window prunes partitions and uses the invoice_date index (the sync keeps
-- fractions of a second too, to the microsecond; the session's time zone is Europe/London, so a
-- timestamptz column reads as the UK local time the sync stores).
-- Text in collation "C", i.e. by bytes, as DuckDB compares it: the same min(country), the same alphabetical
-- tie-break of a customer's country ("USA" before "United Arab Emirates"), and faster grouping.
-- The regex spells out [0-9] five times: braces would be placeholders.
create temporary view lines as
with source as (
    select
        upper(trim(invoice_no) collate "C") as invoice,
        trim(stock_code) collate "C" as stock_code,
        description,
        quantity,
        invoice_date,
        cast(unit_price as numeric(18, 3)) as unit_price,
        customer_id,
        trim(country) collate "C" as country
    from {table}
),

final as (
    select
        invoice,
        stock_code,
        description,
        quantity,
        invoice_date,
        unit_price,
        customer_id,
        country,
        starts_with(invoice, 'C') as is_cancellation,
        starts_with(invoice, 'A') as is_adjustment,
        stock_code ~ '^[0-9][0-9][0-9][0-9][0-9][A-Za-z]*$' as is_product,
        cast(quantity * unit_price as numeric(18, 3)) as line_amount
    from source
    where invoice ~ '^[CA]?[0-9]+$'
        and stock_code <> ''
        and country <> ''
        and invoice_date >= {first_date}
        and invoice_date < {end_date}
        and unit_price is not null
        and abs(quantity * unit_price) <= 999999999999999.999
        and abs(quantity) <= 2000000000
        and (customer_id is null or customer_id > 0)
)

select * from final;

create temporary view invoice_summary as
{summary};

create temporary view customer_first as
{customer_first};
