"""The window an analysis looks at (dates, countries, products only) and the queries that read it.

Every query in ``sql/analytics/`` filters ``lines`` the same way, with these parameters:

- ``$start`` timestamp, inclusive; ``$end_excl`` timestamp, exclusive (the end date + 1 day);
- ``$countries`` varchar list and ``$all_countries`` boolean (an empty list means every country);
- ``$products_only`` boolean (keep only product stock codes, DOMAIN.md §1 "StockCode").

``query(name, window, bounds)`` returns ``(sql, params)`` for one file: the parameters the file uses, no more
(DuckDB refuses unused ones), in DuckDB's ``$name`` form or, with ``dialect="postgres"``, psycopg's ``%(name)s``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol

from lgs_core.errors import LgsError
from lgs_core.sqlfiles import for_postgres, read_sql

Dialect = Literal["duckdb", "postgres"]

# The bounds used when a window is open-ended and the store's bounds are unknown (an empty store):
# wide enough for any data set, and valid timestamps in both DuckDB and PostgreSQL.
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(9999, 1, 1)

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class _Connection(Protocol):
    def execute(self, query: str, parameters: Any = ...) -> Any: ...


Bounds = tuple[date | datetime | None, date | datetime | None]


def store_bounds(con: _Connection) -> Bounds:
    """The first and last invoice_date in the store (``(None, None)`` when it is empty)."""
    row = con.execute(read_sql("store/bounds.sql")).fetchall()[0]
    return row[0], row[1]


def _as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


@dataclass(frozen=True)
class Window:
    """Which lines an analysis reads: ``start``..``end`` inclusive dates (None: from/to the edge of the data),
    ``countries`` (empty: all), ``products_only`` (drop postage, fees, manual lines; DOMAIN.md §1).
    """

    start: date | None = None
    end: date | None = None
    countries: tuple[str, ...] = field(default=())
    products_only: bool = False

    def __post_init__(self) -> None:
        # Dates only: a datetime would silently move the inclusive end by its time of day.
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                object.__setattr__(self, name, value.date())
            elif value is not None and not isinstance(value, date):
                raise TypeError(f"Window.{name} is a date, not {type(value).__name__}: parse text before")
        if isinstance(self.countries, str):
            raise TypeError("Window.countries is a tuple of country names, not a string")
        # Sorted and de-duplicated, so equal windows are equal (and cache alike).
        object.__setattr__(self, "countries", tuple(sorted({str(c) for c in self.countries})))
        if self.start is not None and self.end is not None and self.end < self.start:
            raise LgsError(
                f"the window ends ({self.end}) before it starts ({self.start})",
                where="date range",
                todo="choose an end date on or after the start date",
            )

    def resolved(self, con_or_bounds: _Connection | Bounds | None = None) -> Window:
        """This window with open ends replaced by the data's first and last day (as far as known)."""
        first, last = _bounds(con_or_bounds)
        return replace(
            self,
            start=self.start if self.start is not None else first,
            end=self.end if self.end is not None else last,
        )

    def params(self, con_or_bounds: _Connection | Bounds | None = None) -> dict[str, Any]:
        """The SQL parameters of this window. ``con_or_bounds`` (a connection, or the data's first and last
        date) fills open ends; without it they are 1900-01-01 and 9999-01-01, which select the same lines.
        """
        first, last = _bounds(con_or_bounds)
        start_day = self.start if self.start is not None else first
        end_day = self.end if self.end is not None else last
        start = datetime.combine(start_day, time()) if start_day is not None else EARLIEST
        end_excl = datetime.combine(end_day + timedelta(days=1), time()) if end_day is not None else LATEST
        return {
            "start": start,
            "end_excl": end_excl,
            "countries": list(self.countries),
            "all_countries": not self.countries,
            "products_only": bool(self.products_only),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "countries": list(self.countries),
            "products_only": self.products_only,
        }

    @property
    def label(self) -> str:
        start = f"{self.start:%d %b %Y}" if self.start else "first day"
        end = f"{self.end:%d %b %Y}" if self.end else "last day"
        where = ", ".join(self.countries) if self.countries else "all countries"
        what = "products only" if self.products_only else "all lines"
        return f"{start} – {end} · {where} · {what}"


def _bounds(con_or_bounds: _Connection | Bounds | None) -> tuple[date | None, date | None]:
    if con_or_bounds is None:
        return None, None
    if isinstance(con_or_bounds, tuple):
        first, last = con_or_bounds
    else:
        first, last = store_bounds(con_or_bounds)
    return _as_date(first), _as_date(last)


def sql_parameters(sql: str) -> list[str]:
    """The ``$name`` parameters a query uses, in order of first use."""
    return list(dict.fromkeys(_PARAM.findall(_strip_comments(sql))))


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def query(
    name: str,
    window: Window,
    con_or_bounds: _Connection | Bounds | None = None,
    *,
    dialect: Dialect = "duckdb",
    **extra: Any,
) -> tuple[str, dict[str, Any]]:
    """``(sql, params)`` for ``sql/analytics/<name>.sql`` over ``window``; ``extra`` adds query-specific
    parameters (e.g. ``classic``). Only the parameters the file uses are returned; a missing one is a bug.
    """
    sql = read_sql(f"analytics/{name}.sql")
    return bind(sql, {**window.params(con_or_bounds), **extra}, dialect=dialect, name=name)


def bind(
    sql: str, available: Mapping[str, Any], *, dialect: Dialect = "duckdb", name: str = "query"
) -> tuple[str, dict[str, Any]]:
    """Keep the parameters ``sql`` uses; fail on one it uses but ``available`` lacks."""
    used = sql_parameters(sql)
    missing = [p for p in used if p not in available]
    if missing:
        raise ValueError(f"{name}: no value for parameter(s) {', '.join('$' + p for p in missing)}")
    params = {p: available[p] for p in used}
    if dialect == "postgres":
        # Comments go: psycopg would read a `%(name)s` in a comment as a placeholder too.
        return for_postgres(_strip_comments(sql)), params
    return sql, params
