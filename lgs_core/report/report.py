"""The automated weekly report (issue #6): one ISO week's figures, what was unusual, and why.

``build_report(con, as_of=...)`` judges the ISO week ending on or before ``as_of`` (default: the last
complete week in the data): new customers, active customers, orders, sales, average order value and
cancellation rate, each against last week, the same ISO week last year and the median of the trailing
12 trading weeks; spikes and dips of new customers, orders and sales come from ``lgs_core.analyses.anomaly`` and are
broken down by country. It renders as self-contained HTML (charts inline as SVG, nothing fetched),
Markdown and JSON; ``weekly_chart`` is the chart the Reports page shows. docs/REPORTING.md explains it all.
"""

from __future__ import annotations

import html
import json
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl

from lgs_core import formats, glossary
from lgs_core.analyses import analytics
from lgs_core.analyses.anomaly import (
    DETECTED,
    METRICS,
    Assessment,
    DetectorSettings,
    detect,
    fmt_value,
    json_number,
)
from lgs_core.errors import LgsError
from lgs_core.present import vegalite as vl
from lgs_core.present.display import literal
from lgs_core.query.run import rows, run
from lgs_core.query.window import Window
from lgs_core.store import store

FORMATS = ("html", "md", "json")
DEFAULT_WEEKS = 26  # half a year of history in the tables and charts: the last two seasons at a glance
MAX_WEEKS = 260
TOP_COUNTRIES = 5
SHARE_WORTH_NAMING = 0.1  # a country is named when it carries at least 10% of the flag's change
# A week is complete when the data reaches its Sunday. With ``as_of`` given, the data may stop up to this
# many days short of it (LGS does not trade on Saturdays and little on Sundays, DOMAIN.md §1); any more and
# the store is stale: a report would show a dip that is only missing data.
STALE_DAYS = 2
_CENT = Decimal("0.01")
# The theme's colours (as lgs_core.present.charts): teal for the figure, rust for a spike, blue for a dip.
_TEAL, _RUST, _BLUE, _SAND, _GREY = "#2F6F6B", "#B5533C", "#3F6FA8", "#C9A66B", "#8A8F94"
# What each status is called on the page and in the chart's legend.
STATUS_WORDS = {
    "spike": "Spike",
    "dip": "Dip",
    "watch": "Watch",
    "normal": "Normal",
    "too_early": "Too early to judge",
    "closed": "Closed",
}
_STATUS_COLOURS = {
    "spike": _RUST,
    "dip": _BLUE,
    "watch": _SAND,
    "normal": _TEAL,
    "too_early": _GREY,
    "closed": _GREY,
}

Kind = Literal["count", "money", "pct"]


# --- which week -------------------------------------------------------------------------------------------


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_complete_week(last_line: date) -> date:
    """The Monday of the last ISO week the data covers to its Sunday."""
    return monday(last_line) if last_line.weekday() == 6 else monday(last_line) - timedelta(days=7)


def report_week(first_line: date, last_line: date, as_of: date | None = None) -> tuple[date, list[str]]:
    """The Monday of the week to report on and notes about it: the ISO week ending on or before ``as_of``
    (a Sunday: its own week), by default the last complete week in the data.
    """
    notes: list[str] = []
    if as_of is None:
        week = last_complete_week(last_line)
    else:
        week = monday(as_of) if as_of.weekday() == 6 else monday(as_of) - timedelta(days=7)
        sunday = week + timedelta(days=6)
        short = (sunday - last_line).days
        if short > STALE_DAYS:
            latest = last_complete_week(last_line)
            raise LgsError(
                f"the data ends on {last_line:%a %d %b %Y}, {short} days before week {_iso(week)} ends "
                f"({sunday:%a %d %b %Y})",
                where="--as-of",
                todo=f"load or sync newer data, or give --as-of {latest + timedelta(days=6)} "
                f"(the last complete week, {_iso(latest)})",
            )
        if short > 0:
            notes.append(
                f"The data ends on {last_line:%a %d %b %Y}: the week's last {short} day(s) hold no lines yet."
            )
    if week + timedelta(days=6) < first_line:
        first_sunday = first_line + timedelta(days=6 - first_line.weekday())
        if as_of is None:
            raise LgsError(
                f"the data ({first_line:%d %b %Y} – {last_line:%d %b %Y}) holds no complete ISO week yet",
                where="report",
                todo=f"load more data, or give --as-of {first_sunday} for the first, partial week",
            )
        raise LgsError(
            f"week {_iso(week)} ends before the data starts ({first_line:%d %b %Y})",
            where="--as-of",
            todo=f"give a date from {first_sunday} on",
        )
    return week, notes


