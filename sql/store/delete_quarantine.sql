-- Empty `quarantine` (store.clear_data, inside the replace's transaction, after history.keep_current).
-- Grain: every row of quarantine. Parameters: none.
delete from quarantine
