"""The one way to run a query of sql/: ``run(con, "analytics/monthly", params)`` returns its rows as Polars.

``name`` is the file's path under sql/ without ``.sql`` ("analytics/monthly", "views/kpis",
"segments/affinity_baskets"). ``params`` may hold more than the file uses: only the ``$name`` parameters it
uses are passed (``window.bind``; DuckDB refuses unused ones), and one it uses but ``params`` lacks is a bug
(ValueError).

``con`` is a DuckDB store connection (the result drained with ``.pl()``: DuckDB's results stream) or an
``Engine`` that runs the same files elsewhere (``lgs_core.query.pushdown.PostgresEngine``: the file bound in
the engine's dialect, e.g. psycopg's ``%(name)s``).

Summaries: on a DuckDB store, a file that reads a summary table (``store.SUMMARY_TABLES``: invoice_summary,
customer_first) needs ``store.read_summaries(con)`` first, so the name reads the table when it is current and
a view over the lines when it is not. Which files read one is decided by the file itself, once: its
``from``/``join`` table names, scanned without its comments on first use and cached (``reads_summary``). A
CTE is never named like a summary, so a name found there is the table. An Engine makes its own summaries
(pushdown's temporary views), and is not asked.

``rows`` and ``scalar`` are the same for queries of one row or one value; ``execute`` runs a file that
writes (DuckDB only). ``run_sql`` runs SQL built in code (the saved-segment rule compiler), which reads no
summary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any, Protocol

import duckdb
import polars as pl

from lgs_core.query.window import Dialect, bind
from lgs_core.sqlfiles import read_sql
from lgs_core.store import store


class Engine(Protocol):
    """A database that runs the SQL files itself (not a DuckDB store): ``lgs_core.query.pushdown``.

    ``frame`` runs one query, already in the engine's ``dialect``, and returns its rows as Polars with the
    types a DuckDB store gives (money ``Decimal(38, 3)``, counts ``Int64``, ``cast(… as integer)`` ``Int32``).
    """

    @property
    def dialect(self) -> Dialect: ...

    def frame(self, sql: str, params: dict[str, Any]) -> pl.DataFrame: ...


# What every analysis accepts: a DuckDB store connection or an Engine.
Connection = duckdb.DuckDBPyConnection | Engine

# A table a query reads: the name after `from` or `join` (schema-qualified names keep their last part).
_TABLE = re.compile(r"\b(?:from|join)\s+(?:[A-Za-z_][A-Za-z0-9_]*\.)*([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


def _text(name: str) -> str:
    return read_sql(f"{name}.sql")


def _without_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def tables_in(sql: str) -> frozenset[str]:
    """The table (or CTE) names ``sql`` reads with ``from`` or ``join``, lower case; comments ignored."""
    return frozenset(t.lower() for t in _TABLE.findall(_without_comments(sql)))


@cache
def tables_read(name: str) -> frozenset[str]:
    """``tables_in`` sql/<name>.sql: scanned once per file."""
    return tables_in(_text(name))


def reads_summary(name: str) -> bool:
    """Whether sql/<name>.sql reads a summary table (then ``store.read_summaries`` runs before it)."""
    return not tables_read(name).isdisjoint(store.SUMMARY_TABLES)


def _bound(con: Connection, name: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    if isinstance(con, duckdb.DuckDBPyConnection):
        if reads_summary(name):
            store.read_summaries(con)
        return bind(_text(name), params, name=name)
    return bind(_text(name), params, dialect=con.dialect, name=name)


def run(con: Connection, name: str, params: Mapping[str, Any]) -> pl.DataFrame:
    """The rows of sql/<name>.sql with ``params`` (those it uses), as a Polars frame."""
    sql, bound = _bound(con, name, params)
    if isinstance(con, duckdb.DuckDBPyConnection):
        return con.sql(sql, params=bound).pl()
    return con.frame(sql, bound)


def rows(con: Connection, name: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of sql/<name>.sql as tuples (Python values: ``datetime``, ``Decimal``...)."""
    sql, bound = _bound(con, name, params or {})
    if isinstance(con, duckdb.DuckDBPyConnection):
        return con.execute(sql, bound).fetchall()
    return con.frame(sql, bound).rows()


def scalar(con: Connection, name: str, params: Mapping[str, Any] | None = None) -> Any:
    """The one value of a query of one row and one column (None when it returns no row)."""
    found = rows(con, name, params)
    return found[0][0] if found else None


def execute(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> None:
    """Run sql/<name>.sql, a statement that writes (DDL, insert, delete), on a DuckDB store."""
    sql, bound = _bound(con, name, params or {})
    con.execute(sql, bound)


def run_sql(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any], *, name: str
) -> pl.DataFrame:
    """``run`` for SQL built in code, not read from sql/ (``name`` says which, in errors). It must read no
    summary table: nothing puts the summaries' names in place for it."""
    sql, bound = bind(sql, params, name=name)
    return con.sql(sql, params=bound).pl()
