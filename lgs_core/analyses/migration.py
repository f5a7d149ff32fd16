"""Segment migration (issue #9; docs/SEGMENTATION.md "Segment migration").

RFM is scored at two reference dates with the same parameters: at a reference date D the window runs from the
date range's start to D − 1 day (so "today" is D, and every purchase before it counts). Every customer
scored at the second date is in exactly one cell of the transition matrix:

- from: their segment at the first date, or **New** when they were not a customer then (no purchase from the
  window's start to the day before the first date);
- to: their segment at the second date, or **Lapsed** when they were a customer at the first date but made
  no purchase from the first date to the day before the second (their second score rests on old purchases
  only). ``lapsed_as_state=False`` keeps their second segment instead, so the columns equal the second
  date's RFM segments.

Both windows start on the same day, so nobody scored at the first date is unscored at the second: the
matrix holds every customer of the second date, and its row sums are the first date's segment sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import polars as pl

from lgs_core import glossary
from lgs_core.analyses import export
from lgs_core.analyses.rfm import RfmParams, RfmResult, rfm
from lgs_core.errors import LgsError
from lgs_core.query.window import Window, store_bounds
from lgs_core.store import store

NEW = "New"
LAPSED = "Lapsed"
# The names used instead when the segment map has a segment called New (rfm11 does) or Lapsed.
NEW_IF_TAKEN = "Not yet a customer"
LAPSED_IF_TAKEN = "Lapsed (no purchase)"

DEFINITIONS: dict[str, str] = glossary.section("migration")  # docs/DEFINITIONS.md

_CUSTOMER_SCHEMA: dict[str, Any] = {
    "customer_id": pl.Int32,
    "country": pl.String,
    "from_state": pl.String,
    "to_state": pl.String,
    "from_segment": pl.String,
    "to_segment": pl.String,
    "lapsed": pl.Boolean,
    "from_rfm": pl.String,
    "to_rfm": pl.String,
    "from_recency_days": pl.Int32,
    "to_recency_days": pl.Int32,
    "from_frequency": pl.Int32,
    "to_frequency": pl.Int32,
    "from_monetary": pl.Decimal(38, 3),
    "to_monetary": pl.Decimal(38, 3),
    "first_purchase": pl.Datetime("us"),
    "last_purchase": pl.Datetime("us"),
}


@dataclass(frozen=True)
class Migration:
    """Where customers went between two reference dates. ``customers``: one row per customer scored at the
    second date (columns of ``_CUSTOMER_SCHEMA``: the from/to state, both segments and scores, ``lapsed``),
    by customer id. ``from_states`` / ``to_states``: the matrix's rows and columns in display order."""

    window: Window
    params: RfmParams
    from_date: date
    to_date: date
    lapsed_as_state: bool
    customers: pl.DataFrame
    from_states: tuple[str, ...]
    to_states: tuple[str, ...]
    from_customers: int  # scored at the first date
    to_customers: int  # scored at the second date
    data_version: str = ""

    @property
    def is_empty(self) -> bool:
        return self.customers.is_empty()

    @property
    def new_state(self) -> str:
        """The name of the New row: "New", or "Not yet a customer" when the map has a segment named New."""
        return self.from_states[0]

    @property
    def lapsed_state(self) -> str:
        """The name of the Lapsed column ("Lapsed (no purchase)" when the map has a segment named Lapsed)."""
        return LAPSED_IF_TAKEN if LAPSED in self.params.segments.segments else LAPSED

    @property
    def new_customers(self) -> int:
        """Customers at the second date who were not customers at the first."""
        return int((self.customers["from_segment"].is_null()).sum())

    @property
    def lapsed_customers(self) -> int:
        """Customers at the first date with no purchase between the two dates (in the Lapsed column or not)."""
        return int(self.customers["lapsed"].sum())

    def flows(self) -> pl.DataFrame:
        """The matrix as a long frame: every (from_state, to_state) pair, with customers, share_of_from
        (0–1; null for an empty row) and share_of_all (0–1), rows then columns in display order."""
        counts = self.customers.group_by("from_state", "to_state").agg(pl.len().alias("customers"))
        grid = pl.DataFrame(
            {
                "from_state": [f for f in self.from_states for _ in self.to_states],
                "to_state": [t for _ in self.from_states for t in self.to_states],
                "from_order": [i for i in range(len(self.from_states)) for _ in self.to_states],
                "to_order": [j for _ in self.from_states for j in range(len(self.to_states))],
            }
        )
        total = self.customers.height
        frame = (
            grid.join(counts, on=["from_state", "to_state"], how="left")
            .with_columns(pl.col("customers").fill_null(0).cast(pl.Int64))
            .with_columns(pl.col("customers").sum().over("from_state").alias("_row"))
            .with_columns(
                pl.when(pl.col("_row") > 0)
                .then(pl.col("customers") / pl.col("_row"))
                .otherwise(None)
                .alias("share_of_from"),
                (pl.col("customers") / total if total else pl.lit(None, pl.Float64)).alias("share_of_all"),
            )
            .sort("from_order", "to_order")
        )
        return frame.select("from_state", "to_state", "customers", "share_of_from", "share_of_all")

    def matrix(self) -> pl.DataFrame:
        """The transition matrix of counts: a row per from_state, a column per to_state, and ``total``."""
        flows = self.flows()
        wide = flows.pivot(on="to_state", index="from_state", values="customers", sort_columns=False)
        wide = wide.select("from_state", *self.to_states)
        return wide.with_columns(pl.sum_horizontal(*self.to_states).alias("total"))

    def cell(self, from_state: str, to_state: str) -> pl.DataFrame:
        """The customers behind one cell ("who slipped from Champions to At Risk"), by customer id."""
        from_state = match_state(from_state, self.from_states, "from state")
        to_state = match_state(to_state, self.to_states, "to state")
        return self.customers.filter(
            (pl.col("from_state") == from_state) & (pl.col("to_state") == to_state)
        ).sort("customer_id")

    def manifest(
        self, table: pl.DataFrame, what: str, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The manifest of an exported ``table`` of this result: the RFM parameters and both dates."""
        params = {**self.params.to_json(), **{k: v for k, v in self.to_json().items() if k != "window"}}
        return export.build_manifest(
            self.window, params, self.data_version, rows=table.height, what=what, filters=filters
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "parameters": self.params.to_json(),
            "from_date": self.from_date.isoformat(),
            "to_date": self.to_date.isoformat(),
            "lapsed_as_state": self.lapsed_as_state,
            "from_customers": self.from_customers,
            "to_customers": self.to_customers,
        }


def match_state(name: str, states: tuple[str, ...], where: str) -> str:
    """``name`` as ``states`` spell it (case and surrounding spaces forgiven), or an LgsError listing them."""
    wanted = name.strip().casefold()
    for known in states:
        if known.casefold() == wanted:
            return known
    raise LgsError(f"no {where} named {name!r}", where=where, todo=f"use one of: {', '.join(states)}")


def reference_windows(window: Window, from_date: date, to_date: date) -> tuple[Window, Window]:
    """The two RFM windows: the date range's start to each reference date − 1 day (checked)."""
    if from_date >= to_date:
        raise LgsError(
            f"the first reference date ({from_date}) is not before the second ({to_date})",
            where="--from-date/--to-date",
            todo="choose a first date earlier than the second, e.g. 2011-01-01 and 2012-01-01",
        )
    if window.start is not None and from_date <= window.start:
        raise LgsError(
            f"the first reference date ({from_date}) is not after the date range's start ({window.start})",
            where="--from-date",
            todo="choose a first date after the start, so some purchases come before it",
        )
    if window.end is not None and to_date > window.end + timedelta(days=1):
        raise LgsError(
            f"the second reference date ({to_date}) is after the day after the date range's end ({window.end})",
            where="--to-date",
            todo=f"choose {window.end + timedelta(days=1)} or earlier, or widen the date range",
        )
    first = replace(window, end=from_date - timedelta(days=1))
    second = replace(window, end=to_date - timedelta(days=1))
    return first, second


def default_reference_dates(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[date, date]:
    """The page's default: the day after the window's end, and one year before it (clamped after the start)."""
    first, last = store_bounds(con)
    end = window.end or (last.date() if isinstance(last, datetime) else last) or date.today()
    start = window.start or (first.date() if isinstance(first, datetime) else first) or end
    to_date = end + timedelta(days=1)
    try:
        from_date = to_date.replace(year=to_date.year - 1)
    except ValueError:  # 29 February
        from_date = to_date - timedelta(days=365)
    if from_date <= start:
        from_date = start + timedelta(days=(to_date - start).days // 2)
    return from_date, to_date


def migration(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    from_date: date,
    to_date: date,
    params: RfmParams | None = None,
    *,
    lapsed_as_state: bool = True,
) -> Migration:
    """RFM at ``from_date`` and ``to_date`` with ``params`` (their reference date replaced by each date) and
    the transition of every customer between them (docs/SEGMENTATION.md "Segment migration")."""
    params = params or RfmParams()
    first_window, second_window = reference_windows(window, from_date, to_date)
    first = rfm(con, first_window, replace(params, reference_date=from_date))
    second = rfm(con, second_window, replace(params, reference_date=to_date))
    segments = params.segments.segments
    new = NEW_IF_TAKEN if NEW in segments else NEW
    lapsed = LAPSED_IF_TAKEN if LAPSED in segments else LAPSED
    customers = _transitions(first, second, from_date, lapsed_as_state, new, lapsed)
    return Migration(
        window=window,
        params=params,
        from_date=from_date,
        to_date=to_date,
        lapsed_as_state=lapsed_as_state,
        customers=customers,
        from_states=(new, *segments),
        to_states=(*segments, lapsed) if lapsed_as_state else tuple(segments),
        from_customers=first.customers.height,
        to_customers=second.customers.height,
        data_version=store.data_version(con),
    )


def _transitions(
    first: RfmResult, second: RfmResult, from_date: date, lapsed_as_state: bool, new: str, lapsed: str
) -> pl.DataFrame:
    keep = ["customer_id", "segment", "rfm", "recency_days", "frequency", "monetary"]
    before = first.customers.select(keep).rename({c: f"from_{c}" for c in keep if c != "customer_id"})
    after = second.customers.select(
        "customer_id", "country", "first_purchase", "last_purchase", *keep[1:]
    ).rename({c: f"to_{c}" for c in keep if c != "customer_id"})
    # Every customer of the first date is scored at the second (both windows start on the same day).
    missing = before.join(after, on="customer_id", how="anti")
    assert missing.is_empty(), f"{missing.height} customer(s) scored at the first date but not the second"
    first_day = datetime.combine(from_date, time())
    joined = after.join(before, on="customer_id", how="left").with_columns(
        (pl.col("from_segment").is_not_null() & (pl.col("last_purchase") < first_day)).alias("lapsed")
    )
    to_state = (
        pl.when(pl.col("lapsed")).then(pl.lit(lapsed)).otherwise(pl.col("to_segment"))
        if lapsed_as_state
        else pl.col("to_segment")
    )
    joined = joined.with_columns(
        pl.col("from_segment").fill_null(new).alias("from_state"),
        to_state.alias("to_state"),
    )
    return (
        joined.select(list(_CUSTOMER_SCHEMA)).cast(_CUSTOMER_SCHEMA).sort("customer_id")  # type: ignore[arg-type]
    )
