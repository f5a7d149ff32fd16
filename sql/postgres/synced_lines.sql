-- sync (runs in DuckDB, on the store): how many of the table's lines the earlier syncs read that are dated at
-- or before the watermark ($watermark: the newest invoice_date in the store), i.e. every line in the store
-- plus the quarantined lines with such a date (a quarantined line with a newer date is read again by the next
-- sync, as the table's count of older lines does not include it). An incremental sync compares this with the
-- table's own count (count_new.sql, `older`). Only called when the store holds nothing but this table's syncs.
-- Grain: one row.
with final as (
    select
        (select count(*) from lines)
        + (
            select count(*)
            from quarantine
            where try_cast(invoice_date as timestamp) <= $watermark
        ) as synced
)

select * from final
