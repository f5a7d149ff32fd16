-- A session that only reads from here on: the sync's (its one transaction a snapshot) and the push-down
-- engine's after it made its temporary views (lgs_core.sources.postgres, lgs_core.query.pushdown).
set session characteristics as transaction read only
