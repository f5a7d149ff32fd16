-- Remove the row sql/store/give_back_space_mark.sql wrote (store._give_back_space).
-- Grain: one store_meta row, key 'give_back_space'. Parameters: none.
delete from store_meta where key = 'give_back_space'
