-- Write a store_meta row so that a checkpoint truncates the file's free end (store._give_back_space);
-- sql/store/give_back_space_unmark.sql removes it again at once, leaving the data as it was.
-- Grain: one store_meta row, key 'give_back_space'. Parameters: none.
insert or replace into store_meta values ('give_back_space', '')
