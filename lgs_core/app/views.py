"""What each page of the app shows, computed (issue #5). Pages render these results; tests call them directly.

One function per page, each taking an open DuckDB connection (the app opens one per call and closes it), so
"one filter change" on a page costs exactly the calls listed here:

- Overview: ``overview(con, window, preset)``
- Orders: ``orders(con, window, preset)``
- Customer segments: ``segments(con, window, params)``; a chosen customer's invoices
  ``customer_invoices(con, window, customer_id)``; the downloads ``segment_csv`` / ``segment_xlsx`` /
  ``segment_manifest`` (no database: they export a ``Segments`` result)
- Data: ``data_status(con)``; the quarantine download ``quarantine_csv(con)``

Money stays ``Decimal`` pounds here. The text a KPI card shows (``Kpi.value_text``, ``Kpi.delta_text``) is
formatted here too, so a test compares what the page shows with what this module computes, character for
character. Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb
import polars as pl

from lgs_core import formats
from lgs_core.analyses import analytics, export
from lgs_core.analyses.amounts import BoxStats, amount_histogram, box_stats
from lgs_core.analyses.analytics import InvoiceDistribution, check_preset
from lgs_core.analyses.rfm import NAMED_MAPS, CustomerRule, FixedCuts, RfmParams, RfmResult, SegmentMap, rfm
from lgs_core.errors import LgsError
from lgs_core.query.run import run
from lgs_core.query.window import Window, store_bounds
from lgs_core.store import store

# Definitions the app shows that docs/DEFINITIONS.md does not (yet) hold; ``definition`` prefers the doc's.
EXTRA_DEFINITIONS: dict[str, str] = {
    "aov": "average order value: sales ÷ orders placed, in pounds.",
    "change": "each card's change is against the previous period of equal length "
    "(the same number of days just before the start date), same countries and products.",
    "cancellation_rate": "canceled invoices ÷ orders placed × 100, in percent.",
    "box_plot": "the box spans the 25th to 75th percentile of invoice amounts with a line at the median; "
    "whiskers reach the furthest amounts within 1.5 × the box's height; dots are the amounts beyond.",
    "rf_grid": "customers in each cell of the R × F grid (R × FM for rfm11), darker for more; each cell names "
    "its segment.",
    "segment_customers": "customers per segment of the chosen map.",
    "segment_revenue": "Σ monetary of the segment's customers, in pounds.",
}

KPI_KEYS = ("sales", "orders", "active_customers", "new_customers", "aov")
_KPI_LABELS = {
    "sales": "Sales",
    "orders": "Orders",
    "active_customers": "Active customers",
    "new_customers": "New customers",
    "aov": "Average order value",
}
QUARANTINE_SAMPLE_ROWS = 1_000


def definition(key: str, preset: str = "standard") -> str:
    """The one-line definition the app shows for ``key``: docs/DEFINITIONS.md's, else ``EXTRA_DEFINITIONS``."""
    return analytics.definition(key, preset) or EXTRA_DEFINITIONS.get(key, "")


# Plain words first (issue #15): what a help tooltip or a caption says, for a marketer. The exact definition
# (formulas, statistics, the original analysis' rules) stays one click away: every page lists those of its
# figures under "Definitions and formulas" (``definition``, docs/DEFINITIONS.md). Keys as DEFINITIONS.md's;
# "key (classic)" where the classic preset's figure differs in a way worth saying.
PLAIN: dict[str, str] = {
    "sales": "The value of everything sold, minus the orders cancelled.",
    "placed": "Orders placed (cancellations not counted).",
    "placed (classic)": "Orders counted as the original analysis did: every invoice, minus two for each "
    "cancellation.",
    "canceled": "Orders cancelled.",
    "cancellation_rate": "Cancelled orders as a share of the orders placed.",
    "active_customers": "Customers who bought anything (guest orders have no customer number).",
    "new_customers": "Customers buying for the first time in the shop's whole history.",
    "existing_customers": "Customers who had bought before.",
    "aov": "Average order value: sales divided by orders placed.",
    "change": "Compared with the same number of days just before the start date.",
    "growth_pct": "How much sales rose or fell on the month before.",
    "amount": "What an invoice came to.",
    "positive": "Invoices worth more than £0 (cancellations and adjustments left out).",
    "p85": "85% of invoices are worth this much or less.",
    "trimmed_85": "Leave out the largest 15% of invoices (mostly wholesale orders) to see a typical order.",
    "histogram": "How many invoices fall in each band of amounts.",
    "box_plot": "The box holds the middle half of the invoice amounts, the line the middle one; dots are "
    "unusually large or small invoices.",
    "median": "The middle invoice: half are smaller, half larger.",
    "mean": "The average invoice.",
    "mode": "The most common invoice amount.",
    "customers": "Customers with at least one purchase in the date range and countries.",
    "reference_date": "The day recency is counted back from: the day after the date range's last sale.",
    "reference_date (classic)": "The day recency is counted back from: 1 January 2012, as in the original "
    "analysis.",
    "recency_days": "Days from the customer's last order to the reference date.",
    "frequency": "Orders the customer placed in the date range.",
    "monetary": "What the customer spent in the date range, minus what they cancelled.",
    "r": "Recency score: higher for customers who ordered more recently.",
    "f": "Frequency score: higher for customers with more orders.",
    "m": "Spend score: higher for customers who spent more.",
    "fm": "Frequency and spend as one score (the 11-segment map uses it).",
    "rfm": "The three scores side by side: recency, frequency, spend (e.g. 545).",
    "segment": "The segment of the customer's cell on the recency × frequency grid of the chosen map.",
    "quantile_cuts": "Customers are split into equal-sized groups on each measure: with 5 scores, the most "
    "recent fifth scores R 5, the fifth with the most orders F 5.",
    "thresholds": "You set the limits in words: e.g. F 5 for at least 10 orders (10 itself included), R 5 for "
    "a last order within 30 days (day 30 included).",
    "fixed_cuts": "An analyst's cut points: a value equal to a cut point gets the lower score (at least 10 "
    "orders is a cut point of 9).",
    "score_rule": "Each limit a customer passes raises their score by one.",
    "classic10": "The original analysis' 10 segments on the recency × frequency grid (the heat map shows which "
    "cell is which).",
    "rfm11": "11 segments, with Lost, on recency against frequency and spend together.",
    "customer_share": "The segment's share of all scored customers.",
    "revenue": "What the segment's customers spent.",
    "revenue_share": "The segment's share of what all scored customers spent.",
    "mean_recency_days": "Average days since the segment's customers last ordered.",
    "mean_frequency": "Average orders per customer of the segment.",
    "mean_monetary": "Average spend per customer of the segment.",
    "rf_grid": "Customers in each cell of the grid, darker for more; each cell names its segment.",
    "segment_customers": "Customers in each segment.",
    "formula_guard": "A cell starting with =, +, - or @ gets a ' in front, so a spreadsheet shows it as text "
    "and never runs it.",
    "manifest": "A note of what made the file (dates, countries, scoring, when, how many rows), to make it "
    "again.",
}

