-- Validate raw text lines (relation `raw`, every column varchar) into canonical typed lines.
-- Grain: one row per input line. `reason` is null for a line that loads, else why it is quarantined.
-- Parameters: $date_formats (varchar[]: the strptime formats chosen for this file).
-- Real anomalies (negative quantity, missing customer, zero price) are data, not errors (DOMAIN.md §1).
with trimmed as (
    select
        sheet,
        source_row,
        row_problem,
        nullif(trim(invoice), '') as invoice,
        nullif(trim(stock_code), '') as stock_code,
        nullif(trim(description), '') as description,
        nullif(trim(quantity), '') as quantity_text,
        nullif(trim(invoice_date), '') as date_text,
        nullif(replace(replace(replace(trim(unit_price), '£', ''), ',', ''), ' ', ''), '') as price_text,
        nullif(trim(customer_id), '') as customer_text,
        nullif(trim(country), '') as country
    from raw
),

parsed as (
    select
        *,
        try_cast(quantity_text as double) as quantity_number,
        coalesce(
            try_strptime(date_text, $date_formats),
            -- an Excel serial date (days since 1899-12-30), as a sheet without date formatting holds it
            case
                when regexp_full_match(date_text, '[0-9]{5}(\.[0-9]+)?')
                    then timestamp '1899-12-30'
                    + to_microseconds(cast(round(cast(date_text as double) * 86400) * 1000000 as bigint))
            end
        ) as invoice_ts,
        try_cast(price_text as decimal(18, 3)) as price,
        try_cast(customer_text as double) as customer_number
    from trimmed
),

checked as (
    select
        *,
        case
            when row_problem is not null then row_problem
            when invoice is null and stock_code is null and quantity_text is null and date_text is null
                and price_text is null and customer_text is null and country is null and description is null
                then 'blank row'
            when invoice is null then 'missing invoice'
            when not regexp_full_match(invoice, '[CcAa]?[0-9]+') then 'malformed invoice'
            when stock_code is null then 'missing stock code'
            when quantity_text is null then 'missing quantity'
            when quantity_number is null or isnan(quantity_number) then 'non-numeric quantity'
            when quantity_number != round(quantity_number) then 'non-integer quantity'
            when abs(quantity_number) > 2000000000 then 'quantity out of range'
            when date_text is null then 'missing invoice date'
            when invoice_ts is null then 'unparseable invoice date'
            when price_text is null then 'missing price'
            when price is null then 'non-numeric price'
            when customer_text is not null and customer_number is null then 'non-numeric customer id'
            when customer_number is not null
                and (customer_number != round(customer_number) or customer_number <= 0 or customer_number > 2000000000)
                then 'malformed customer id'
            when country is null then 'missing country'
        end as reason
    from parsed
),

final as (
    select
        sheet,
        source_row,
        reason,
        upper(invoice) as invoice,
        stock_code,
        description,
        case when reason is null then cast(quantity_number as integer) end as quantity,
        case when reason is null then date_trunc('second', invoice_ts) end as invoice_date,
        case when reason is null then price end as unit_price,
        case when reason is null then cast(customer_number as integer) end as customer_id,
        country,
        quantity_text,
        date_text,
        price_text,
        customer_text
    from checked
)

select * from final
