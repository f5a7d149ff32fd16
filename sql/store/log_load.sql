-- Record one load in load_log (store.log_load), with its watermark: the newest invoice_date the store has
-- read, of its lines or of a quarantined line whose date text is an accepted timestamp.
-- Grain: one load_log row. Units: timestamps local UK time; row counts.
-- Parameters: $load_id integer; $kind, $source, $fingerprint, $mode varchar; $loaded_at timestamp;
-- $rows_read, $rows_loaded, $rows_quarantined bigint; $loaded_by varchar (who); $first, $end timestamps,
-- the accepted invoice dates (first <= date < end: store.accepted_invoice_dates).
insert into load_log by name
select $load_id as load_id, $kind as kind, $source as source, $fingerprint as fingerprint,
       $mode as mode, $loaded_at as loaded_at, $rows_read as rows_read, $rows_loaded as rows_loaded,
       $rows_quarantined as rows_quarantined,
       greatest(
           (select max(invoice_date) from lines),
           (
               -- DuckDB's cast drops a BC suffix (4713 BC reads as 4713 AD): such a date is not one
               select max(try_cast(invoice_date as timestamp)) from quarantine
               where not ends_with(invoice_date, ' BC')
                   and try_cast(invoice_date as timestamp) >= $first
                   and try_cast(invoice_date as timestamp) < $end
           )
       ) as watermark,
       $loaded_by as loaded_by
