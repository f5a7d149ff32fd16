-- sync: the table's lines as CSV text, read in chunks and validated like a file's lines (issue #4).
-- Grain: one row per line; columns in lgs_core.ingest.CANONICAL order ({columns}: the table's own columns,
-- each an Identifier, or null for a missing description). {table}, {invoice_date}: Identifiers.
-- %(watermark)s: null for a full sync, else the newest invoice_date already in the store (ISO text, untyped,
-- so it compares as a timestamp on a typed column): an incremental sync reads only newer lines, by the index.
-- COPY cannot take server-side parameters: psycopg merges them client-side, quoted.
copy (
    select {columns}
    from {table}
    where %(watermark)s is null or {invoice_date} > %(watermark)s
) to stdout with (format csv)
