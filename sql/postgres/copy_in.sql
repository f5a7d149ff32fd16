-- pg-load: the validated lines of a file, streamed as CSV into the PostgreSQL table.
-- Grain: one row per line. {table}: an identifier composed with psycopg.sql.Identifier.
-- Columns by name, so a table whose column was renamed fails with that column's name (lgs_core/postgres.py).
copy {table} (invoice_no, stock_code, description, quantity, invoice_date, unit_price, customer_id, country)
from stdin with (format csv)
