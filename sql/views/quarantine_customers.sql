-- How many distinct customer numbers the quarantine's lines carry: the Data page's quarantine download is
-- personal data, recorded in the export log with this count (issue #16).
-- Grain: one row. Units: customers (distinct non-blank customer_id texts as read).
-- No parameters: the quarantine belongs to the current data set, not to a window.
select cast(count(distinct nullif(trim(customer_id), '')) as bigint) as customers
from quarantine
