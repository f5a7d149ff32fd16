-- The store file's blocks, after a write that filled the disk was rolled back (store._give_back_space).
-- Grain: one row. Units: total_blocks and free_blocks counts, block_size bytes. Parameters: none.
select total_blocks, block_size, free_blocks from pragma_database_size()
