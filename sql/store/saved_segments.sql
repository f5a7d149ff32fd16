-- Saved segments (issue #18; docs/SEGMENTATION.md "Saved segments"). A saved segment is its rule, a
-- definition and not a list of customers: it is evaluated again on whatever the store holds, so it survives
-- a reload, an append, a sync or a replacement of the data set (no load or sync touches this table).
-- Grain: one row per saved segment; names are unique ignoring case. Units: rule the JSON of
-- lgs_core.segment_rules (Group.to_text); times local; updated_by who saved it last (null: no sign-in yet).
create table if not exists saved_segments (
    name varchar primary key,
    rule varchar not null,
    created_at timestamp not null,
    updated_at timestamp not null,
    updated_by varchar
);
