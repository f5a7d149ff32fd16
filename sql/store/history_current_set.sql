-- The current data set's counts and dates, as it is kept (history.keep_current).
-- Grain: one row. Units: counts of lines and quarantined lines; the first and last invoice date
-- (timestamps, local UK time; null when there is no line). Parameters: none.
select (select count(*) from lines), (select count(*) from quarantine),
(select min(invoice_date) from lines), (select max(invoice_date) from lines)
