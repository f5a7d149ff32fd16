"""Spikes and dips in a weekly series: a robust z against the trailing weeks, confirmed against last year.

For each week of a metric (new customers, orders, sales):

1. **Baseline**: the ``trailing_weeks`` (12) most recent *trading* weeks before it, median ``m``. A week
   without a single line in the store (the Christmas closure) is neither judged nor part of a baseline;
   a week with fewer than ``min_history`` (8) trading weeks before it is too early to judge.
2. **Robust z** = (x − m) / s with s = 1.4826 × MAD (the median absolute deviation; 1.4826 makes it the
   standard deviation for normal data). MAD = 0 (half the baseline weeks equal): for counts s is never
   below Poisson's sqrt(m) (arrivals vary at least that much, and 12 weeks estimate a MAD loosely, so a
   MAD that came out small by chance must not turn a few customers into a large z); for money s falls
   back to 1.2533 × the mean absolute deviation (Iglewicz & Hoaglin), and when every baseline week is
   equal any change is infinitely unusual and the volume floor alone decides.
3. **Volume floor**: |x − m| must be at least ``min_change[metric]`` (8 new customers, 25 orders, £5,000),
   so a move from 2 to 7 new customers in a small country never alarms anyone however large its z.
4. **The season**: a 12-week baseline lags every seasonal step (on the demo data the plain rule flags the
   September and November ramps, orders reaching z of 4–10), so when the same ISO week last year is
   known the week must also stand out against it: the seasonal expectation is last year's value scaled by
   the change of level, ``x_ly × m / m_ly`` (m_ly: that week's own trailing median), and x's z against it,
   with the week-to-week noise of both years (from successive differences, which a level step does not
   inflate), must reach ``confirm_z`` (2.5) in the same direction. A recurring peak (November, Black Friday)
   is therefore not an anomaly; a new one is. Without last year (the data's first year) a week that passes
   1–3 is a **watch**: shown, never flagged, because nothing can tell it from the season.
   ``seasonal=False`` is the plain rule (1–3 only).

``Assessment.status`` is spike, dip, watch, normal, closed or too_early, and ``reason`` says which rule
decided. docs/REPORTING.md gives the defaults' reasons and their calibration on demo data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from lgs_core import formats
from lgs_core.errors import LgsError

if TYPE_CHECKING:  # a type only: the CLI's parser reads this module's defaults without loading Polars
    import polars as pl

Status = Literal["spike", "dip", "watch", "normal", "closed", "too_early"]

# 1.4826 = 1 / Φ⁻¹(3/4): MAD × 1.4826 estimates σ for normal data; 1.2533 = sqrt(π/2) does the same for
# the mean absolute deviation (the fallback when MAD = 0).
MAD_TO_SIGMA = 1.4826
MEAN_AD_TO_SIGMA = 1.2533


@dataclass(frozen=True)
class Metric:
    """A weekly figure the detector watches."""

    key: str
    label: str
    money: bool
    min_change: float  # the default volume floor
    why: str  # the reason for that floor, quoted in docs/REPORTING.md


# Floors: the full data set has ~45 new customers, ~430 orders and ~£180k of sales a week; the 300k-line
# demo about a third of that. A floor is the smallest weekly move worth an email at LGS's size, and it keeps
# a filtered report (one small country: ~1 new customer a week) quiet.
METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "new_customers",
            "New customers",
            False,
            8,
            "8 customers: about one standard deviation of a normal week at LGS's volume",
        ),
        Metric("orders", "Orders", False, 25, "25 orders: about 6% of a normal week of the full data set"),
        Metric(
            "sales",
            "Sales",
            True,
            5000,
            "£5,000: under 3% of a normal week; single wholesale orders reach it",
        ),
    )
}
DETECTED = tuple(METRICS)
# A figure the detector judges for lgs_core.analyses.saved_segments (the weekly report's saved segments section), not
# one of the report's own three: it has its own default floor and no --min-change of its own.
SEGMENT_CUSTOMERS = Metric(
    "segment_customers",
    "Customers in the segment",
    False,
    5,
    "5 customers: a saved segment can be small (a country, a product), and a move under 5 is noise to a marketer",
)
OTHER_METRICS: dict[str, Metric] = {SEGMENT_CUSTOMERS.key: SEGMENT_CUSTOMERS}


def metric_info(key: str) -> Metric:
    """The detector's metric ``key``: one of the report's METRICS, or of OTHER_METRICS."""
    return METRICS.get(key) or OTHER_METRICS[key]


@dataclass(frozen=True)
class DetectorSettings:
    """The detector's knobs; the defaults are explained in docs/REPORTING.md."""

    z: float = 3.0
    trailing_weeks: int = 12
    min_history: int = 8  # fewer trading weeks before it: too early to judge
    min_change: Mapping[str, float] = field(
        default_factory=lambda: {k: m.min_change for k, m in METRICS.items()}
    )
    seasonal: bool = True
    confirm_z: float = 2.5

    def __post_init__(self) -> None:
        if not (self.z > 0 and math.isfinite(self.z)):
            raise LgsError(f"z threshold {self.z}", where="--z", todo="use a positive number, e.g. 3")
        if not (self.confirm_z >= 0 and math.isfinite(self.confirm_z)):
            raise LgsError(f"seasonal z threshold {self.confirm_z}", todo="use a number ≥ 0, e.g. 2.5")
        if self.trailing_weeks < 3:
            raise LgsError(f"{self.trailing_weeks} trailing weeks", todo="use at least 3 (default 12)")
        if not 1 <= self.min_history <= self.trailing_weeks:
            raise LgsError(
                f"minimum history {self.min_history}", todo=f"use 1 to {self.trailing_weeks} weeks"
            )
        floors = {**{k: m.min_change for k, m in METRICS.items()}, **dict(self.min_change)}
        for key, value in floors.items():
            if key not in METRICS:
                raise LgsError(
                    f"unknown metric {key!r}", where="--min-change", todo=f"use one of {', '.join(METRICS)}"
                )
            if not (value >= 0 and math.isfinite(value)):
                raise LgsError(
                    f"minimum change {value} for {key}", where="--min-change", todo="use a number ≥ 0"
                )
        object.__setattr__(self, "min_change", floors)

    def floor(self, metric: str) -> float:
        if metric not in self.min_change:  # a metric of OTHER_METRICS: its default floor
            return float(metric_info(metric).min_change)
        return float(self.min_change[metric])

    def with_min_change(self, text: str) -> DetectorSettings:
        """These settings with floors parsed from ``"new_customers=8,orders=25,sales=5000"`` (any subset)."""
        return replace(self, min_change={**self.min_change, **parse_min_change(text)})

    def to_json(self) -> dict[str, Any]:
        return {
            "z": self.z,
            "trailing_weeks": self.trailing_weeks,
            "min_history": self.min_history,
            "min_change": dict(self.min_change),
            "seasonal": self.seasonal,
            "confirm_z": self.confirm_z,
        }


