-- The blocks a kept table holds in the store file (history._kept_bytes; lines not yet checkpointed: none).
-- Grain: one row per persistent column segment. Units: block ids. Parameters: $t varchar, the table's name.
select block_id, additional_block_ids from pragma_storage_info($t) where persistent
