-- The PostgreSQL table LGS's IT dumps the OLTP invoice lines into (DOMAIN.md §1, the fourth shape), typed as a
-- DBA would type it, and the index the incremental sync reads by. Grain: one row per invoice line.
-- {table} and {index} are identifiers composed with psycopg.sql.Identifier (lgs_core/postgres.py), never
-- string formatting. Runs in one transaction with the load that needs it (pg-load), so it is idempotent.
create table if not exists {table} (
    invoice_no varchar(10) not null,     -- 6 digits; a leading C marks a cancellation, A a bad-debt adjustment
    stock_code varchar(20) not null,     -- 5 digits (+ letters) for a product; POST, BANK CHARGES, ... otherwise
    description text,                    -- missing on 4,382 lines of the full data set
    quantity integer not null,           -- negative on cancellations and stock corrections
    invoice_date timestamp not null,     -- local UK time, to the minute: no time zone in the source
    -- numeric(10, 3), not (10, 2): the full data set has £0.001 prices (PADS lines) that (10, 2) rounds to £0.00
    unit_price numeric(10, 3) not null,
    customer_id integer,                 -- missing on about a quarter of lines (guest checkout)
    country text not null
);

-- The sync reads `where invoice_date > watermark`: without this index every incremental sync scans the table.
create index if not exists {index} on {table} (invoice_date);
