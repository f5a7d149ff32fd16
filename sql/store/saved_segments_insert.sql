-- Save one segment (apply_change deletes the previous row of an edit first, in the same transaction).
-- Parameters: $name varchar; $rule varchar, the rule's JSON; $created, $updated timestamps (local);
-- $by varchar, who saved it (null: no sign-in).
insert into saved_segments values ($name, $rule, $created, $updated, $by)
