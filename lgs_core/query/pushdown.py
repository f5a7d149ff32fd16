"""Push-down: run the analyses inside PostgreSQL, on LGS's `retail` table, for data too big to pull (issue #4).

``PostgresEngine(dsn, table)`` is a ``query.run.Engine``: ``analytics.monthly``, ``weekly``,
``invoice_distribution``, ``totals`` and ``rfm.rfm`` take it where they take a DuckDB store, and run the same
sql/analytics files there (``query.run.run``, bound in the "postgres" dialect), so only the aggregated rows travel.

The relations those files read (``lines``, ``invoice_summary``) are TEMPORARY views created once per session
over the table (sql/postgres/views.sql, the table composed with ``psycopg.sql.Identifier``); then the session
turns read-only: nothing it runs can write. A partitioned table, or a view with the table's columns, works
the same. Results come back as Polars frames with the store's types (money ``Decimal(38, 3)``).

Errors are the one-line messages of ``lgs_core.sources.postgres`` (host, database, user and table; never the
password).
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Any

import polars as pl
import psycopg
from psycopg import sql

from lgs_core.query.window import Dialect
from lgs_core.sources import postgres
from lgs_core.sqlfiles import read_sql
from lgs_core.store import store

# PostgreSQL's result types as the store's Polars types (what DuckDB's .pl() gives for the same columns).
# numeric is money here (sums of DECIMAL(18, 3) pounds): Decimal(38, 3), as DuckDB types those sums.
_POLARS_TYPES: dict[str, pl.DataType] = {
    "bool": pl.Boolean(),
    "int2": pl.Int16(),
    "int4": pl.Int32(),
    "int8": pl.Int64(),
    "float4": pl.Float32(),
    "float8": pl.Float64(),
    "numeric": pl.Decimal(38, 3),
    "text": pl.String(),
    "varchar": pl.String(),
    "bpchar": pl.String(),
    "name": pl.String(),
    "date": pl.Date(),
    "timestamp": pl.Datetime("us"),
    "time": pl.Time(),
}


class PostgresEngine:
    """The analyses' queries, run inside PostgreSQL over ``table`` (default ``retail``).

    Connects on first use; close it (or use it as a context manager) when done. One session serves every
    query: the temporary views are made once.
    """

    def __init__(self, dsn: str, table: str = postgres.DEFAULT_TABLE) -> None:
        self.dsn = dsn
        self.table = table
        self._ident = postgres.table_identifier(table)
        self._conn: psycopg.Connection[Any] | None = None

    @property
    def dialect(self) -> Dialect:
        return "postgres"

    @property
    def target(self) -> str:
        """'host H, database D, user U, table T': what messages and manifests name (never the password)."""
        return postgres.sync_source(self.dsn, self.table)

    def __enter__(self) -> PostgresEngine:
        self._connection()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            with postgres._pg_errors(self.dsn, self.table, sync=False):
                conn = postgres._connect(self.dsn, read_only=False, purpose="push-down")
                try:
                    conn.execute(views_sql(self.table))
                    conn.execute(read_sql("postgres/pushdown_session.sql"))  # the planner settings: why there
                    # From here on the session only reads (the views above are its own, temporary).
                    conn.execute(read_sql("postgres/read_only.sql"))
                except BaseException:
                    conn.close()
                    raise
            self._conn = conn
        return self._conn

    def frame(self, query: str, params: dict[str, Any]) -> pl.DataFrame:
        """Run one query (psycopg's ``%(name)s`` form) and return its rows with the store's types."""
        with postgres._pg_errors(self.dsn, self.table, sync=False):
            conn = self._connection()
            with conn.cursor() as cur:
                cur.execute(query, params)
                description = cur.description or []
                rows = cur.fetchall()
        schema = {d.name: _polars_type(d.type_code) for d in description}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def data_version(self) -> str:
        """What an export's manifest records as its data: the table and its newest line (by the index)."""
        with postgres._pg_errors(self.dsn, self.table, sync=False):
            conn = self._connection()
            found = conn.execute(
                sql.SQL(read_sql("postgres/newest_line.sql")).format(table=self._ident)  # type: ignore[arg-type]
            ).fetchall()
        newest = found[0][0] if found else None
        stamp = newest.isoformat(sep=" ") if isinstance(newest, datetime) else "empty"
        return f"postgres: {self.target}, newest line {stamp}"


def views_sql(table: str) -> sql.Composed:
    """sql/postgres/views.sql for ``table``: the temporary views ``lines``, ``invoice_summary`` and
    ``customer_first``."""
    template = sql.SQL(read_sql("postgres/views.sql"))  # type: ignore[arg-type]
    first_date, end_date = store.accepted_invoice_dates()
    return template.format(
        table=postgres.table_identifier(table),
        first_date=sql.Literal(first_date),
        end_date=sql.Literal(end_date),
        summary=sql.SQL(read_sql("store/summaries.sql").strip()),  # type: ignore[arg-type]
        customer_first=sql.SQL(read_sql("store/customer_first.sql").strip()),  # type: ignore[arg-type]
    )


def _polars_type(oid: int) -> pl.DataType:
    info = psycopg.postgres.types.get(oid)
    name = info.name if info is not None else str(oid)
    try:
        return _POLARS_TYPES[name]
    except KeyError:
        raise TypeError(f"push-down: no Polars type for PostgreSQL type {name}") from None
