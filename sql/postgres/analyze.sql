-- pg-load, after the COPY: fresh statistics, as a DBA runs after a bulk load. Without them (autovacuum off,
-- or not yet run) the planner guesses a third of the table newer than a sync's watermark and scans all of it
-- instead of reading the invoice_date index (an incremental sync at 10M lines: 0.75 s for 10k lines).
-- {table}: an Identifier.
analyze {table}
