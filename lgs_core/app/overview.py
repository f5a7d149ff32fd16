"""The Overview page's model: KPI cards with their change against the previous period, and the monthly figures
its charts draw. ``overview(con, window, preset)`` is the page's one call. Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb
import polars as pl

from lgs_core import formats
from lgs_core.analyses import analytics
from lgs_core.analyses.analytics import check_preset
from lgs_core.app.figures import WindowFigures, mark_whole_months, previous_window, resolve, window_figures
from lgs_core.present.text import count_text, money_text, percent_change, plain
from lgs_core.query.window import Window

KPI_KEYS = ("sales", "orders", "active_customers", "new_customers", "aov")
_KPI_LABELS = {
    "sales": "Sales",
    "orders": "Orders",
    "active_customers": "Active customers",
    "new_customers": "New customers",
    "aov": "Average order value",
}


@dataclass(frozen=True)
class Kpi:
    """One KPI card: its value in the window, the value in the previous window, and how to show both."""

    key: str
    label: str
    value: Decimal | int | None
    previous: Decimal | int | None
    money: bool
    help: str

    @property
    def change_pct(self) -> float | None:
        return percent_change(self.value, self.previous)

    @property
    def value_text(self) -> str:
        """What the card shows: counts in full; pounds in full up to £1M, then "£22.50M" (the card is narrow;
        ``help_text`` has the exact figure)."""
        if not self.money:
            return count_text(self.value)  # type: ignore[arg-type]
        return formats.money(self.value, places=2 if self.key == "aov" else 0, short=True)

    @property
    def exact_text(self) -> str:
        if self.money:
            return money_text(self.value, pence=True)  # type: ignore[arg-type]
        return count_text(self.value)  # type: ignore[arg-type]

    @property
    def help_text(self) -> str:
        """The card's help: the figure exactly, the previous period's figure, and the definitions."""
        previous = ""
        if self.previous is not None:
            shown = money_text(self.previous, pence=True) if self.money else count_text(self.previous)  # type: ignore[arg-type]
            previous = f" Previous period: {shown}."
        return f"**{self.exact_text}**.{previous} {self.help}"

    @property
    def delta_text(self) -> str | None:
        """E.g. "+12.5%"; "0%" (no sign) when the change rounds to nothing (``flat``): ``lgs_core.formats``."""
        change = self.change_pct
        return None if change is None else formats.signed(change, 1)

    @property
    def flat(self) -> bool:
        """The change rounds to 0.0%: the card shows it grey with no arrow, neither good nor bad news."""
        change = self.change_pct
        return change is not None and round(change, 1) == 0


@dataclass(frozen=True)
class Overview:
    """The Overview page: KPI cards with their change, and the monthly frame its four charts draw."""

    window: Window  # resolved: both dates set
    preset: str
    previous: Window | None  # None: no comparison (see comparison_note)
    comparison_note: str
    kpis: tuple[Kpi, ...]
    monthly: pl.DataFrame  # analytics.monthly, plus whole_month (False: cut short by the window)
    first_data_month: date | None = None  # every customer is "new" in the data's first month

    @property
    def starts_with_first_data_month(self) -> bool:
        return (
            self.first_data_month is not None
            and not self.monthly.is_empty()
            and self.monthly["month"][0] == self.first_data_month
        )

    @property
    def is_empty(self) -> bool:
        return self.monthly.is_empty()

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


def overview(con: duckdb.DuckDBPyConnection, window: Window, preset: str = "standard") -> Overview:
    """KPI cards (sales £, orders, active customers, new customers, average order value £), each with its
    change against the previous period of equal length, and the monthly figures for the charts.

    No change is shown when the previous period starts before the data does: a part-covered period would
    make any window look like growth.
    """
    chosen = check_preset(preset)
    resolved, first_day, _ = resolve(con, window)
    monthly = mark_whole_months(analytics.monthly(con, resolved, chosen), resolved)
    current = window_figures(con, resolved, chosen)
    previous: Window | None = None
    before: WindowFigures | None = None
    note = ""
    if resolved.start is not None and resolved.end is not None and first_day is not None:
        candidate = previous_window(resolved)
        days = (resolved.end - resolved.start).days + 1
        if candidate.start is not None and candidate.start >= first_day:
            previous = candidate
            before = window_figures(con, candidate, chosen)
            note = (
                f"Changes compare with the previous {days:,} days: {candidate.start:%d %b %Y} – "
                f"{candidate.end:%d %b %Y}."
            )
        else:
            note = (
                f"No change shown: the previous {days:,} days would start before the data does "
                f"({first_day:%d %b %Y}). Choose a later or shorter date range to compare."
            )
    values: dict[str, tuple[Decimal | int | None, Decimal | int | None]] = {
        "sales": (current.sales, before.sales if before else None),
        "orders": (current.orders, before.orders if before else None),
        "active_customers": (current.active_customers, before.active_customers if before else None),
        "new_customers": (current.new_customers, before.new_customers if before else None),
        "aov": (current.aov, before.aov if before else None),
    }
    definition_keys = {"orders": "placed"}
    kpis = tuple(
        Kpi(
            key=key,
            label=_KPI_LABELS[key],
            value=values[key][0],
            previous=values[key][1],
            money=key in ("sales", "aov"),
            help=f"{plain(definition_keys.get(key, key), chosen)} Change: {plain('change')}",
        )
        for key in KPI_KEYS
    )
    first_month = first_day.replace(day=1) if first_day is not None else None
    return Overview(resolved, chosen, previous, note, kpis, monthly, first_month)