# The names of figures in words, as the tables' headers and the definitions lists show them.
TERMS: dict[str, str] = {
    "sales": "Sales",
    "placed": "Orders placed",
    "canceled": "Orders cancelled",
    "cancellation_rate": "Cancellation rate",
    "active_customers": "Active customers",
    "new_customers": "New customers",
    "aov": "Average order value",
    "change": "Change",
    "growth_pct": "Sales growth",
    "amount": "Invoice amount",
    "positive": "Invoices counted",
    "p85": "85th percentile",
    "trimmed_85": "Trim at the 85th percentile",
    "customer_id": "Customer",
    "customers": "Customers",
    "reference_date": "Reference date",
    "recency_days": "Days since last order",
    "frequency": "Orders",
    "monetary": "Spend (£)",
    "first_purchase": "First order",
    "last_purchase": "Last order",
    "r": "Recency score",
    "f": "Frequency score",
    "m": "Spend score",
    "fm": "Frequency and spend score",
    "rfm": "RFM score",
    "quantile_cuts": "Equal-sized groups",
    "fixed_cuts": "Cut points",
    "score_rule": "Scores",
    "classic10": "classic10",
    "rfm11": "rfm11",
    "revenue": "Revenue (£)",
    "customer_share": "Share of customers",
    "revenue_share": "Share of revenue",
    "mean_recency_days": "Average days since last order",
    "mean_frequency": "Average orders",
    "mean_monetary": "Average spend (£)",
    "rf_grid": "Heat map",
    "segment_customers": "Customers per segment",
    "segment_revenue": "Revenue per segment",
    "formula_guard": "Spreadsheet safety",
    "manifest": "Manifest",
}


def plain(key: str, preset: str = "standard") -> str:
    """What a help tooltip says about ``key``, in plain words (``PLAIN``); the definition where none."""
    if preset != "standard" and f"{key} ({preset})" in PLAIN:
        return PLAIN[f"{key} ({preset})"]
    return PLAIN.get(key) or definition(key, preset)


def term(key: str) -> str:
    """The name of a figure in words: "recency_days" → "Days since last order"."""
    return TERMS.get(key) or key.replace("_", " ").capitalize()


def money_text(value: Decimal | float | None, *, pence: bool = False) -> str:
    """Pounds as a page shows them: "£1,234,567" (or "£456.78" with ``pence``); "–" when unknown."""
    return formats.money(value, places=2 if pence else 0)


def count_text(value: int | None) -> str:
    return formats.count(value)


def percent_text(value: float | None) -> str:
    return formats.percent(value)


percent_change = formats.percent_change


def quick_ranges(first: date, last: date) -> dict[str, tuple[date, date]]:
    """The sidebar's quick date ranges over data from ``first`` to ``last``: all the data, the last 12 months,
    and each calendar year, newest first (cut to the data's first and last day)."""
    ranges = {
        "All data": (first, last),
        "Last 12 months": (max(first, last - timedelta(days=364)), last),
    }
    for year in range(last.year, first.year - 1, -1):
        ranges[str(year)] = (max(first, date(year, 1, 1)), min(last, date(year, 12, 31)))
    return ranges


def _resolve(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[Window, date | None, date | None]:
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


def _run(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]) -> pl.DataFrame:
    return run(con, f"views/{name}", params)


