-- What the store's lines hold (store.store_info: the Data page and `lgs info`).
-- Grain: one row. Units: counts of lines, invoices, customers and countries; the first and last invoice
-- date (timestamps, local UK time; null when there is no line). Parameters: none.
select count(*), count(distinct invoice), count(distinct customer_id), count(distinct country),
       min(invoice_date), max(invoice_date)
from lines
