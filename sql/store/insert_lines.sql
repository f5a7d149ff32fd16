-- Insert canonical typed lines (relation `staged_lines`) into `lines`, deriving the flags once.
-- Grain: one row per line. Parameters: $load_id.
-- is_product: a 5-digit stock code, optionally followed by letters (DOMAIN.md §1 "StockCode").
-- line_amount: quantity × unit_price, exact DECIMAL pounds.
insert into lines
with final as (
    select
        cast($load_id as integer) as load_id,
        source_row,
        invoice,
        stock_code,
        description,
        quantity,
        invoice_date,
        cast(unit_price as decimal(18, 3)) as unit_price,
        customer_id,
        country,
        starts_with(invoice, 'C') as is_cancellation,
        starts_with(invoice, 'A') as is_adjustment,
        regexp_full_match(stock_code, '[0-9]{5}[A-Za-z]*') as is_product,
        cast(quantity * cast(unit_price as decimal(18, 3)) as decimal(18, 3)) as line_amount
    from staged_lines
)

select * from final
