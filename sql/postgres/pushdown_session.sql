-- The push-down engine's planner settings, once per session (lgs_core.query.pushdown). The views' groupings
-- have no statistics (grouped expressions), so the planner guesses 1 row for the invoice summary and, left
-- alone, joins by nested loops that re-aggregate it per customer: 1.3 s for RFM on the 34,766-line sample,
-- growing with the square of the customers. These queries are whole-window aggregations, where hash joins
-- are right: 0.2 s. JIT off: a query costed high by the disabled nested loops would otherwise be compiled
-- first (hundreds of ms, every query). work_mem: the summary's hash aggregate (~60,000 groups per million
-- lines) stays in memory, not on disk.
set enable_nestloop = off;
set jit = off;
set work_mem = '64MB';
