"""The weekly report's figures (issue #6): the week's KPIs against last week, last year and the trailing
weeks, its flags with the countries that moved, and the report as one frozen value (``build_report``)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
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
from lgs_core.query.run import run
from lgs_core.query.window import Window
from lgs_core.report.week import (
    check_countries,
    data_days,
    day_text,
    last_complete_week,
    monday,
    report_week,
    week_label,
)
from lgs_core.store import store

DEFAULT_WEEKS = 26  # half a year of history in the tables and charts: the last two seasons at a glance
MAX_WEEKS = 260
TOP_COUNTRIES = 5
SHARE_WORTH_NAMING = 0.1  # a country is named when it carries at least 10% of the flag's change
_CENT = Decimal("0.01")
# What each status is called on the page and in the chart's legend.
STATUS_WORDS = {
    "spike": "Spike",
    "dip": "Dip",
    "watch": "Watch",
    "normal": "Normal",
    "too_early": "Too early to judge",
    "closed": "Closed",
}

Kind = Literal["count", "money", "pct"]


# --- the report's data ----------------------------------------------------------------------------------


KPI_DEFINITIONS: dict[str, str] = glossary.section("report")  # docs/DEFINITIONS.md
KPIS: tuple[tuple[str, str, Kind], ...] = (
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
            "value": json_value(self.value),
            "last_week": json_value(self.last_week),
            "same_week_last_year": json_value(self.last_year),
            "trailing_median": json_value(self.trailing_median),
            "vs_last_week": json_round(self.change(self.last_week)),
            "vs_last_year": json_round(self.change(self.last_year)),
            "vs_trailing_median": json_round(self.change(self.trailing_median)),
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
            "value": json_value(self.value),
            "trailing_median": json_round(self.median),
            "change": json_round(self.change),
            "same_week_last_year": json_value(self.last_year),
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
        return week_label(self.week_start)

    @property
    def dates(self) -> str:
        start, end = self.week_start, self.week_end
        first = f"{start.day} {start:%b}" if start.year == end.year else day_text(start)
        return f"{first} – {day_text(end)}"

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
    first, last = data_days(con)
    week, notes = report_week(first, last, as_of)
    check_countries(con, countries)
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
    first, last = data_days(con)
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
    for key, label, kind in KPIS:

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


def json_value(value: Number | None) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return json_number(value)


def json_round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