def parse_min_change(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in METRICS:
            raise LgsError(
                f"{part!r} is not METRIC=NUMBER",
                where="--min-change",
                todo=f"write e.g. 'new_customers=8,orders=25,sales=5000' (metrics: {', '.join(METRICS)})",
            )
        try:
            number = float(value.strip().lstrip("£").replace("_", ""))
        except ValueError:
            raise LgsError(
                f"{value.strip()!r} is not a number", where=f"--min-change {key}", todo="write e.g. 10"
            ) from None
        if not (number >= 0 and math.isfinite(number)):
            raise LgsError(f"minimum change {value.strip()}", where=f"--min-change {key}", todo="use ≥ 0")
        found[key] = number
    return found


@dataclass(frozen=True)
class Assessment:
    """One metric in one week, judged. Numbers are floats (statistics); ``value`` is the exact figure."""

    metric: str
    week_start: date
    iso_year: int
    iso_week: int
    value: int | Decimal
    status: Status
    reason: str  # why the status: the rule that held, or the one that held a flag back
    median: float | None = None
    scale: float | None = None  # s: the noise estimate (1.4826 × MAD, or its fallback)
    scale_rule: str = ""  # "mad" | "mean_ad" | "none" (no spread: any change over the floor counts)
    z: float | None = None  # ±inf when the baseline has no spread
    low: float | None = None  # the flag-free band: values inside it never flag
    high: float | None = None
    baseline_weeks: tuple[date, ...] = ()
    last_year: int | Decimal | None = None
    last_year_week: date | None = None
    last_year_pct: float | None = None  # % change on the same ISO week last year
    seasonal_expected: float | None = None
    seasonal_z: float | None = None

    @property
    def flagged(self) -> bool:
        return self.status in ("spike", "dip")

    @property
    def info(self) -> Metric:
        return metric_info(self.metric)

    @property
    def iso_label(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"

    def explanation(self) -> str:
        """The flag in words: 'New customers 41, expected 12–25 (median 18), +128% on the same week last year (18).'"""
        text = f"{self.info.label} {fmt_value(self.metric, self.value)}"
        if self.median is None:
            return f"{text}: {self.reason}."
        text += (
            f", expected {fmt_value(self.metric, self.low)}–{fmt_value(self.metric, self.high)}"
            f" (median {fmt_value(self.metric, self.median)})"
        )
        if self.last_year_pct is not None and self.last_year is not None:
            text += f", {formats.signed(self.last_year_pct, 0)} on the same week last year ({fmt_value(self.metric, self.last_year)})"
        elif self.last_year is not None:
            text += f", against {fmt_value(self.metric, self.last_year)} in the same week last year"
        else:
            text += ", no same week last year to compare"
        return text + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "week_start": self.week_start.isoformat(),
            "iso_week": self.iso_label,
            "value": json_number(self.value),
            "status": self.status,
            "reason": self.reason,
            "median": _round(self.median),
            "scale": _round(self.scale),
            "scale_rule": self.scale_rule,
            "z": _round(self.z) if self.z is None or math.isfinite(self.z) else None,
            "no_spread": self.scale_rule == "none",
            "expected_low": _round(self.low),
            "expected_high": _round(self.high),
            "baseline_weeks": [d.isoformat() for d in self.baseline_weeks],
            "last_year": json_number(self.last_year),
            "last_year_week": self.last_year_week.isoformat() if self.last_year_week else None,
            "last_year_pct": _round(self.last_year_pct),
            "seasonal_expected": _round(self.seasonal_expected),
            "seasonal_z": _round(self.seasonal_z)
            if self.seasonal_z is None or math.isfinite(self.seasonal_z)
            else None,
            "explanation": self.explanation(),
        }


# --- statistics ---------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of no values")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def robust_scale(values: Sequence[float], *, counts: bool = False) -> tuple[float, float, str]:
    """``(median, s, rule)``: s = 1.4826 × MAD; if MAD = 0, 1.2533 × mean absolute deviation; else 0.

    ``counts``: the values count independent arrivals (customers, orders), whose week-to-week spread is
    at least Poisson's, sqrt(mean); s is at least sqrt(median) (at least 1), so a MAD that came out small
    by chance (12 weeks estimate it loosely) or is 0 does not turn a change of a few into a large z.
    """
    m = median(values)
    deviations = [abs(v - m) for v in values]
    mad = median(deviations)
    if counts:
        poisson = math.sqrt(max(m, 1.0))
        if MAD_TO_SIGMA * mad >= poisson:
            return m, MAD_TO_SIGMA * mad, "mad"
        return m, poisson, "poisson"
    if mad > 0:
        return m, MAD_TO_SIGMA * mad, "mad"
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad > 0:
        return m, MEAN_AD_TO_SIGMA * mean_ad, "mean_ad"
    return m, 0.0, "none"


def week_to_week_noise(values: Sequence[float], *, counts: bool = False) -> float:
    """σ from successive differences: 1.4826 × median |x_t − x_t−1| / √2 (at least sqrt(median) for counts).

    A seasonal step moves one difference, not half the baseline, so unlike the MAD this stays the noise of a
    single week while the level climbs: the right yardstick for "how far from last year's week scaled".
    """
    if len(values) < 2:
        return 0.0
    steps = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    sigma = MAD_TO_SIGMA * median(steps) / math.sqrt(2)
    if counts:
        sigma = max(sigma, math.sqrt(max(median(values), 1.0)))
    return sigma


def robust_z(x: float, m: float, s: float) -> float:
    """(x − m) / s; with no spread (s = 0) ±inf for any change and 0 for none."""
    if s > 0:
        return (x - m) / s
    if x == m:
        return 0.0
    return math.copysign(math.inf, x - m)


# --- the detector -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Week:
    start: date
    iso_year: int
    iso_week: int
    trading: bool
    value: int | Decimal


@dataclass(frozen=True)
class _Baseline:
    weeks: tuple[date, ...]
    median: float
    scale: float
    rule: str
    noise: float  # week-to-week noise (successive differences): the seasonal check's, blind to level steps


def detect(weeks: pl.DataFrame, metric: str, settings: DetectorSettings | None = None) -> list[Assessment]:
    """Judge every week of ``weeks`` (columns week_start, iso_year, iso_week, trading, ``metric``; one row per
    ISO week, consecutive, oldest first) for ``metric``. One Assessment per row, in the same order.
    """
    settings = settings or DetectorSettings()
    if metric not in METRICS and metric not in OTHER_METRICS:
        raise LgsError(f"unknown metric {metric!r}", todo=f"use one of {', '.join(METRICS)}")
    rows = weeks.sort("week_start").select("week_start", "iso_year", "iso_week", "trading", metric).rows()
    series = [_Week(r[0], int(r[1]), int(r[2]), bool(r[3]), r[4]) for r in rows]
    for before, after in zip(series, series[1:], strict=False):
        if after.start - before.start != timedelta(days=7):
            raise ValueError(f"weeks are not consecutive: {before.start} then {after.start}")
    by_iso = {(w.iso_year, w.iso_week): i for i, w in enumerate(series)}
    baselines = [_baseline(series, i, metric, settings) for i in range(len(series))]
    return [_assess(series, i, baselines, by_iso, metric, settings) for i in range(len(series))]


def _baseline(series: list[_Week], i: int, metric: str, settings: DetectorSettings) -> _Baseline | None:
    trading = [w for w in series[:i] if w.trading][-settings.trailing_weeks :]
    if len(trading) < settings.min_history:
        return None
    values = [float(w.value) for w in trading]
    counts = not metric_info(metric).money
    m, s, rule = robust_scale(values, counts=counts)
    return _Baseline(
        tuple(w.start for w in trading), m, s, rule, week_to_week_noise(values, counts=counts) or s
    )


def _last_year_index(by_iso: Mapping[tuple[int, int], int], week: _Week) -> int | None:
    """The same ISO week last year; week 53 falls back to last year's week 52 (most years have no 53)."""
    found = by_iso.get((week.iso_year - 1, week.iso_week))
    if found is None and week.iso_week == 53:
        found = by_iso.get((week.iso_year - 1, 52))
    return found


def _assess(
    series: list[_Week],
    i: int,
    baselines: list[_Baseline | None],
    by_iso: Mapping[tuple[int, int], int],
    metric: str,
    settings: DetectorSettings,
) -> Assessment:
    week = series[i]
    common: dict[str, Any] = {
        "metric": metric,
        "week_start": week.start,
        "iso_year": week.iso_year,
        "iso_week": week.iso_week,
        "value": week.value,
    }
    ly_index = _last_year_index(by_iso, week)
    ly = series[ly_index] if ly_index is not None else None
    x = float(week.value)
    if ly is not None and ly.trading:
        common["last_year"] = ly.value
        common["last_year_week"] = ly.start
        if float(ly.value) != 0:
            common["last_year_pct"] = 100 * (x - float(ly.value)) / abs(float(ly.value))
    if not week.trading:
        return Assessment(**common, status="closed", reason="no lines at all in the store this week")
    base = baselines[i]
    if base is None:
        return Assessment(
            **common,
            status="too_early",
            reason=f"fewer than {settings.min_history} trading weeks before it to compare with",
        )
    floor = settings.floor(metric)
    z = robust_z(x, base.median, base.scale)
    half_band = max(settings.z * base.scale, floor)
    low = base.median - half_band
    if not metric_info(metric).money:
        low = max(low, 0.0)
    stats: dict[str, Any] = {
        **common,
        "median": base.median,
        "scale": base.scale,
        "scale_rule": base.rule,
        "z": z,
        "low": low,
        "high": base.median + half_band,
        "baseline_weeks": base.weeks,
    }
    direction: Status = "spike" if x > base.median else "dip"
    unit = "£" if metric_info(metric).money else ""
    if abs(z) < settings.z:
        return Assessment(**stats, status="normal", reason=f"|z| {_z_text(z)} under {settings.z:g}")
    if abs(x - base.median) < floor:
        return Assessment(
            **stats,
            status="normal",
            reason=f"|z| {_z_text(z)} but the change is under the minimum of {unit}{floor:,.0f}",
        )
    if not settings.seasonal:
        return Assessment(**stats, status=direction, reason=f"|z| {_z_text(z)} ≥ {settings.z:g}")
    ly_base = baselines[ly_index] if ly_index is not None else None
    if ly is None or not ly.trading or ly_base is None:
        if ly is None:
            why = "no same week last year"
        elif not ly.trading:
            why = "the same week last year was closed"
        else:
            why = "too little history before the same week last year"
        return Assessment(
            **stats, status="watch", reason=f"|z| {_z_text(z)}, but {why} to tell it from the season"
        )
    expected, seasonal_z = _seasonal(x, float(ly.value), base, ly_base)
    stats.update(seasonal_expected=expected, seasonal_z=seasonal_z)
    if math.copysign(1, seasonal_z) != math.copysign(1, z) or abs(seasonal_z) < settings.confirm_z:
        return Assessment(
            **stats,
            status="normal",
            reason=f"|z| {_z_text(z)}, but in line with the same week last year "
            f"(expected {unit}{expected:,.0f} from it, z {_z_text(seasonal_z)})",
        )
    return Assessment(
        **stats,
        status=direction,
        reason=f"|z| {_z_text(z)} ≥ {settings.z:g}, and against last year's same week z {_z_text(seasonal_z)}",
    )


def _seasonal(x: float, x_ly: float, base: _Baseline, ly_base: _Baseline) -> tuple[float, float]:
    """Last year's value scaled by the change of level, and x's z against it (both years' noise)."""
    if base.median > 0 and ly_base.median > 0:
        ratio = base.median / ly_base.median
        expected = x_ly * ratio
    else:  # a level at or below zero (sales net of refunds): shift instead of scaling
        ratio = 1.0
        expected = x_ly + base.median - ly_base.median
    noise = math.hypot(base.noise, ratio * ly_base.noise)
    return expected, robust_z(x, expected, noise)


def _z_text(z: float) -> str:
    if math.isinf(z):
        return "∞ (the baseline weeks are all equal)"
    return f"{abs(z):.1f}"


# --- formatting (shared by the report's renderers) ----------------------------------------------------------


def fmt_value(metric: str, value: float | int | Decimal | None) -> str:
    """A detected metric's value: whole pounds for money, a whole count otherwise (``lgs_core.formats``)."""
    if value is None:
        return formats.UNKNOWN
    if metric in METRICS and METRICS[metric].money:
        return formats.money(value)
    return formats.count(round(float(value)))


def json_number(value: int | Decimal | float | None) -> int | float | None:
    """Counts as ints, money as pounds with 2 decimals (the CLI's JSON convention)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return round(float(value), 2)
    return value


def _round(value: float | None, places: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, places)
