-- pg-load (runs in DuckDB, on temp table `validated` from sql/ingest/validate.sql): the file's lines as rows
-- of the PostgreSQL table, and why a line cannot go there.
-- Grain: one row per input line. `reason` is null for a line that loads: the validation's reason, else a value
-- too wide for the table's types (sql/postgres/schema.sql: varchar(10), varchar(20), numeric(10, 3)).
with final as (
    select
        invoice as invoice_no,
        stock_code,
        description,
        quantity,
        invoice_date,
        unit_price,
        customer_id,
        country,
        case
            when reason is not null then reason
            when length(invoice) > 10 then 'invoice longer than 10 characters (retail.invoice_no)'
            when length(stock_code) > 20 then 'stock code longer than 20 characters (retail.stock_code)'
            when abs(unit_price) >= 10000000 then 'price of £10,000,000 or more (retail.unit_price)'
        end as reason
    from validated
)

select * from final