def complete_weeks(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Mondays of every complete ISO week in the store, newest first (the Reports page's choices)."""
    first, last = _bounds(con)
    newest = last_complete_week(last)
    weeks = []
    week = newest
    while week + timedelta(days=6) >= first:
        weeks.append(week)
        week -= timedelta(days=7)
    return weeks


def _bounds(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    whole = Window().resolved(con)  # the store's first and last day (sql/store/bounds.sql)
    if whole.start is None or whole.end is None:
        raise LgsError(
            "the store holds no lines",
            where="report",
            todo="load data first: `python -m lgs_core demo` or `python -m lgs_core load FILE`",
        )
    return whole.start, whole.end


def _check_countries(con: duckdb.DuckDBPyConnection, countries: Sequence[str]) -> None:
    """A country the store has never seen is a typo, not a report of zeros."""
    if not countries:
        return
    known = {row[0] for row in rows(con, "store/countries")}
    unknown = sorted(set(countries) - known)
    if unknown:
        raise LgsError(
            f"no lines for {', '.join(repr(c) for c in unknown)}",
            where="--country",
            todo="spell it as the data does, e.g. 'United Kingdom', 'EIRE', 'USA' (`lgs info` counts countries)",
        )


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _iso(week_start: date) -> str:
    year, number, _ = week_start.isocalendar()
    return f"{year}-W{number:02d}"


# --- the report's data ----------------------------------------------------------------------------------


KPI_DEFINITIONS: dict[str, str] = glossary.section("report")  # docs/DEFINITIONS.md
_KPIS: tuple[tuple[str, str, Kind], ...] = (
    ("new_customers", "New customers", "count"),
    ("active_customers", "Active customers", "count"),
    ("orders", "Orders", "count"),
    ("sales", "Sales", "money"),
    ("aov", "Average order value", "money"),
    ("cancel_rate", "Cancellation rate", "pct"),
)

Number = int | float | Decimal


@dataclass(frozen=True)
class Kpi:
    """One figure of the week with its three comparisons (None: not known, e.g. before the data starts)."""

    key: str
    label: str
    kind: Kind
    value: Number | None
    last_week: Number | None
    last_year: Number | None
    trailing_median: Number | None
    definition: str

    def change(self, other: Number | None) -> float | None:
        """% change on ``other`` (percentage points for a rate); None when not comparable."""
        if self.value is None or other is None:
            return None
        if self.kind == "pct":
            return float(self.value) - float(other)
        if float(other) == 0:
            return None
        return 100 * (float(self.value) - float(other)) / abs(float(other))

    def text(self, value: Number | None) -> str:
        if value is None:
            return "–"
        if self.kind == "money":
            return formats.money(value, places=2 if self.key == "aov" else 0)
        if self.kind == "pct":
            return formats.percent(float(value))
        return formats.count(value)

    def change_text(self, other: Number | None) -> str:
        delta = self.change(other)
        if delta is None:
            return "–"
        return formats.signed(delta, 1, " pp") if self.kind == "pct" else formats.signed(delta, 0)

    def card_delta(self, other: Number | None) -> str | None:
        """The change as a KPI card shows it: "+36%", "-14%", "-5.1 pp", "0%" (None: not comparable); the
        same text as the report's tables (``lgs_core.formats``: an ASCII minus, which Streamlit reads as a fall)."""
        delta = self.change(other)
        return None if delta is None else self.change_text(other)

    @property
    def rise_is_good(self) -> bool:
        """More is better for every figure but the cancellation rate (its rise shows red)."""
        return self.key != "cancel_rate"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": {"count": "count", "money": "GBP", "pct": "percent"}[self.kind],
            "value": _json(self.value),
            "last_week": _json(self.last_week),
            "same_week_last_year": _json(self.last_year),
            "trailing_median": _json(self.trailing_median),
            "vs_last_week": _round(self.change(self.last_week)),
            "vs_last_year": _round(self.change(self.last_year)),
            "vs_trailing_median": _round(self.change(self.trailing_median)),
            "change_unit": "percentage points" if self.kind == "pct" else "percent",
            "definition": self.definition,
        }


@dataclass(frozen=True)
class CountryChange:
    """One country's part in a flag: its value this week against its own trailing median."""

    country: str
    value: Number
    median: float
    last_year: Number | None

    @property
    def change(self) -> float:
        return float(self.value) - self.median

    def text(self, metric: str, name: Callable[[str], str] = str) -> str:
        """E.g. "Germany +30 (12 → 42)"; ``name`` writes the country (Markdown: as literal text)."""
        sign = "+" if self.change >= 0 else "-"
        size = fmt_value(metric, abs(self.change))
        return f"{name(self.country)} {sign}{size} ({fmt_value(metric, self.median)} → {fmt_value(metric, self.value)})"

    def to_json(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "value": _json(self.value),
            "trailing_median": _round(self.median),
            "change": _round(self.change),
            "same_week_last_year": _json(self.last_year),
        }


@dataclass(frozen=True)
class Flag:
    """A spike, dip (or watch) of the report week with the countries that moved most in its direction."""

    assessment: Assessment
    countries: tuple[CountryChange, ...] = ()

    @property
    def metric(self) -> str:
        return self.assessment.metric

    @property
    def arrow(self) -> str:
        return "▲" if float(self.assessment.value) > (self.assessment.median or 0) else "▼"

    @property
    def text(self) -> str:
        return self.assessment.explanation()

    def countries_text(self, name: Callable[[str], str] = str) -> str:
        if not self.countries:
            return ""
        return "Top countries: " + "; ".join(c.text(self.metric, name) for c in self.countries) + "."

    def to_json(self) -> dict[str, Any]:
        return {**self.assessment.to_json(), "countries": [c.to_json() for c in self.countries]}


@dataclass(frozen=True)
class WeeklyReport:
    """Everything the renderers, the mailer and the Reports page show about one ISO week."""

    week_start: date
    generated_at: datetime
    data_first: date
    data_last: date
    data_version: str
    countries: tuple[str, ...]
    products_only: bool
    settings: DetectorSettings
    trading: bool
    kpis: tuple[Kpi, ...]
    flags: tuple[Flag, ...]
    watches: tuple[Flag, ...]
    history: dict[str, tuple[Assessment, ...]]  # metric → its last `weeks` weeks, oldest first
    weeks: pl.DataFrame  # the same weeks' figures
    notes: tuple[str, ...] = field(default=())
    # Every saved segment's size this week, judged (lgs_core.analyses.saved_segments.SegmentMove): moved ones first.
    segment_moves: tuple[Any, ...] = field(default=())

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def iso_year(self) -> int:
        return self.week_start.isocalendar()[0]

    @property
    def iso_week(self) -> int:
        return self.week_start.isocalendar()[1]

    @property
    def label(self) -> str:
        return _iso(self.week_start)

    @property
    def dates(self) -> str:
        start, end = self.week_start, self.week_end
        first = f"{start.day} {start:%b}" if start.year == end.year else _day(start)
        return f"{first} – {_day(end)}"

    @property
    def title(self) -> str:
        return f"LGS weekly report: week {self.iso_week} of {self.iso_year} ({self.dates})"

    @property
    def heading(self) -> str:
        """The page's heading: "Week 48 of 2011 (28 Nov – 4 Dec 2011)"."""
        return f"Week {self.iso_week} of {self.iso_year} ({self.dates})"

    @property
    def moved_segments(self) -> tuple[Any, ...]:
        """The saved segments whose size moved unusually this week (a spike or dip of their customers)."""
        return tuple(m for m in self.segment_moves if m.flagged)

    @property
    def flag_count(self) -> int:
        return len(self.flags) + len(self.moved_segments)

    @property
    def quiet(self) -> bool:
        return not self.flags and not self.moved_segments

    @property
    def summary(self) -> str:
        """'2 flags', 'nothing unusual', or 'nothing flagged, 1 to watch' (the email subject's end)."""
        if not self.quiet:
            return f"{self.flag_count} flag{'s' if self.flag_count != 1 else ''}"
        if self.watches:
            return f"nothing flagged, {len(self.watches)} to watch"
        return "nothing unusual"

    @property
    def headline(self) -> str:
        """The report's first line, as a sentence."""
        return self.summary[0].upper() + self.summary[1:] + " this week."

    @property
    def subject(self) -> str:
        return f"LGS weekly report {self.label} ({self.dates}): {self.summary}"

    @property
    def file_stem(self) -> str:
        return f"lgs-weekly-{self.label}"

    @property
    def scope(self) -> str:
        return self.scope_text()

    def scope_text(self, name: Callable[[str], str] = str) -> str:
        """E.g. "France, EIRE · products only"; ``name`` writes each country (Markdown: as literal text)."""
        where = ", ".join(name(c) for c in self.countries) if self.countries else "all countries"
        what = "products only" if self.products_only else "all lines"
        return f"{where} · {what}"

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


def build_report(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date | None = None,
    weeks: int = DEFAULT_WEEKS,
    settings: DetectorSettings | None = None,
    countries: Sequence[str] = (),
    products_only: bool = False,
    top_countries: int = TOP_COUNTRIES,
) -> WeeklyReport:
    """The report on the ISO week ending on or before ``as_of`` (default: the last complete week).

    ``weeks``: how many weeks (up to the report's) the history tables and charts show. ``countries`` and
    ``products_only`` narrow the figures as the app's filters do; a week counts as closed only when the
    whole store has no line in it.
    """
    settings = settings or DetectorSettings()
    if not 1 <= weeks <= MAX_WEEKS:
        raise LgsError(f"{weeks} weeks of history", where="--weeks", todo=f"use 1 to {MAX_WEEKS}")
    first, last = _bounds(con)
    week, notes = report_week(first, last, as_of)
    _check_countries(con, countries)
    window = Window(end=week + timedelta(days=6), countries=tuple(countries), products_only=products_only)
    table = weekly_table(con, window, first, week)
    assessed = {metric: detect(table, metric, settings) for metric in DETECTED}
    position = table.height - 1  # the report week is the table's last row
    this = table.row(position, named=True)
    flags: list[Flag] = []
    watches: list[Flag] = []
    for metric in DETECTED:
        judged = assessed[metric][position]
        if judged.flagged or judged.status == "watch":
            item = Flag(judged, _country_changes(con, window, judged, top_countries))
            (flags if judged.flagged else watches).append(item)
    if not this["trading"]:
        notes.append(
            "No lines at all in the store this week: the shop was closed, or the week's data is missing."
        )
    if this["trading"] and assessed["new_customers"][position].status == "too_early":
        notes.append(
            f"Fewer than {settings.min_history} trading weeks before this one: too early to judge spikes and dips."
        )
    elif settings.seasonal and any(a[position].status == "watch" for a in assessed.values()):
        notes.append(
            "Watch: unusual against the trailing weeks, but with no same week last year to compare, nothing "
            "can tell it from the season; it is not counted as a flag."
        )
    if first > week - timedelta(days=7 * 52) and settings.seasonal:
        notes.append(
            f"The data starts on {first:%d %b %Y}: weeks in the first year cannot be checked against last year."
        )
    from lgs_core.analyses.saved_segments import size_moves  # the report's saved segments section

    segment_moves = size_moves(con, table, window, settings)
    shown = max(0, table.height - weeks)
    info_version = store.data_version(con)
    return WeeklyReport(
        week_start=week,
        generated_at=datetime.now().replace(microsecond=0),
        data_first=first,
        data_last=last,
        data_version=info_version,
        countries=window.countries,
        products_only=products_only,
        settings=settings,
        trading=bool(this["trading"]),
        kpis=_kpis(table, position, assessed["new_customers"][position]),
        flags=tuple(flags),
        watches=tuple(watches),
        history={metric: tuple(assessed[metric][shown:]) for metric in DETECTED},
        weeks=table.slice(shown),
        notes=tuple(notes),
        segment_moves=segment_moves,
    )


def assess_weeks(
    con: duckdb.DuckDBPyConnection,
    *,
    settings: DetectorSettings | None = None,
    countries: Sequence[str] = (),
    products_only: bool = False,
) -> dict[str, list[Assessment]]:
    """Every ISO week from the data's first to its last complete one, judged for each watched metric
    exactly as a report on that week would judge it (the detector looks only backwards).
    """
    first, last = _bounds(con)
    through = last_complete_week(last)
    window = Window(end=through + timedelta(days=6), countries=tuple(countries), products_only=products_only)
    table = weekly_table(con, window, first, through)
    return {metric: detect(table, metric, settings) for metric in DETECTED}


def weekly_table(
    con: duckdb.DuckDBPyConnection, window: Window, first: date, last_week: date
) -> pl.DataFrame:
    """Every ISO week from the data's first to ``last_week``: week_start, iso_year, iso_week, trading, the
    six report figures and canceled. Weeks the window holds no line in are zeros (trading says if the shop
    was open at all).
    """
    start = monday(first)
    grid = pl.DataFrame(
        {"week_start": pl.date_range(start, last_week, interval="1w", eager=True)},
    ).with_columns(
        iso_year=pl.col("week_start").dt.iso_year().cast(pl.Int32),
        iso_week=pl.col("week_start").dt.week().cast(pl.Int32),
    )
    figures = analytics.weekly(con, window).select(
        "week_start",
        "placed",
        "canceled",
        "sales",
        "active_customers",
        "new_customers",
    )
    extra = run(con, "report/weeks", window.params((first, last_week + timedelta(days=6))))
    money = pl.Decimal(38, 3)
    table = (
        grid.join(figures, on="week_start", how="left")
        .join(extra, on="week_start", how="left")
        .with_columns(
            trading=pl.col("store_lines").fill_null(0) > 0,
            new_customers=pl.col("new_customers").fill_null(0),
            active_customers=pl.col("active_customers").fill_null(0),
            orders=pl.col("placed").fill_null(0),
            canceled=pl.col("canceled").fill_null(0),
            sales=pl.col("sales").cast(money).fill_null(Decimal(0)),
            order_value=pl.col("order_value").cast(money).fill_null(Decimal(0)),
        )
        .sort("week_start")
    )
    aov = [
        (value / orders).quantize(_CENT, ROUND_HALF_EVEN) if orders else None
        for value, orders in zip(table["order_value"].to_list(), table["orders"].to_list(), strict=True)
    ]
    rate = [
        100 * canceled / orders if orders else None
        for canceled, orders in zip(table["canceled"].to_list(), table["orders"].to_list(), strict=True)
    ]
    return table.with_columns(
        aov=pl.Series(aov, dtype=pl.Decimal(38, 2)),
        cancel_rate=pl.Series(rate, dtype=pl.Float64),
    ).select(
        "week_start",
        "iso_year",
        "iso_week",
        "trading",
        "new_customers",
        "active_customers",
        "orders",
        "canceled",
        "sales",
        "order_value",
        "aov",
        "cancel_rate",
    )


def _kpis(table: pl.DataFrame, position: int, judged: Assessment) -> tuple[Kpi, ...]:
    rows = table.to_dicts()
    this = rows[position]
    previous = rows[position - 1] if position > 0 else None
    by_iso = {(r["iso_year"], r["iso_week"]): r for r in rows}
    last_year = by_iso.get((this["iso_year"] - 1, this["iso_week"]))
    if last_year is None and this["iso_week"] == 53:
        last_year = by_iso.get((this["iso_year"] - 1, 52))
    baseline = set(judged.baseline_weeks)
    base_rows = [r for r in rows if r["week_start"] in baseline]
    kpis = []
    for key, label, kind in _KPIS:

        def value(row: dict[str, Any] | None, key: str = key) -> Number | None:
            return None if row is None else row[key]

        values = [r[key] for r in base_rows if r[key] is not None]
        middle: Number | None = statistics.median(values) if values else None
        if isinstance(middle, Decimal) and key == "aov":
            middle = middle.quantize(_CENT, ROUND_HALF_EVEN)
        kpis.append(
            Kpi(
                key=key,
                label=label,
                kind=kind,
                value=value(this),
                last_week=value(previous),
                last_year=value(last_year),
                trailing_median=middle,
                definition=KPI_DEFINITIONS[key],
            )
        )
    return tuple(kpis)


def _country_changes(
    con: duckdb.DuckDBPyConnection, window: Window, judged: Assessment, top: int
) -> tuple[CountryChange, ...]:
    """The countries that moved most in the flag's direction, against their own trailing medians."""
    if judged.median is None or top <= 0:
        return ()
    weeks = [judged.week_start, *judged.baseline_weeks]
    if judged.last_year_week is not None:
        weeks.append(judged.last_year_week)
    scan = Window(
        start=min(weeks), end=max(weeks) + timedelta(days=6), countries=window.countries,
        products_only=window.products_only,
    )  # fmt: skip
    frame = run(con, "report/country_weeks", {**scan.params(), "weeks": weeks})
    metric = judged.metric
    values: dict[str, dict[date, Number]] = {}
    for row in frame.iter_rows(named=True):
        values.setdefault(row["country"], {})[row["week_start"]] = row[metric]
    up = float(judged.value) > judged.median
    changes = []
    for country, by_week in values.items():
        base = [float(by_week.get(w, 0)) for w in judged.baseline_weeks]
        value = by_week.get(judged.week_start, Decimal(0) if METRICS[metric].money else 0)
        last_year = by_week.get(judged.last_year_week) if judged.last_year_week else None
        if judged.last_year_week is not None and last_year is None:
            last_year = Decimal(0) if METRICS[metric].money else 0
        change = CountryChange(country, value, statistics.median(base) if base else 0.0, last_year)
        if (change.change > 0) == up and change.change != 0:
            changes.append(change)
    changes.sort(key=lambda c: (-abs(c.change), c.country))
    # Name the countries that carry the change, not every country that happened to move a little.
    total = abs(float(judged.value) - judged.median)
    carrying = [c for c in changes if abs(c.change) >= SHARE_WORTH_NAMING * total]
    return tuple((carrying or changes[:1])[:top])


# --- the chart ------------------------------------------------------------------------------------------


def chart_rows(assessments: Sequence[Assessment]) -> list[dict[str, Any]]:
    """What the weekly chart plots: one row per week, floats and ISO dates (Vega-Lite has no decimals)."""
    rows = []
    for a in assessments:
        rows.append(
            {
                "week_start": a.week_start.isoformat(),
                "iso_week": a.iso_label,
                "value": float(a.value),
                "low": a.low,
                "high": a.high,
                "median": a.median,
                "status": a.status,
                "status_words": STATUS_WORDS[a.status],
                "flagged": a.flagged,
                "explanation": a.explanation(),
            }
        )
    return rows


def weekly_chart(
    report: WeeklyReport, metric: str = "new_customers", *, width: int | Literal["container"] = 640
) -> vl.VegaLite:
    """The metric per week with its expected band (values inside it never flag) and the median of the
    trailing weeks; spikes, dips and watches stand out as large coloured points; a rule marks the report week.
    """
    info = METRICS[metric]
    unit = " (£)" if info.money else ""
    x = vl.field("week_start:T", title="Week (Monday)", axis={"format": "%d %b %y", "labelAngle": -40})
    y_title = f"{info.label}{unit}"
    # d3's formats know "$" only: pounds are a prefix on the label
    y_axis = {"format": ",.0f", "labelExpr": "'£' + datum.label" if info.money else "datum.label"}
    weeks = "weeks"
    band = vl.layer(
        vl.mark("area", opacity=0.35, color="#D9DEE2"),
        {"x": x, "y": vl.field("low:Q", title=y_title, axis=y_axis), "y2": vl.field("high")},
        dataset=weeks,
    )
    median = vl.layer(
        vl.mark("line", color=_GREY, strokeDash=[4, 3], strokeWidth=1),
        {"x": x, "y": vl.field("median:Q")},
        dataset=weeks,
    )
    line = vl.layer(
        vl.mark("line", color=_TEAL, strokeWidth=2),
        {"x": x, "y": vl.field("value:Q", title=y_title, axis=y_axis)},
        dataset=weeks,
    )
    fmt = ",.0f"
    labels = "{" + ", ".join(f"'{k}': '{v}'" for k, v in STATUS_WORDS.items()) + "}[datum.label]"
    points = vl.layer(
        vl.mark("point", filled=True, opacity=1),
        {
            "x": x,
            "y": vl.field("value:Q"),
            "color": vl.field(
                "status:N",
                title="Week",
                scale={"domain": list(_STATUS_COLOURS), "range": list(_STATUS_COLOURS.values())},
                legend={"orient": "bottom", "labelExpr": labels, "columns": 6},
            ),
            "size": vl.condition("datum.flagged || datum.status == 'watch'", 160, 24),
            "shape": vl.condition("datum.flagged", "diamond", "circle"),
            "tooltip": [
                vl.tooltip("iso_week:N", "ISO week"),
                vl.tooltip("value:Q", info.label, fmt),
                vl.tooltip("low:Q", "expected from", fmt),
                vl.tooltip("high:Q", "expected to", fmt),
                vl.tooltip("status_words:N", "status"),
            ],
        },
        dataset=weeks,
    )
    rule = vl.layer(
        vl.mark("rule", color=_GREY, strokeWidth=1), {"x": vl.field("week_start:T")}, dataset="report_week"
    )
    frames = {
        weeks: pl.DataFrame(chart_rows(report.history[metric]), schema=_CHART_SCHEMA),
        "report_week": pl.DataFrame({"week_start": [report.week_start.isoformat()]}),
    }
    props: dict[str, Any] = {}
    if width == "container":
        # The page's chart (weekly report chart only): Streamlit sizes a chart without its own autosize as
        # "fit", the height then holding the title, the axes and the legend too, which left the plot 0 px
        # high (a flat line, no band) and cut the legend. fit-x: the width follows the page, the height is
        # the plot's. (The HTML and email render at a fixed width, as before.)
        props["autosize"] = {"type": "fit-x", "contains": "padding"}
    return vl.layered(
        [band, median, line, points, rule],
        datasets=frames,
        height=240,
        title={
            "text": f"{info.label} per week",
            "subtitle": f"grey band: the expected range from the {report.settings.trailing_weeks} weeks before; "
            "dashed: their middle value",
        },
        width=width,
        **props,
    )


_CHART_SCHEMA = {
    "week_start": pl.String,
    "iso_week": pl.String,
    "value": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "median": pl.Float64,
    "status": pl.String,
    "flagged": pl.Boolean,
    "explanation": pl.String,
    "status_words": pl.String,
}


def chart_svg(chart: vl.VegaLite) -> str:
    """The chart as an SVG document, rendered offline by vl-convert (no browser, nothing fetched)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(chart.to_dict())
    return svg


def chart_png(chart: vl.VegaLite, scale: float = 2) -> bytes:
    """The chart as PNG (for email: most mail clients do not show inline SVG)."""
    import vl_convert

    png: bytes = vl_convert.vegalite_to_png(chart.to_dict(), scale=scale)
    return png


# --- tables for the Reports page ---------------------------------------------------------------------------


def kpi_table(report: WeeklyReport) -> pl.DataFrame:
    """The week in figures as display text: figure, this week, and each comparison with its change (the
    usual week: the middle of the 12 trading weeks before, their median)."""
    return pl.DataFrame(
        [
            {
                "Figure": k.label,
                "This week": k.text(k.value),
                "Last week": k.text(k.last_week),
                "vs last week": k.change_text(k.last_week),
                "Same week last year": k.text(k.last_year),
                "vs last year": k.change_text(k.last_year),
                "Usual week": k.text(k.trailing_median),
                "vs usual": k.change_text(k.trailing_median),
            }
            for k in report.kpis
        ]
    )


def history_table(report: WeeklyReport) -> pl.DataFrame:
    """The shown weeks, newest first, as a person reads them: "£294,549.73", "18.0%", and what was flagged
    in words ("▲ spike in new customers"; empty when nothing was)."""

    def money(value: Decimal | None) -> str:
        return formats.money(value, places=2)

    names = (
        "Week",
        "New customers",
        "Orders",
        "Sales (£)",
        "Average order value (£)",
        "Cancellation rate",
        "Flags",
    )
    rows = []
    for i, row in enumerate(report.weeks.iter_rows(named=True)):
        rate = row["cancel_rate"]
        rows.append(
            (
                f"{_iso(row['week_start'])} · {row['week_start']:%d %b %Y}",
                f"{row['new_customers']:,}",
                f"{row['orders']:,}",
                money(row["sales"]) if row["trading"] else "–",
                money(row["aov"]),
                "–" if rate is None else f"{rate:.1f}%",
                _week_marks(report, i, words=True) if row["trading"] else "closed",
            )
        )
    return pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row").reverse()


def flagged_weeks(report: WeeklyReport) -> list[str]:
    """Each shown week with a spike or dip, newest first, in words: "Week 36 of 2011 (5 Sep): ▲ spike in
    orders: Orders 1,234, expected 800–1,000 (median 900), …"."""
    lines = []
    for i in range(report.weeks.height - 1, -1, -1):
        for metric in DETECTED:
            a = report.history[metric][i]
            if a.flagged:
                arrow = "▲" if a.status == "spike" else "▼"
                lines.append(
                    f"Week {a.iso_week} of {a.iso_year} ({a.week_start.day} {a.week_start:%b}): {arrow} "
                    f"{a.status} in {METRICS[metric].label.lower()}: {a.explanation()}"
                )
    return lines


# --- rendering ------------------------------------------------------------------------------------------


def segment_table(report: WeeklyReport) -> pl.DataFrame:
    """The saved segments' sizes this week as the Reports page shows them (moved ones first)."""
    return pl.DataFrame(
        {
            "Saved segment": [m.name for m in report.segment_moves],
            "Customers this week": [int(m.assessment.value) for m in report.segment_moves],
            "Expected": [m.expected_text for m in report.segment_moves],
            "Status": [m.status_text for m in report.segment_moves],
        },
        schema={
            "Saved segment": pl.String,
            "Customers this week": pl.Int64,
            "Expected": pl.String,
            "Status": pl.String,
        },
    )


def _json(value: Number | None) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return json_number(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def to_json(report: WeeklyReport) -> dict[str, Any]:
    """The report as JSON-ready data: money as pounds with 2 decimals (the CLI's convention), counts as ints."""
    return {
        "report": "lgs-weekly",
        "version": 1,
        "week": {
            "iso": report.label,
            "start": report.week_start.isoformat(),
            "end": report.week_end.isoformat(),
            "trading": report.trading,
        },
        "title": report.title,
        "subject": report.subject,
        "generated_at": report.generated_at.isoformat(sep=" "),
        "data": {
            "first_day": report.data_first.isoformat(),
            "last_day": report.data_last.isoformat(),
            "version": report.data_version,
        },
        "window": {"countries": list(report.countries), "products_only": report.products_only},
        "settings": report.settings.to_json(),
        "flag_count": report.flag_count,
        "quiet": report.quiet,
        "kpis": [k.to_json() for k in report.kpis],
        "flags": [f.to_json() for f in report.flags],
        "watch": [f.to_json() for f in report.watches],
        "saved_segments": [m.to_json() for m in report.segment_moves],
        "weeks": [
            {
                "week_start": row["week_start"].isoformat(),
                "iso_week": _iso(row["week_start"]),
                "trading": row["trading"],
                **{key: _json(row[key]) for key, _, _ in _KPIS},
                "status": {m: report.history[m][i].status for m in DETECTED},
            }
            for i, row in enumerate(report.weeks.iter_rows(named=True))
        ],
        "notes": list(report.notes),
    }


def to_json_text(report: WeeklyReport) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


def _md_escape(text: str) -> str:
    """The report's own words in a Markdown table cell (a pipe would end the cell)."""
    return text.replace("|", "\\|")


# Text from the data (countries, saved segments' names users typed) in the Markdown report: exactly its
# characters, as on the pages (a country "[Verify](http://evil.example)" is no live link in a viewer).
_md_data = literal


def to_markdown(report: WeeklyReport) -> str:
    """The report as Markdown (also the plain-text part of the email)."""
    out = [
        f"# {report.title}",
        "",
        f"Scope: {report.scope_text(_md_data)}. Data {report.data_first:%d %b %Y} – {report.data_last:%d %b %Y}.",
        "",
    ]
    out += [f"**{report.headline}**", ""]
    if report.flags:
        for flag in report.flags:
            out.append(f"- {flag.arrow} **{flag.assessment.status.upper()}**: {flag.text}")
            if flag.countries:
                out.append(f"  {flag.countries_text(_md_data)}")
        out.append("")
    if report.watches:
        out += ["Watch (not flagged):", ""]
        for flag in report.watches:
            out.append(f"- {flag.arrow} {flag.text} Not a flag: {flag.assessment.reason}.")
        out.append("")
    if report.segment_moves:
        out += ["## Saved segments", ""]
        out += [f"- **{m.assessment.status.upper()}**: {m.text(_md_data)}" for m in report.moved_segments]
        out += ["", "| Saved segment | Customers this week | Expected | Status |", "|---|---:|---|---|"]
        out += [
            f"| {_md_data(m.name)} | {m.size_text} | {m.expected_text} | {_md_escape(m.status_text)} |"
            for m in report.segment_moves
        ]
        out.append("")
    out += [
        "## The week in figures",
        "",
        "| Figure | This week | Last week | Same week last year | Trailing median | vs median |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k in report.kpis:
        out.append(
            f"| {k.label} | {k.text(k.value)} | {_md_compare(k, k.last_week)} | {_md_compare(k, k.last_year)} | "
            f"{k.text(k.trailing_median)} | {k.change_text(k.trailing_median)} |"
        )
    out += ["", f"## The last {report.weeks.height} weeks", ""]
    out += ["| ISO week | Monday | New customers | Orders | Sales | Flags |", "|---|---|---:|---:|---:|---|"]
    for i, row in enumerate(report.weeks.iter_rows(named=True)):
        marks = _week_marks(report, i)
        sales = formats.money(row["sales"]) if row["trading"] else "closed"
        out.append(
            f"| {_iso(row['week_start'])} | {row['week_start']:%d %b %Y} | {row['new_customers']:,} | "
            f"{row['orders']:,} | {sales} | {marks} |"
        )
    if report.notes:
        out += ["", "## Notes", ""] + [f"- {_md_escape(n)}" for n in report.notes]
    out += ["", "## How to read this", ""]
    out += [f"- **{k.label}**: {k.definition}" for k in report.kpis]
    out.append(f"- **Flags**: {_method_text(report.settings)}")
    out += [
        "",
        f"_Generated {report.generated_at:%d %b %Y %H:%M} by LGS Explorer · data {report.data_version}._",
        "",
    ]
    return "\n".join(out)


def _md_compare(k: Kpi, other: Number | None) -> str:
    return "–" if other is None else f"{k.text(other)} ({k.change_text(other)})"


def _week_marks(report: WeeklyReport, i: int, *, words: bool = False) -> str:
    marks = []
    for metric in DETECTED:
        a = report.history[metric][i]
        name = METRICS[metric].label.lower()
        if a.flagged:
            arrow = "▲" if a.status == "spike" else "▼"
            marks.append(f"{arrow} {a.status} in {name}" if words else f"{arrow} {name}")
        elif a.status == "watch":
            marks.append(f"watch {name}")
    return ", ".join(marks)


def method_text(settings: DetectorSettings) -> str:
    """How a spike or dip is decided, exactly (the statistics): the reports' "How to read this"."""
    return _method_text(settings)


def _method_text(settings: DetectorSettings) -> str:
    floors = ", ".join(f"{METRICS[m].label.lower()} {fmt_value(m, settings.floor(m))}" for m in DETECTED)
    text = (
        f"a spike or dip is a week whose robust z against the median of the trailing {settings.trailing_weeks} "
        f"trading weeks is at least {settings.z:g} (z = (x − median) / (1.4826 × MAD)) and whose change on "
        f"that median is at least the minimum ({floors})"
    )
    if settings.seasonal:
        text += (
            f"; when the same ISO week last year is known the week must also stand out against it "
            f"(z ≥ {settings.confirm_z:g} against last year's value scaled by the change of level), so "
            "the season alone never flags."
        )
    return text + "."


_CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1d2327;
max-width:960px;margin:24px auto;padding:0 16px;line-height:1.45}
h1{font-size:1.45em;margin-bottom:4px}h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #e3e6e8}
.scope{color:#5f666c;margin-top:0}
.banner{padding:12px 16px;border-radius:6px;font-weight:600;margin:16px 0}
.quiet{background:#e8f3ef;color:#1f5a44}.alert{background:#f8e9e5;color:#7a2e1d}
.flag{border-left:5px solid #B5533C;padding:8px 14px;margin:10px 0;background:#fbf6f4}
.flag.dip{border-color:#3F6FA8;background:#f3f6fa}.flag.watch{border-color:#C9A66B;background:#fbf8f1}
.flag p{margin:4px 0}.why{color:#5f666c;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:.92em}
th,td{padding:5px 8px;border-bottom:1px solid #e3e6e8;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f6f7}
td.l{text-align:left}.up{color:#2F6F6B}.down{color:#B5533C}.muted{color:#8A8F94}
.chart{margin:12px 0;overflow-x:auto}.chart svg{max-width:100%;height:auto}
.foot{color:#8A8F94;font-size:.85em;margin-top:32px}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _change_cell(k: Kpi, other: Number | None) -> str:
    if other is None:
        return ""
    delta = k.change(other)
    cls = "muted" if delta is None or delta == 0 else ("up" if delta > 0 else "down")
    return f'<span class="{cls}">{_e(k.change_text(other))}</span>'


def _strip_xml_declaration(svg: str) -> str:
    return svg.split("?>", 1)[1].lstrip() if svg.startswith("<?xml") else svg


def to_html(report: WeeklyReport, *, images: Mapping[str, str] | None = None) -> str:
    """The report as one self-contained HTML page: inline CSS, charts inline as SVG, no scripts, no fonts or
    images fetched. ``images`` (metric → URL, e.g. ``cid:…`` in an email) replaces the SVGs by <img> tags.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="scope">{_e(report.scope)} · data {report.data_first:%d %b %Y} – {report.data_last:%d %b %Y}</p>',
    ]
    banner = "quiet" if report.quiet else "alert"
    parts.append(f'<div class="banner {banner}">{_e(report.headline)}</div>')
    for flag in (*report.flags, *report.watches):
        status = flag.assessment.status
        label = {"spike": "Spike", "dip": "Dip", "watch": "Watch (not flagged)"}[status]
        parts.append(f'<div class="flag {status}" id="flag-{flag.metric}">')
        parts.append(f"<p><strong>{flag.arrow} {label}:</strong> {_e(flag.text)}</p>")
        if flag.countries:
            parts.append(f"<p>{_e(flag.countries_text())}</p>")
        parts.append(f'<p class="why">Why: {_e(flag.assessment.reason)}.</p></div>')
    for move in report.moved_segments:
        status = move.assessment.status
        parts.append(f'<div class="flag {status}"><p><strong>{_e(move.text())}</strong></p>')
        parts.append(
            f'<p class="why">Rule: {_e(move.rule_text)}. Why: {_e(move.assessment.reason)}.</p></div>'
        )
    parts += [
        "<h2>The week in figures</h2>",
        "<table><tr><th>Figure</th><th>This week</th><th>Last week</th><th>Same week last year</th>"
        "<th>Trailing median</th><th>vs median</th></tr>",
    ]
    for k in report.kpis:
        parts.append(
            f'<tr><td title="{_e(k.definition)}">{_e(k.label)}</td><td><strong>{_e(k.text(k.value))}</strong></td>'
            f"<td>{_e(k.text(k.last_week))} {_change_cell(k, k.last_week)}</td>"
            f"<td>{_e(k.text(k.last_year))} {_change_cell(k, k.last_year)}</td>"
            f"<td>{_e(k.text(k.trailing_median))}</td><td>{_change_cell(k, k.trailing_median)}</td></tr>"
        )
    parts.append("</table>")
    if report.segment_moves:
        parts.append(
            "<h2>Saved segments</h2><table><tr><th>Saved segment</th><th>Customers this week</th>"
            "<th>Expected</th><th>Status</th></tr>"
        )
        parts += [
            f"<tr><td>{_e(m.name)}</td><td>{_e(m.size_text)}</td><td>{_e(m.expected_text)}</td>"
            f'<td class="l">{_e(m.status_text)}</td></tr>'
            for m in report.segment_moves
        ]
        parts.append("</table>")
    parts.append(f"<h2>The last {report.weeks.height} weeks</h2>")
    for metric in DETECTED:
        if images and metric in images:
            parts.append(
                f'<div class="chart"><img src="{_e(images[metric])}" alt="{_e(METRICS[metric].label)} per week" '
                'width="700"></div>'
            )
        else:
            svg = chart_svg(weekly_chart(report, metric))
            parts.append(f'<div class="chart">{_strip_xml_declaration(svg)}</div>')
    parts.append(
        "<table><tr><th>ISO week</th><th>Monday</th><th>New customers</th><th>Orders</th><th>Sales</th>"
        "<th>Flags</th></tr>"
    )
    for i, row in enumerate(report.weeks.iter_rows(named=True)):
        sales = formats.money(row["sales"]) if row["trading"] else "closed"
        parts.append(
            f"<tr><td>{_iso(row['week_start'])}</td><td>{row['week_start']:%d %b %Y}</td>"
            f"<td>{row['new_customers']:,}</td><td>{row['orders']:,}</td><td>{_e(sales)}</td>"
            f'<td class="l">{_e(_week_marks(report, i))}</td></tr>'
        )
    parts.append("</table>")
    if report.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in report.notes) + "</ul>")
    parts.append("<h2>How to read this</h2><ul>")
    parts += [f"<li><strong>{_e(k.label)}</strong>: {_e(k.definition)}</li>" for k in report.kpis]
    parts.append(f"<li><strong>Flags</strong>: {_e(_method_text(report.settings))}</li></ul>")
    parts.append(
        f'<p class="foot">Generated {report.generated_at:%d %b %Y %H:%M} by LGS Explorer · data '
        f"{_e(report.data_version)}</p></body></html>"
    )
    return "\n".join(parts) + "\n"


def render(report: WeeklyReport, fmt: str) -> str:
    if fmt == "html":
        return to_html(report)
    if fmt == "md":
        return to_markdown(report)
    if fmt == "json":
        return to_json_text(report)
    raise LgsError(f"unknown format {fmt!r}", where="--format", todo=f"use any of {', '.join(FORMATS)}")


def parse_formats(text: str) -> tuple[str, ...]:
    chosen = [f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()]
    chosen = ["md" if f == "markdown" else f for f in chosen]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise LgsError(
            f"unknown report format(s): {', '.join(unknown) or '(none)'}",
            where="--format",
            todo="use a comma-separated list of html, md, json",
        )
    return tuple(dict.fromkeys(chosen))


def write_report(report: WeeklyReport, out_dir: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write the report as ``lgs-weekly-<ISO week>.<format>`` into ``out_dir`` (created if needed)."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in formats:
            path = folder / f"{report.file_stem}.{fmt}"
            path.write_text(render(report, fmt), encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise LgsError(
            f"cannot write the report ({exc.strerror})",
            where=str(folder),
            todo="choose a writable --out folder",
        ) from None
    return written
