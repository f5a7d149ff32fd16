-- One customer's invoices in the window: the Customer segments page's "why is this customer here".
-- Grain: one row per invoice of $customer_id with a line in the window.
-- Units: lines and items are counts; amount in pounds (exact DECIMAL; negative on cancellations).
-- Parameters: the window ($start, $end_excl, $countries, $all_countries, $products_only), $customer_id.
-- kind: 'cancellation' (C…), 'adjustment' (A…) or 'order' (DOMAIN.md §1 "Invoice").
with windowed as (
    select *
    from lines
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)
        and customer_id = $customer_id
),

final as (
    select
        invoice,
        min(invoice_date) as invoice_date,
        case
            when bool_or(is_cancellation) then 'cancellation'
            when bool_or(is_adjustment) then 'adjustment'
            else 'order'
        end as kind,
        min(country) as country,
        cast(count(*) as bigint) as lines,
        cast(sum(quantity) as bigint) as items,
        sum(line_amount) as amount
    from windowed
    group by invoice
)

select * from final
