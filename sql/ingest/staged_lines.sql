-- The validated lines that load (no reason): what lgs_core.store.store.insert_staged_lines writes into `lines`
-- (lgs_core.sources.ingest.write_validated, once per validated chunk, inside the load's transaction).
-- Grain: one row per loading line of temp table `validated`. Parameters: none.
create or replace temp view staged_lines as
select *
from validated
where reason is null
