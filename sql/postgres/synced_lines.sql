-- sync (runs in DuckDB, on the store): how many of the table's lines the earlier syncs read that are dated at
-- or before the watermark ($watermark: the newest accepted invoice_date read, loaded or quarantined:
-- store.log_load), i.e. every line in the store plus the quarantined lines dated so, in PostgreSQL's order
-- ('-infinity' and a date with a ' BC' suffix before every watermark; DuckDB's cast reads 4713 BC as 4713
-- AD). An incremental sync compares this with the table's own count (count_new.sql, `older`). Only called
-- when the store holds nothing but this table's syncs.
-- Grain: one row.
with final as (
    select
        (select count(*) from lines)
        + (
            select count(*)
            from quarantine
            where invoice_date = '-infinity'
                or ends_with(invoice_date, ' BC')
                or try_cast(invoice_date as timestamp) <= $watermark
        ) as synced
)

select * from final
