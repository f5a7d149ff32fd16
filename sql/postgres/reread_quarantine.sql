-- sync (runs in DuckDB, on the store), before an incremental sync reads the table's lines dated after
-- $watermark: the quarantined lines dated after it are among them (a date beyond the accepted range, such as
-- year 2911 or 'infinity', is never the watermark: store.log_load), so their earlier copies go and each is
-- quarantined once, by this sync. Dates as PostgreSQL's COPY writes a timestamp: ISO text, 'infinity',
-- '-infinity', a ' BC' suffix (which DuckDB's cast drops), years past DuckDB's 294247 as 6 digits.
-- Grain: deletes rows of `quarantine`.
delete from quarantine
where invoice_date = 'infinity'
    or regexp_matches(invoice_date, '^[0-9]{6}-')
    or (not ends_with(invoice_date, ' BC') and try_cast(invoice_date as timestamp) > $watermark)
