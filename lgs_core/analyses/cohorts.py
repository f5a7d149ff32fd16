"""Cohort retention (issue #9; docs/SEGMENTATION.md "Cohort retention").

A cohort is the customers whose first purchase falls in a calendar month. For each cohort and each later
month of the window: how many of its customers bought (count and share of the cohort) and the revenue of
its lines. The first purchase is looked for at any date, in the window's countries and products, so a
customer who first bought before the window's start belongs to no cohort of the window (``earlier``):
a window starting in 2011 does not make 2010's customers look new.

``cohort_retention(con, window, preset)`` returns a ``CohortRetention``: the triangle as a long frame, the
cohorts, the customers behind them, and ``heatmap()`` (a Vega-Lite spec). Reconciles: Σ cohort sizes +
earlier customers = customers with a purchase in the window (RFM's ``customers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import duckdb
import polars as pl

from lgs_core import glossary
from lgs_core.analyses import export
from lgs_core.analyses.analytics import check_preset
from lgs_core.query.run import run
from lgs_core.query.window import Window
from lgs_core.store import store

Measure = Literal["active_share", "active_customers", "revenue"]
MEASURES: tuple[Measure, ...] = ("active_share", "active_customers", "revenue")

# The page's help texts.
DEFINITIONS: dict[str, str] = glossary.section("cohorts")  # docs/DEFINITIONS.md

_MONEY = pl.Decimal(38, 3)
_CELL_SCHEMA: dict[str, Any] = {
    "cohort_month": pl.Date,
    "activity_month": pl.Date,
    "months_since": pl.Int32,
    "cohort_customers": pl.Int64,
    "active_customers": pl.Int64,
    "active_share": pl.Float64,
    "revenue": _MONEY,
}
_CUSTOMER_SCHEMA: dict[str, Any] = {
    "customer_id": pl.Int32,
    "first_purchase": pl.Datetime("us"),
    "cohort_month": pl.Date,
    "purchases": pl.Int32,
    "revenue": _MONEY,
    "revenue_before_first_purchase": _MONEY,
}


@dataclass(frozen=True)
class CohortRetention:
    """The triangle of one window. ``cells``: cohort_month, activity_month, months_since, cohort_customers,
    active_customers, active_share (0–1), revenue (Decimal £), sorted by cohort then month; ``customers``:
    customer_id, first_purchase, cohort_month (null: earlier), purchases, revenue, revenue_before_first_purchase
    (lines before the first purchase's month: cancellations of orders from before the data starts, in no
    cell) — every customer with a purchase in the window. ``window`` has its open ends resolved to the data's first and last day.
    """

    window: Window
    preset: str
    cells: pl.DataFrame
    customers: pl.DataFrame
    data_version: str = ""

    @property
    def is_empty(self) -> bool:
        return self.cells.is_empty()

    @property
    def cohort_customers(self) -> int:
        """Σ cohort sizes: customers whose first purchase is in the window."""
        return int(self.customers["cohort_month"].is_not_null().sum())

    @property
    def earlier_customers(self) -> int:
        return int(self.customers["cohort_month"].is_null().sum())

    def cohorts(self) -> pl.DataFrame:
        """One row per cohort: cohort_month, customers, whole_month (False: the date range cuts the month
        short, so the cohort is partial), revenue (Σ over the window, £), active_share_month_1 (the share
        buying again in the next month; null when the window ends before it)."""
        schema: dict[str, Any] = {
            "cohort_month": pl.Date,
            "customers": pl.Int64,
            "whole_month": pl.Boolean,
            "revenue": _MONEY,
            "active_share_month_1": pl.Float64,
        }
        if self.is_empty:
            return pl.DataFrame(schema=schema)
        sizes = self.cells.filter(pl.col("months_since") == 0).select(
            "cohort_month", pl.col("cohort_customers").alias("customers")
        )
        revenue = self.cells.group_by("cohort_month").agg(pl.col("revenue").sum())
        next_month = self.cells.filter(pl.col("months_since") == 1).select(
            "cohort_month", pl.col("active_share").alias("active_share_month_1")
        )
        return (
            sizes.join(revenue, on="cohort_month", how="left")
            .join(next_month, on="cohort_month", how="left")
            .with_columns(self._whole_month(pl.col("cohort_month")).alias("whole_month"))
            .select(list(schema))
            .cast(schema)  # type: ignore[arg-type]
            .sort("cohort_month")
        )

    def _whole_month(self, month: pl.Expr) -> pl.Expr:
        start, end = self.window.start, self.window.end
        if start is None or end is None:
            return pl.lit(True)
        month_end = month.dt.offset_by("1mo").dt.offset_by("-1d")
        return (month >= pl.lit(start)) & (month_end <= pl.lit(end))

    def with_whole_months(self) -> pl.DataFrame:
        """``cells`` plus ``whole_month``: False when the date range cuts the activity month short (its
        counts are not comparable with a whole month's; the heat map marks them)."""
        return self.cells.with_columns(self._whole_month(pl.col("activity_month")).alias("whole_month"))

    def triangle(self, measure: Measure = "active_share") -> pl.DataFrame:
        """The triangle as a wide table: one row per cohort (cohort_month, customers), one column per
        months_since ("m0", "m1", …) holding ``measure``; null past the window's end."""
        if measure not in MEASURES:
            raise ValueError(f"measure is one of {', '.join(MEASURES)}, not {measure!r}")
        if self.is_empty:
            return pl.DataFrame(schema={"cohort_month": pl.Date, "customers": pl.Int64})
        longest = int(self.cells["months_since"].max())  # type: ignore[arg-type]
        wide = self.cells.pivot(
            on="months_since", index="cohort_month", values=measure, sort_columns=True
        ).rename({str(k): f"m{k}" for k in range(longest + 1)})
        sizes = self.cells.filter(pl.col("months_since") == 0).select(
            "cohort_month", pl.col("cohort_customers").alias("customers")
        )
        columns = [f"m{k}" for k in range(longest + 1)]
        return (
            sizes.join(wide, on="cohort_month", how="left")
            .select("cohort_month", "customers", *columns)
            .sort("cohort_month")
        )

    def customers_of(self, cohort_month: date | None) -> pl.DataFrame:
        """The customers of one cohort (``None``: the earlier customers), by customer id."""
        rows = (
            self.customers.filter(pl.col("cohort_month").is_null())
            if cohort_month is None
            else self.customers.filter(pl.col("cohort_month") == cohort_month)
        )
        return rows.sort("customer_id")

    def manifest(
        self, table: pl.DataFrame, what: str, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The manifest of an exported ``table`` of this result (lgs_core.analyses.export)."""
        return export.build_manifest(
            self.window,
            {"preset": self.preset},
            self.data_version,
            rows=table.height,
            what=what,
            filters=filters,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "preset": self.preset,
            "cohort_customers": self.cohort_customers,
            "earlier_customers": self.earlier_customers,
        }


def cohort_retention(
    con: duckdb.DuckDBPyConnection, window: Window, preset: str = "standard"
) -> CohortRetention:
    """Customers grouped by the month of their first purchase, and what each cohort did in every later
    month of ``window`` (docs/SEGMENTATION.md "Cohort retention")."""
    chosen = check_preset(preset)
    resolved = window.resolved(con)
    params = {**window.params(con), "classic": chosen == "classic"}
    cells = (
        run(con, "segments/cohort_activity", params)
        .cast(_CELL_SCHEMA)  # type: ignore[arg-type]
        .select(list(_CELL_SCHEMA))
        .sort("cohort_month", "activity_month")
    )
    customers = (
        run(con, "segments/cohort_customers", params)
        .cast(_CUSTOMER_SCHEMA)  # type: ignore[arg-type]
        .select(list(_CUSTOMER_SCHEMA))
        .sort("customer_id")
    )
    return CohortRetention(
        window=resolved, preset=chosen, cells=cells, customers=customers, data_version=store.data_version(con)
    )
