-- Validate raw text lines (relation `raw`, every column varchar) into canonical typed lines.
-- Grain: one row per input line. `reason` is null for a line that loads, else why it is quarantined.
-- Parameters: $date_formats (varchar[]: the strptime formats chosen for this file); $decimal_comma (boolean:
-- the file writes 6,95 for 6.95, decided per file by lgs_core.ingest.choose_decimal_comma); $first_date and
-- $end_date (timestamps: an invoice date d is accepted when $first_date <= d < $end_date,
-- lgs_core.store.accepted_invoice_dates) and $date_range_reason (the quarantine reason that states them).
-- Real anomalies (negative quantity, missing customer, zero price) are data, not errors (DOMAIN.md §1).
-- Nothing is rounded or shifted: a value the store cannot hold exactly is quarantined with its reason.
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
        nullif(trim(unit_price), '') as price_text,
        trim(replace(trim(unit_price), '£', '')) as price_plain,
        nullif(trim(customer_id), '') as customer_text,
        nullif(trim(country), '') as country
    from raw
),

parsed as (
    -- Numbers in the file's locale (sql/ingest/numbers.sql): never 1,2 read as 12.
    select
        *,
        number_as_double(quantity_text, $decimal_comma) as quantity_number,
        number_as_price(price_plain, $decimal_comma) as price,
        number_as_double(price_plain, $decimal_comma) as price_double,
        number_as_double(customer_text, $decimal_comma) as customer_number,
        -- try_strptime reads the words 'infinity', '-infinity' and 'epoch' (any case) as 1900-01-01 00:00
        -- instead of failing: checked below (that date is out of range anyway).
        coalesce(
            try_strptime(date_text, $date_formats),
            -- an Excel serial date (days since 1899-12-30), as a sheet without date formatting holds it
            case
                when regexp_full_match(date_text, '[0-9]{5}(\.[0-9]+)?')
                    then timestamp '1899-12-30'
                    + to_microseconds(cast(round(cast(date_text as double) * 86400) * 1000000 as bigint))
            end
        ) as invoice_ts
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
            when quantity_number is null or isnan(quantity_number) or contains(quantity_text, '_')
                then 'non-numeric quantity'
            when quantity_number != round(quantity_number) then 'non-integer quantity'
            when abs(quantity_number) > 2000000000 then 'quantity out of range'
            when date_text is null then 'missing invoice date'
            when invoice_ts is null or (invoice_ts = timestamp '1900-01-01' and not contains(date_text, '1900'))
                then 'unparseable invoice date'
            when invoice_ts < $first_date or invoice_ts >= $end_date then $date_range_reason
            when price_text is null then 'missing price'
            when price is null and isfinite(price_double) then 'price out of range'
            when price is null or contains(price_plain, '_') then 'non-numeric price'
            -- The store holds prices to 3 decimals (DECIMAL(18, 3)): a fourth decimal that is not zero is
            -- quarantined, not rounded (0.0004999 is not £0.000). Digits past the 13th significant one are
            -- the binary noise of a spreadsheet's arithmetic, not a price (2.5500000000000003 is 2.55).
            when abs(price_double - cast(price as double)) > 1e-13 * abs(price_double)
                then 'price with more than 3 decimals'
            -- line_amount = quantity × price must fit DECIMAL(18, 3) too (sql/store/insert_lines.sql); the
            -- exact product in DECIMAL(38, 3), only for the few lines whose product in doubles comes near.
            when abs(quantity_number * price_double) > 9.9e14
                and abs(cast(quantity_number as decimal(38, 0)) * price) > 999999999999999.999
                then 'quantity × price out of range'
            when customer_text is not null and (customer_number is null or contains(customer_text, '_'))
                then 'non-numeric customer id'
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
        -- kept to the microsecond, as read: LGS's dates are to the minute, but a sync's watermark must be
        -- exactly the newest date read, or a line with a fraction of a second is read again
        case when reason is null then invoice_ts end as invoice_date,
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
