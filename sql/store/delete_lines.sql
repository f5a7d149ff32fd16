-- Empty `lines` (store.clear_data, inside the replace's transaction, after history.keep_current).
-- Grain: every row of lines. Parameters: none.
delete from lines
