-- The quarantined input lines, each with the reason it was refused and where it came from.
-- Grain: one row per refused input line. Units: the line's fields as read (text, unparsed).
-- No parameters: the quarantine belongs to the current data set, not to a window.
with final as (
    select
        load_id,
        source,
        sheet,
        source_row,
        reason,
        invoice,
        stock_code,
        description,
        quantity,
        invoice_date,
        unit_price,
        customer_id,
        country
    from quarantine
)

select * from final
