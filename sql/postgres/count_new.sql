-- sync: how many lines the COPY of copy_out.sql will send (for progress and for the reconciliation check).
-- Grain: one row. Same filter and parameters as copy_out.sql, in the same read-only snapshot.
select count(*) as lines
from {table}
where %(watermark)s is null or {invoice_date} > %(watermark)s
