"""What the pages' models share: the sidebar's countries, a window resolved to the data's dates, the KPI figures of a window, the window
before it, months a window cuts short, and running a page's SQL (sql/views/).

Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from lgs_core.analyses.analytics import check_preset
from lgs_core.query.run import run
from lgs_core.query.window import Window, store_bounds


def resolve(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[Window, date | None, date | None]:
    """``window`` with the data's first and last day for the dates it leaves open, and those two days."""
    first, last = store_bounds(con)
    first_day = first.date() if first is not None and hasattr(first, "date") else first
    last_day = last.date() if last is not None and hasattr(last, "date") else last
    return window.resolved((first_day, last_day)), first_day, last_day


def mark_whole_months(monthly: pl.DataFrame, window: Window) -> pl.DataFrame:
    """Add ``whole_month``: False for a month the window's dates cut short (its first or last), whose sales
    and counts are not comparable with a whole month's. Charts fade those months."""
    if monthly.is_empty() or window.start is None or window.end is None:
        return monthly.with_columns(pl.lit(True).alias("whole_month"))
    month_end = pl.col("month").dt.offset_by("1mo").dt.offset_by("-1d")
    whole = (pl.col("month") >= pl.lit(window.start)) & (month_end <= pl.lit(window.end))
    return monthly.with_columns(whole.alias("whole_month"))


def countries(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The countries the sidebar offers: every country the store holds a line of, A–Z."""
    return sorted(str(c) for c in run(con, "store/countries", {})["country"].to_list())


def run_view(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]) -> pl.DataFrame:
    """sql/views/``name``.sql on the store."""
    return run(con, f"views/{name}", params)


@dataclass(frozen=True)
class WindowFigures:
    """The KPI figures of one window (sql/views/kpis.sql)."""

    lines: int
    sales: Decimal
    invoices: int
    canceled: int
    not_canceled: int
    active_customers: int
    new_customers: int
    preset: str = "standard"

    @property
    def orders(self) -> int:
        # DEFINITIONS.md `placed`: classic is the notebook's invoices − 2 × canceled.
        if self.preset == "classic":
            return self.invoices - 2 * self.canceled
        return self.not_canceled

    @property
    def aov(self) -> Decimal | None:
        if self.orders <= 0:
            return None
        return (self.sales / self.orders).quantize(Decimal("0.01"))


def window_figures(con: duckdb.DuckDBPyConnection, window: Window, preset: str = "standard") -> WindowFigures:
    """Sales, orders, active and new customers of one window: what the KPI cards show."""
    chosen = check_preset(preset)
    row = run_view(con, "kpis", window.params(con)).row(0, named=True)
    return WindowFigures(
        lines=int(row["lines"]),
        sales=Decimal(row["sales"]),
        invoices=int(row["invoices"]),
        canceled=int(row["canceled"]),
        not_canceled=int(row["not_canceled"]),
        active_customers=int(row["active_customers"]),
        new_customers=int(row["new_customers"]),
        preset=chosen,
    )


def previous_window(window: Window) -> Window:
    """The window of equal length just before ``window`` (same countries, same products setting)."""
    if window.start is None or window.end is None:
        raise ValueError("previous_window needs a window with both dates (resolve it first)")
    days = (window.end - window.start).days + 1
    return Window(
        window.start - timedelta(days=days),
        window.start - timedelta(days=1),
        window.countries,
        window.products_only,
    )
