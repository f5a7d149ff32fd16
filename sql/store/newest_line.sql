-- The store's newest invoice date: a sync's watermark after it wrote (lgs_core.sources.postgres.sync).
-- Grain: one row (null when the store holds no line). Units: a timestamp, local UK time. Parameters: none.
select max(invoice_date) from lines
