-- The validated lines that do not load, into `quarantine` with their reason and their text as read
-- (lgs_core.sources.ingest.write_validated, inside the load's transaction): nothing is lost.
-- Grain: one row per refused line of temp table `validated`. Parameters: $load_id, $source (the file's name).
insert into quarantine
select
    $load_id, $source, sheet, source_row, reason, invoice, stock_code, description,
    quantity_text, date_text, price_text, customer_text, country
from validated
where reason is not null