# --- Overview -------------------------------------------------------------------------------------------


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
    row = _run(con, "kpis", window.params(con)).row(0, named=True)
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
    resolved, first_day, _ = _resolve(con, window)
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


# --- Orders ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Orders:
    """The Orders page: the invoice amount distribution (all, and trimmed at the 85th percentile) with the
    notebook's statistics, and placed and canceled orders per month with the cancellation rate."""

    window: Window
    preset: str
    distribution: InvoiceDistribution
    histogram_all: pl.DataFrame
    histogram_trimmed: pl.DataFrame
    box_all: BoxStats | None
    box_trimmed: BoxStats | None
    monthly: pl.DataFrame  # month, placed, canceled, cancellation_rate_pct, whole_month
    placed: int
    canceled: int

    @property
    def cancellation_rate_pct(self) -> float | None:
        return None if self.placed <= 0 else 100 * self.canceled / self.placed

    @property
    def is_empty(self) -> bool:
        return self.distribution.positive.count == 0 and self.monthly.is_empty()

    def histogram(self, trimmed: bool) -> pl.DataFrame:
        return self.histogram_trimmed if trimmed else self.histogram_all

    def box(self, trimmed: bool) -> BoxStats | None:
        return self.box_trimmed if trimmed else self.box_all

    def statistics(self) -> pl.DataFrame:
        """The notebook's statistics (DOMAIN.md §2.1) as the page shows them: one row per statistic, a
        column for all invoices with amount > 0 and one for those up to the 85th percentile."""
        all_, trim = self.distribution.positive, self.distribution.trimmed_85
        rows = [
            ("Invoices", count_text(all_.count), count_text(trim.count)),
            ("Smallest", money_text(all_.min, pence=True), money_text(trim.min, pence=True)),
            ("Largest", money_text(all_.max, pence=True), money_text(trim.max, pence=True)),
            ("Median", money_text(all_.median, pence=True), money_text(trim.median, pence=True)),
            ("Mode", money_text(all_.mode, pence=True), money_text(trim.mode, pence=True)),
            ("Mean", money_text(all_.mean, pence=True), money_text(trim.mean, pence=True)),
        ]
        return pl.DataFrame(
            rows, schema=["Statistic", "All invoices", "Up to the 85th percentile"], orient="row"
        )


def orders(con: duckdb.DuckDBPyConnection, window: Window, preset: str = "standard") -> Orders:
    """Everything the Orders page draws, for both positions of its trim toggle."""
    chosen = check_preset(preset)
    resolved, _, _ = _resolve(con, window)
    distribution = analytics.invoice_distribution(con, resolved, chosen)
    monthly = analytics.monthly(con, resolved, chosen).select(
        "month",
        "placed",
        "canceled",
        pl.when(pl.col("placed") > 0)
        .then(100 * pl.col("canceled") / pl.col("placed"))
        .otherwise(None)
        .alias("cancellation_rate_pct"),
    )
    monthly = mark_whole_months(monthly, resolved)
    trimmed = distribution.trimmed_amounts()
    return Orders(
        window=resolved,
        preset=chosen,
        distribution=distribution,
        histogram_all=amount_histogram(distribution.amounts["amount"]),
        histogram_trimmed=amount_histogram(trimmed["amount"]),
        box_all=box_stats(distribution.amounts["amount"]),
        box_trimmed=box_stats(trimmed["amount"]),
        monthly=monthly,
        placed=int(monthly["placed"].sum()),
        canceled=int(monthly["canceled"].sum()),
    )


# --- Customer segments ----------------------------------------------------------------------------------


def _to_five(score: int, bins: int) -> int:
    """A score on a 1..bins scale placed on the 1..5 scale of the named maps (1 → 1, bins → 5)."""
    return round(1 + (score - 1) * 4 / (bins - 1))


def scaled_map(base: SegmentMap, r_bins: int, x_bins: int) -> SegmentMap:
    """``base`` (a 5 × 5 map) laid on an r_bins × x_bins grid: each cell takes the segment of the 5 × 5 cell
    at the same relative position. ``base`` itself when the grid is 5 × 5."""
    if (r_bins, x_bins) == (base.r_bins, base.x_bins):
        return base
    lookup = base.lookup()
    grid = {
        f"{r}{x}": lookup[f"{_to_five(r, r_bins)}{_to_five(x, x_bins)}"]
        for r in range(1, r_bins + 1)
        for x in range(1, x_bins + 1)
    }
    built = SegmentMap.from_grid(
        grid, r_bins=r_bins, x_bins=x_bins, axis=base.axis, name=f"{base.name} on {r_bins}×{x_bins}"
    )
    order = tuple(s for s in base.segments if s in built.segments)
    return SegmentMap(built.name, built.axis, r_bins, x_bins, built.cells, order)


def segment_map_for(
    choice: str, r_bins: int = 5, x_bins: int = 5, grid: Mapping[str, str] | None = None
) -> SegmentMap:
    """The map the page's control chose: "classic10" or "rfm11" (laid on the grid's size when it is not
    5 × 5), or "custom" with ``grid`` {"RF": segment} as edited in the grid table."""
    if choice in NAMED_MAPS:
        return scaled_map(NAMED_MAPS[choice], r_bins, x_bins)
    if choice != "custom" or grid is None:
        raise LgsError(
            f"unknown segment map {choice!r}",
            where="segment map",
            todo="choose classic10, rfm11 or edit the grid",
        )
    return SegmentMap.from_grid(grid, r_bins=r_bins, x_bins=x_bins, name="custom grid")


