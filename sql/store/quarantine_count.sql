-- How many refused lines the store holds (store.store_info).
-- Grain: one row. Units: a count of quarantined lines. Parameters: none.
select count(*) from quarantine
