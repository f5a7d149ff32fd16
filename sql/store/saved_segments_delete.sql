-- Delete the saved segment named exactly $name (lgs_core.analyses.saved_segments.apply_change, in its
-- transaction). Parameters: $name varchar, the name as saved.
delete from saved_segments
where name = $name