def grid_table(segment_map: SegmentMap) -> pl.DataFrame:
    """The map as the page's grid editor shows it: one row per R score (highest first), a column per F
    (or FM) score, each cell its segment name."""
    lookup = segment_map.lookup()
    letter = "FM" if segment_map.axis == "fm" else "F"
    rows = [
        {"R": f"R={r}", **{f"{letter}={x}": lookup[f"{r}{x}"] for x in range(1, segment_map.x_bins + 1)}}
        for r in range(segment_map.r_bins, 0, -1)
    ]
    return pl.DataFrame(rows)


def grid_from_table(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The {"RF": segment} grid of an edited ``grid_table`` (its rows as dicts)."""
    grid: dict[str, str] = {}
    for row in rows:
        r = str(row.get("R", "")).removeprefix("R=")
        for column, value in row.items():
            found = re.fullmatch(r"F?M?=(\d)", str(column)) if column != "R" else None
            if found:
                grid[f"{r}{found[1]}"] = "" if value is None else str(value)
    return grid


def default_fixed_cuts(scores: int = 5) -> FixedCuts:
    """Suggested fixed cut points for 3–5 scores per dimension (recency days, invoices, pounds)."""
    presets = {
        5: ((30, 90, 180, 365), (1, 2, 5, 10), (100, 500, 1000, 5000)),
        4: ((30, 90, 365), (1, 3, 10), (250, 1000, 5000)),
        3: ((90, 365), (1, 5), (500, 5000)),
    }
    if scores not in presets:
        raise LgsError(f"{scores} scores", where="scores per dimension", todo="choose 3, 4 or 5")
    r, f, m = presets[scores]
    return FixedCuts(tuple(map(Decimal, r)), tuple(map(Decimal, f)), tuple(map(Decimal, m)))


def default_thresholds(scores: int = 5) -> FixedCuts:
    """Suggested thresholds in words for 3–5 scores: the last order within 30/90/180/365 days, at least
    2/3/5/10 orders, spent at least £100/£500/£1,000/£5,000 (each limit included)."""
    presets = {
        5: ((30, 90, 180, 365), (2, 3, 5, 10), (100, 500, 1000, 5000)),
        4: ((30, 90, 365), (2, 5, 10), (250, 1000, 5000)),
        3: ((90, 365), (2, 5), (500, 5000)),
    }
    if scores not in presets:
        raise LgsError(f"{scores} scores", where="scores per dimension", todo="choose 3, 4 or 5")
    r, f, m = presets[scores]
    return FixedCuts(tuple(map(Decimal, r)), tuple(map(Decimal, f)), tuple(map(Decimal, m)), at_least=True)


EXPORT_COLUMNS = (
    "customer_id",
    "country",
    "segment",
    "rfm",
    "r",
    "f",
    "m",
    "fm",
    "recency_days",
    "frequency",
    "monetary",
    "first_purchase",
    "last_purchase",
)
# The on-screen customer list: who, then what a marketer reads first (recency, orders, spend), scores last.
DISPLAY_COLUMNS = (
    "customer_id",
    "country",
    "segment",
    "recency_days",
    "frequency",
    "monetary",
    "last_purchase",
    "first_purchase",
    "r",
    "f",
    "m",
    "fm",
    "rfm",
)


def column_labels(columns: Sequence[str], names: Mapping[str, str] | None = None) -> dict[str, str]:
    """{column key: header in words} for a table or an export: "recency_days" → "Days since last order"
    (``names`` first: a table's own words, e.g. ``DEEPER_TERMS``)."""
    return {c: (names or {}).get(c) or term(c) for c in columns}


def words(table: pl.DataFrame, names: Mapping[str, str] | None = None) -> pl.DataFrame:
    """``table`` with its headers in words (``column_labels``): what a page shows."""
    return table.rename(column_labels(table.columns, names))


# The Deeper segments tables' columns in words (their exports' headers; the manifest keeps the keys).
DEEPER_TERMS: dict[str, str] = {
    # cohorts
    "cohort_month": "Cohort (month of first order)",
    "purchases": "Orders in the date range",
    "revenue": "Spend in the date range (£)",
    "revenue_before_first_purchase": "Refunds before the first order's month (£)",
    # migration
    "from_state": "At the first date",
    "to_state": "At the second date",
    "from_segment": "Segment at the first date",
    "to_segment": "Segment at the second date",
    "lapsed": "Lapsed",
    "from_rfm": "RFM score at the first date",
    "to_rfm": "RFM score at the second date",
    "from_recency_days": "Days since last order at the first date",
    "to_recency_days": "Days since last order at the second date",
    "from_frequency": "Orders at the first date",
    "to_frequency": "Orders at the second date",
    "from_monetary": "Spend at the first date (£)",
    "to_monetary": "Spend at the second date (£)",
    "total": "Total",
    # lifetime value
    "purchase_days": "Days with an order",
    "repeat_purchases": "Repeat order days",
    "recency_days_clv": "Days from first to last order",
    "age_days": "Days since first order",
    "total_spend": "Total spend (£)",
    "mean_repeat_spend": "Average repeat order day (£)",
    "p_alive": "Chance still active",
    "expected_value": "Expected value of an order day (£)",
    "decile": "Group (10: highest predicted)",
    "predicted_mean": "Predicted order days (average)",
    "actual_mean": "Actual order days (average)",
    "predicted_total": "Predicted order days (total)",
    "actual_total": "Actual order days (total)",
    # affinity
    "stock_code": "Product code",
    "description": "Product",
    "segment_customers": "Segment customers who bought it",
    "all_customers": "All customers who bought it",
    "reach": "Share of the segment buying it",
    "base_reach": "Share of all customers buying it",
    "lift": "Lift",
    "segment_invoices": "The segment's orders with it",
    "segment_revenue": "The segment's spend on it (£)",
    "product_a": "Product A",
    "product_b": "Product B",
    "invoices_both": "Orders with both",
    "support": "Share of the segment's orders",
    "a_with_b": "Orders with A that have B",
    "b_with_a": "Orders with B that have A",
}


def clv_terms(horizons: Sequence[int]) -> dict[str, str]:
    """``DEEPER_TERMS`` for a lifetime-value table: its recency (first to last order, not the RFM one) and
    each horizon's expected columns."""
    out = {**DEEPER_TERMS, "recency_days": DEEPER_TERMS["recency_days_clv"]}
    for h in horizons:
        out[f"expected_purchases_{h}d"] = f"Expected order days, next {h} days"
        out[f"expected_spend_{h}d"] = f"Expected spend, next {h} days (£)"
    return out


def pairs_once(pairs: pl.DataFrame) -> pl.DataFrame:
    """Affinity rules (A → B and B → A, each its own row) as pairs listed once: product_a, product_b (code ·
    description), invoices_both, support, a_with_b (confidence of A → B), b_with_a (of B → A), lift (the
    same both ways); in the rules' order (highest lift first)."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for r in pairs.iter_rows(named=True):
        key = (min(r["antecedent"], r["consequent"]), max(r["antecedent"], r["consequent"]))
        if key in seen:
            continue
        seen.add(key)
        both = r["invoices_both"]
        rows.append(
            {
                "product_a": f"{r['antecedent']} · {r['antecedent_description'] or '–'}",
                "product_b": f"{r['consequent']} · {r['consequent_description'] or '–'}",
                "invoices_both": both,
                "support": r["support"],
                "a_with_b": both / r["antecedent_invoices"] if r["antecedent_invoices"] else None,
                "b_with_a": both / r["consequent_invoices"] if r["consequent_invoices"] else None,
                "lift": r["lift"],
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "product_a": pl.String,
            "product_b": pl.String,
            "invoices_both": pl.Int64,
            "support": pl.Float64,
            "a_with_b": pl.Float64,
            "b_with_a": pl.Float64,
            "lift": pl.Float64,
        },
        orient="row",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def file_stem(what: str, window: Window) -> str:
    """A download's file name without extension: what, the countries, the dates, e.g.
    "lgs-champions-france-2011-01-01-to-2011-12-09": a UK and a France list of the same dates differ."""
    if not window.countries:
        where = "all-countries"
    elif len(window.countries) <= 3:
        where = "+".join(_slug(c) for c in window.countries)
    else:
        where = f"{len(window.countries)}-countries"
    span = f"{window.start}-to-{window.end}" if window.start and window.end else "all-dates"
    products = "-products-only" if window.products_only else ""
    return f"lgs-{_slug(what) or 'list'}-{where}{products}-{span}"


def rule_slug(rule: CustomerRule) -> str:
    parts = []
    if rule.within_days is not None:
        parts.append(f"last-{rule.within_days}-days")
    if rule.min_orders is not None:
        parts.append(f"{rule.min_orders}-orders")
    if rule.min_spend is not None:
        spend = rule.min_spend.normalize()
        parts.append(f"spent-{spend:f}".replace(".", "p"))
    return "-".join(parts) or "all-customers"


@dataclass(frozen=True)
class Segments:
    """The Customer segments page: the scored customers, their segments, the R × F grid, and what an
    export needs to reproduce itself (the store's data version)."""

    result: RfmResult
    summary: pl.DataFrame
    grid: pl.DataFrame
    data_version: str
    window: Window = field(repr=False)

    @property
    def customers(self) -> pl.DataFrame:
        return self.result.customers

    @property
    def segment_map_name(self) -> str:
        return self.result.segment_map.name

    @property
    def segment_names(self) -> tuple[str, ...]:
        return self.result.segment_map.segments

    @property
    def is_empty(self) -> bool:
        return self.customers.is_empty()

    def customers_of(self, chosen: Sequence[str]) -> pl.DataFrame:
        """The customers of the chosen segments: the map's segment order, then biggest spender first."""
        order = {name: i for i, name in enumerate(self.segment_names)}
        picked = self.customers.filter(pl.col("segment").is_in(list(chosen)))
        return (
            picked.with_columns(pl.col("segment").replace_strict(order, return_dtype=pl.Int32).alias("_o"))
            .sort(["_o", "monetary", "customer_id"], descending=[False, True, False])
            .drop("_o")
            .select(EXPORT_COLUMNS)
        )

    def cut_point_lines(self) -> list[str]:
        """One line per dimension: its cut points as the scores use them."""
        cp = self.result.cut_points
        lines = []
        for name, dims in (("R", cp.recency), ("F", cp.frequency), ("M", cp.monetary)):
            unit = {"R": " days", "F": " invoices", "M": ""}[name]
            on = " (on the rank)" if dims.on == "rank" else ""
            values = ", ".join(
                money_text(Decimal(c.numerator) / Decimal(c.denominator), pence=True)
                if name == "M"
                else f"{float(c):,.4g}"
                for c in dims.cuts
            )
            lines.append(f"{name}: {values or 'none'}{unit if values and name != 'M' else ''}{on}")
        return lines

    def explain(self, customer_id: int) -> list[str]:
        return self.result.explain(customer_id)

    def score_ranges(self) -> dict[str, list[tuple[int, str]]]:
        """What each score means in this scoring, in words, top score first: {"recency": [(5, "0–24 days"),
        …], "frequency": [(5, "10 or more orders"), …], "monetary": [(5, "over £3,880.09"), …]}. A score
        no customer can get (cut points that coincide) reads "none"."""
        cp = self.result.cut_points
        out: dict[str, list[tuple[int, str]]] = {}
        for dim in (cp.recency, cp.frequency, cp.monetary):
            if dim.on == "rank":
                out[dim.dimension] = [
                    (s, "by rank of orders (ties by customer number)") for s in range(dim.bins, 0, -1)
                ]
                continue
            bounds: list[Fraction | None] = [None, *dim.cuts, None]
            ranges = []
            for i in range(dim.bins):  # value bin i (lowest values first) between bounds[i] and bounds[i + 1]
                score = dim.bins - i if dim.reversed else i + 1
                ranges.append((score, _range_text(dim.dimension, bounds[i], bounds[i + 1], dim.at_least)))
            out[dim.dimension] = sorted(ranges, reverse=True)
        return out

    def explain_plain(self, customer_id: int) -> list[str]:
        """Why a customer is in their segment, in words: their last order, orders and spend, each with the
        score it gives and that score's range, then the cell of the map. (``explain``: the cut points.)"""
        rows = self.customers.filter(pl.col("customer_id") == customer_id)
        if rows.is_empty():
            return [f"Customer {customer_id} has no purchase in this date range."]
        row = rows.row(0, named=True)
        ranges = {dim: dict(items) for dim, items in self.score_ranges().items()}
        days = row["recency_days"]
        reference = self.reference_text
        lines = [
            f"Last order {row['last_purchase']:%d %b %Y}, {days:,} day{'s' if days != 1 else ''} before the "
            f"reference date ({reference}): recency score {row['r']} ({ranges['recency'][row['r']]}).",
            f"{row['frequency']:,} order{'s' if row['frequency'] != 1 else ''}: frequency score {row['f']} "
            f"({ranges['frequency'][row['f']]}).",
            f"Spent {money_text(row['monetary'], pence=True)}: spend score {row['m']} "
            f"({ranges['monetary'][row['m']]}).",
        ]
        segment_map = self.result.segment_map
        if segment_map.axis == "fm":
            lines.append(
                f"Recency {row['r']} and frequency-and-spend {row['fm']} → {row['segment']} ({segment_map.name})."
            )
        else:
            lines.append(
                f"Recency {row['r']} and frequency {row['f']} → {row['segment']} ({segment_map.name})."
            )
        return lines

    @property
    def reference_text(self) -> str:
        ref = self.result.reference_date
        return "–" if ref is None else f"{ref:%d %b %Y}"

    def summary_table(self) -> pl.DataFrame:
        """The segment summary as the page shows it: money as float pounds (the table formats them)."""
        return self.summary.with_columns(
            pl.col("revenue").cast(pl.Float64), pl.col("mean_monetary").cast(pl.Float64)
        )

    def customers_matching(self, rule: CustomerRule) -> pl.DataFrame:
        """The customers a rule in words picks ("last order within 30 days, at least 10 orders"), whatever
        their segment: biggest spender first (EXPORT_COLUMNS)."""
        picked = rule.matches(self.customers)
        return picked.sort(["monetary", "customer_id"], descending=[True, False]).select(EXPORT_COLUMNS)

    def listed(self, chosen: Sequence[str] | CustomerRule) -> pl.DataFrame:
        """The customer list of the page: the chosen segments' customers, or a rule's."""
        if isinstance(chosen, CustomerRule):
            return self.customers_matching(chosen)
        return self.customers_of(chosen)

    def customer_table(self, chosen: Sequence[str] | CustomerRule) -> pl.DataFrame:
        """``listed(chosen)`` as the page shows it: headers in words, recency, orders and spend first, money as
        float pounds. The FM score only when the segment map reads it (rfm11): beside classic10 it decides
        nothing and would only puzzle. Exports keep every column (EXPORT_COLUMNS)."""
        table = self.listed(chosen).with_columns(pl.col("monetary").cast(pl.Float64))
        shown = [c for c in DISPLAY_COLUMNS if c != "fm" or self.result.segment_map.axis == "fm"]
        return words(table.select(shown))

    def default_segments(self) -> list[str]:
        """What the customer list starts with: Champions when the map has them, else its first segment
        with customers."""
        counts = dict(
            zip(self.summary["segment"].to_list(), self.summary["customers"].to_list(), strict=True)
        )
        for name in ("Champions",):
            if name in counts:
                return [name]
        with_customers = [s for s in self.segment_names if counts.get(s, 0) > 0]
        return with_customers[:1] or list(self.segment_names[:1])

    def customer_labels(self, chosen: Sequence[str] | CustomerRule) -> dict[int, str]:
        """{customer id: "12346 · France · Champions · £1,234.56"} for the list's customers (``listed``), in
        its order. Each label starts with the id, so typing an id finds it (the page filters on the start)."""
        return {
            int(row["customer_id"]): self._label(row) for row in self.listed(chosen).iter_rows(named=True)
        }

    def customer_label(self, customer_id: int) -> str | None:
        """The label of any scored customer (one typed in, not on the list); None: not scored here."""
        rows = self.customers.filter(pl.col("customer_id") == customer_id)
        return None if rows.is_empty() else self._label(rows.row(0, named=True))

    @staticmethod
    def _label(row: Mapping[str, Any]) -> str:
        return (
            f"{row['customer_id']} · {row['country']} · {row['segment']} · "
            f"{money_text(row['monetary'], pence=True)}"
        )

    def list_name(self, chosen: Sequence[str] | CustomerRule) -> str:
        """What the list is, in words: "Champions, At Risk" or "last order within 30 days, at least 10 orders"."""
        if isinstance(chosen, CustomerRule):
            return chosen.describe(self.result.reference_date)
        return ", ".join(chosen)

    def file_stem(self, chosen: Sequence[str] | CustomerRule) -> str:
        """The list's download name: what, the countries, the dates ("lgs-champions-france-2011-…")."""
        if isinstance(chosen, CustomerRule):
            return file_stem(rule_slug(chosen), self.window)
        return export_file_stem(self.window, chosen)

    def manifest(self, chosen: Sequence[str] | CustomerRule, rows: int) -> dict[str, Any]:
        if isinstance(chosen, CustomerRule):
            what = "customers: " + chosen.describe(self.result.reference_date)
            filters: dict[str, Any] = {"rule": chosen.to_json()}
        else:
            what = "rfm customers of segments " + ", ".join(chosen)
            filters = {"segment": list(chosen)}
        return export.build_manifest(
            self.window,
            self.result.params,
            self.data_version,
            rows=rows,
            what=what,
            reference_date=self.result.reference_date,
            cut_points=self.result.cut_points,
            filters=filters,
        )


def _range_text(dimension: str, low: Fraction | None, high: Fraction | None, at_least: bool) -> str:
    """The values between two cut points in words. Under the plain rule a bin holds (low, high]; under
    thresholds (``at_least``) [low, high). Days and orders are whole numbers; money has pence."""
    if dimension == "monetary":

        def pounds(v: Fraction) -> str:
            return money_text(Decimal(v.numerator) / Decimal(v.denominator), pence=True)

        if at_least:
            if low is None:
                return f"under {pounds(high)}" if high is not None else "any amount"
            return f"{pounds(low)} or more" if high is None else f"{pounds(low)} up to under {pounds(high)}"
        if low is None:
            return f"{pounds(high)} or less" if high is not None else "any amount"
        return f"over {pounds(low)}" if high is None else f"over {pounds(low)} up to {pounds(high)}"
    # whole numbers: (low, high] is floor(low) + 1 .. floor(high); [low, high) is ceil(low) .. ceil(high) − 1
    if at_least:
        first = math.ceil(low) if low is not None else None
        last = math.ceil(high) - 1 if high is not None else None
    else:
        first = math.floor(low) + 1 if low is not None else None
        last = math.floor(high) if high is not None else None
    unit = "days" if dimension == "recency" else "orders"
    floor = 0 if dimension == "recency" else 1
    first = max(first if first is not None else floor, floor)
    if last is None:
        return f"{first:,} or more {unit}"
    if last < first:
        return "none"
    if last == first:
        one = unit[:-1] if first == 1 else unit
        return f"{first:,} {one}"
    return f"{first:,}–{last:,} {unit}"


def segments(con: duckdb.DuckDBPyConnection, window: Window, params: RfmParams | None = None) -> Segments:
    """Score every customer with a purchase in the window (lgs_core.analyses.rfm) and summarise the segments."""
    resolved, _, _ = _resolve(con, window)
    result = rfm(con, resolved, params or RfmParams())
    return Segments(
        result=result,
        summary=result.summary(),
        grid=result.grid(),
        data_version=store.data_version(con),
        window=resolved,
    )


def export_file_stem(window: Window, chosen: Sequence[str]) -> str:
    """E.g. "lgs-champions-france-2011-01-01-to-2011-12-31": the segments, the countries, the dates."""
    names = "+".join(_slug(s) for s in chosen[:3]) or "customers"
    if len(chosen) > 3:
        names = f"{len(chosen)}-segments"
    return file_stem(names, window)


# The app's downloads are for people: the CSV's and the workbook's header row is in words ("Days since last
# order", "Spend (£)"), as a marketer opening the file in a spreadsheet expects. A script reads the manifest:
# its "columns" are the stable keys (customer_id, recency_days, …, as `lgs rfm` writes them) in the file's
# order, and "column_labels" maps each key to its header. docs/DEFINITIONS.md (Exports) says so.
def segment_csv(seg: Segments, chosen: Sequence[str] | CustomerRule) -> bytes:
    """The list's customers (the chosen segments', or a rule's) as CSV (formulas neutralised)."""
    table = seg.listed(chosen)
    data, _ = export.segment_export_csv(
        table, seg.manifest(chosen, table.height), labels=column_labels(table.columns)
    )
    return data


def segment_manifest(seg: Segments, chosen: Sequence[str] | CustomerRule) -> bytes:
    """The manifest (JSON) that pairs with ``segment_csv``'s file (it carries the CSV's SHA-256)."""
    table = seg.listed(chosen)
    _, manifest = export.segment_export_csv(
        table, seg.manifest(chosen, table.height), labels=column_labels(table.columns)
    )
    return manifest


def segment_xlsx(seg: Segments, chosen: Sequence[str] | CustomerRule) -> bytes:
    """The list's customers as an .xlsx workbook with a "manifest" sheet."""
    table = seg.listed(chosen)
    return export.segment_export_xlsx(
        table, seg.manifest(chosen, table.height), labels=column_labels(table.columns)
    )


def customer_invoices(con: duckdb.DuckDBPyConnection, window: Window, customer_id: int) -> pl.DataFrame:
    """One customer's invoices in the window, oldest first: invoice, invoice_date, kind (order,
    cancellation, adjustment), country, lines, items, amount (Decimal £)."""
    resolved, _, _ = _resolve(con, window)
    frame = _run(con, "customer_invoices", {**resolved.params(con), "customer_id": int(customer_id)})
    return frame.sort("invoice_date", "invoice")


# --- Data -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataStatus:
    """The Data page: what the store holds, where it came from, and what was quarantined and why."""

    info: store.StoreInfo
    reasons: pl.DataFrame  # reason, lines, first_source, first_row (most lines first)
    quarantine_sample: pl.DataFrame  # the first QUARANTINE_SAMPLE_ROWS quarantined lines
    quarantine_customers: int = 0  # distinct customer numbers in the quarantine (its download is logged)

    @property
    def source_text(self) -> str:
        latest = self.info.loads[-1] if self.info.loads else None
        if latest is None:
            return "nothing loaded yet"
        return f"{latest['source']} ({latest['kind']}, loaded {latest['loaded_at']})"


def is_demo_data(info: store.StoreInfo) -> bool:
    """Whether the data set holds generated demo lines (the first-run banner says so until a real load)."""
    return any(load.get("kind") == "demo" for load in info.loads)


def _held(info: store.StoreInfo) -> str:
    if is_demo_data(info) and all(load.get("kind") == "demo" for load in info.loads):
        return "demo data"
    sources = list(dict.fromkeys(str(load.get("source")) for load in info.loads))
    if len(sources) > 2:
        return f"{len(sources)} loads"
    return " and ".join(sources) or "the data set"


def load_message(before: store.StoreInfo, result: store.LoadResult) -> str:
    """What a load did, in one line: "online_retail_II.xlsx: 1,067,368 lines loaded, 3 quarantined; replaced
    the 1,000,000 lines of demo data." (``before``: the store just before the load)."""
    text = f"{result.source}: {result.rows_loaded:,} lines loaded, {result.rows_quarantined:,} quarantined"
    if before.lines == 0:
        return f"{text}; the store was empty."
    if result.mode == "append":
        return f"{text}; added to the {before.lines:,} lines of {_held(before)}."
    return f"{text}; replaced the {before.lines:,} lines of {_held(before)}."


def data_status(con: duckdb.DuckDBPyConnection, path: str = "") -> DataStatus:
    info = store.store_info(con, path)
    reasons = _run(con, "quarantine_reasons", {}).sort(["lines", "reason"], descending=[True, False])
    sample = _run(con, "quarantine_lines", {}).sort(
        "load_id", "source", "sheet", "source_row", nulls_last=True
    )
    customers = int(_run(con, "quarantine_customers", {})["customers"][0])
    return DataStatus(info, reasons, sample.head(QUARANTINE_SAMPLE_ROWS), customers)


def quarantine_csv(con: duckdb.DuckDBPyConnection) -> bytes:
    """Every quarantined line with its reason, as CSV (formulas neutralised)."""
    frame = _run(con, "quarantine_lines", {}).sort(
        "load_id", "source", "sheet", "source_row", nulls_last=True
    )
    return export.frame_to_csv(frame)


__all__ = [
    "DataStatus",
    "Kpi",
    "Orders",
    "Overview",
    "Segments",
    "customer_invoices",
    "data_status",
    "definition",
    "orders",
    "overview",
    "quarantine_csv",
    "segment_csv",
    "segment_manifest",
    "segment_xlsx",
    "segments",
]
