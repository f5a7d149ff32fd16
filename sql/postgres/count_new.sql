-- sync: how many lines the COPY of copy_out.sql will send (for progress and for the reconciliation check),
-- and how many lines are dated at or before the watermark (an incremental sync checks them against the lines
-- its earlier syncs read: a line added behind the watermark, or one deleted, makes it a full sync instead).
-- Grain: one row. Same filter and parameters as copy_out.sql, in the same read-only snapshot.
select
    count(*) filter (where %(watermark)s is null or {invoice_date} > %(watermark)s) as lines,
    count(*) filter (where %(watermark)s is not null and {invoice_date} <= %(watermark)s) as older
from {table}
