-- The sync's validated chunk in the store's connection: temp view `validated` over the registered Arrow copy
-- `validated_chunk` of the scratch connection's table (lgs_core.sources.postgres), for write_validated.
create or replace temp view validated as
select * from validated_chunk
