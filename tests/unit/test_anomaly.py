"""The spike-and-dip detector on hand-made weekly series: the robust z, MAD = 0, the volume floor, the
season (same ISO week last year), closed weeks and the words of a flag. No database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest

from lgs_core.analyses import anomaly
from lgs_core.analyses.anomaly import (
    Assessment,
    DetectorSettings,
    detect,
    parse_min_change,
    robust_scale,
    robust_z,
)
from lgs_core.errors import LgsError

FIRST_MONDAY = date(2010, 1, 4)  # ISO 2010-W01


def series(values: Sequence[float | int | Decimal | None], metric: str = "new_customers") -> pl.DataFrame:
    """Consecutive ISO weeks from 2010-W01; None is a closed week (no line in the store)."""
    weeks = [FIRST_MONDAY + timedelta(weeks=i) for i in range(len(values))]
    money = anomaly.METRICS[metric].money
    return pl.DataFrame(
        {
            "week_start": weeks,
            "iso_year": [w.isocalendar()[0] for w in weeks],
            "iso_week": [w.isocalendar()[1] for w in weeks],
            "trading": [v is not None for v in values],
            metric: [(Decimal(str(v or 0)) if money else int(v or 0)) for v in values],
        },
        schema_overrides={metric: pl.Decimal(38, 3) if money else pl.Int64},
    )


def by_week(result: list[Assessment]) -> dict[date, Assessment]:
    return {a.week_start: a for a in result}


def test_robust_z_is_the_documented_formula_for_money() -> None:
    values = [100.0, 104.0, 98.0, 101.0, 97.0, 103.0, 99.0, 102.0, 100.0, 96.0, 105.0, 100.0]
    m, s, rule = robust_scale(values)
    ordered = sorted(values)
    median = (ordered[5] + ordered[6]) / 2
    mad = sorted(abs(v - median) for v in values)
    assert (m, rule) == (median, "mad")
    assert s == pytest.approx(1.4826 * (mad[5] + mad[6]) / 2)
    assert robust_z(130.0, m, s) == pytest.approx((130.0 - median) / (1.4826 * (mad[5] + mad[6]) / 2))


def test_mad_zero_falls_back_to_the_mean_absolute_deviation_then_to_no_spread() -> None:
    # More than half the weeks equal: MAD = 0; the mean absolute deviation still sees the two outliers.
    m, s, rule = robust_scale([50.0] * 10 + [40.0, 60.0])
    assert (m, rule) == (50.0, "mean_ad") and s == pytest.approx(1.2533 * 20 / 12)
    # All equal: no spread at all; any change is infinitely unusual and the floor alone decides.
    m, s, rule = robust_scale([50.0] * 12)
    assert (m, s, rule) == (50.0, 0.0, "none")
    assert robust_z(50.0, m, s) == 0 and robust_z(51.0, m, s) == math.inf and robust_z(0.0, m, s) == -math.inf


def test_counts_never_get_less_spread_than_poisson() -> None:
    # 12 weeks of exactly 16 new customers: MAD 0, yet counts of arrivals vary by at least sqrt(16) = 4.
    m, s, rule = robust_scale([16.0] * 12, counts=True)
    assert (m, s, rule) == (16.0, 4.0, "poisson")
    result = detect(series([16] * 12 + [26]), "new_customers", DetectorSettings(seasonal=False))
    assert result[-1].z == pytest.approx(2.5) and result[-1].status == "normal"


def test_money_without_spread_flags_any_change_over_the_floor() -> None:
    flat = [10_000] * 12
    settings = DetectorSettings(seasonal=False)
    over = detect(series([*flat, 16_000], "sales"), "sales", settings)[-1]
    assert over.status == "spike" and over.z == math.inf and over.scale_rule == "none"
    assert over.to_json()["z"] is None and over.to_json()["no_spread"] is True
    under = detect(series([*flat, 14_000], "sales"), "sales", settings)[-1]
    assert under.status == "normal" and "minimum" in under.reason


def test_the_floor_keeps_small_counts_quiet() -> None:
    # A small country: ~1 new customer a week, then 7. z is huge (s = 1, the Poisson floor), the change is 6.
    small = [1, 0, 2, 1, 1, 0, 1, 2, 1, 1, 0, 1]
    judged = detect(series([*small, 7]), "new_customers", DetectorSettings(seasonal=False))[-1]
    assert judged.z is not None and judged.z >= 3
    assert judged.status == "normal" and "under the minimum of 8" in judged.reason
    # The same shape ten times bigger is a spike.
    big = detect(
        series([10 * v + 40 for v in small] + [110]), "new_customers", DetectorSettings(seasonal=False)
    )
    assert big[-1].status == "spike"
    # The floor is configurable.
    lowered = DetectorSettings(seasonal=False, min_change={"new_customers": 5})
    assert detect(series([*small, 7]), "new_customers", lowered)[-1].status == "spike"


def test_too_early_and_closed_weeks_are_not_judged_and_closed_weeks_leave_the_baseline() -> None:
    values: list[int | None] = [20, 21, 19, 22, 20, None, 18, 21, 20, 22, 19, 20, 21, 20, 0]
    result = detect(series(values), "new_customers", DetectorSettings(seasonal=False))
    assert [a.status for a in result[:9]] == ["too_early"] * 5 + ["closed"] + ["too_early"] * 3
    # The first with 8 trading weeks before it: the closed one does not count.
    assert result[9].status == "normal"
    closed_week = FIRST_MONDAY + timedelta(weeks=5)
    assert all(closed_week not in a.baseline_weeks for a in result)
    last = result[-1]
    assert len(last.baseline_weeks) == 12 and last.status == "dip"


def year_of(level: int, peak_week: int | None = None, peak: int = 0) -> list[int]:
    """52 weeks around ``level`` with small deterministic noise and an optional one-week peak."""
    noise = [0, 2, -1, 1, -2, 1, 0, -1, 2, -2, 1, -1, 0]
    values = [level + noise[i % len(noise)] for i in range(52)]
    if peak_week is not None:
        values[peak_week - 1] += peak
    return values


def test_a_new_spike_is_flagged_in_year_two_but_only_watched_in_year_one() -> None:
    # 2010 (52 ISO weeks) then 2011: a spike in week 30 of each year, a dip in week 40 of 2011.
    first = year_of(40, peak_week=30, peak=60)
    second = year_of(40, peak_week=20, peak=60)
    second[39] = 0
    result = by_week(detect(series(first + second), "new_customers"))
    assert result[FIRST_MONDAY + timedelta(weeks=29)].status == "watch"  # no last year to rule out the season
    spike = result[FIRST_MONDAY + timedelta(weeks=52 + 19)]
    dip = result[FIRST_MONDAY + timedelta(weeks=52 + 39)]
    assert (spike.status, dip.status) == ("spike", "dip")
    assert spike.last_year is not None and spike.seasonal_z is not None and spike.seasonal_z >= 2.5
    flagged = [a.week_start for a in result.values() if a.flagged]
    assert flagged == [spike.week_start, dip.week_start]


def test_a_peak_that_recurs_in_the_same_iso_week_is_not_an_anomaly() -> None:
    # Black Friday: week 47 is +60 every year. Plain z flags it; the same week last year explains it.
    values = year_of(40, peak_week=47, peak=60) + year_of(40, peak_week=47, peak=60)
    week47 = FIRST_MONDAY + timedelta(weeks=52 + 46)
    judged = by_week(detect(series(values), "new_customers"))[week47]
    assert judged.z is not None and judged.z > 5
    assert judged.status == "normal" and "in line with the same week last year" in judged.reason
    plain = by_week(detect(series(values), "new_customers", DetectorSettings(seasonal=False)))[week47]
    assert plain.status == "spike"


def test_week_53_compares_with_week_52_of_a_year_without_one() -> None:
    # ISO 2015 has 53 weeks, 2014 has 52: 2015-W53 (28 Dec 2015) is compared with 2014-W52.
    start = date(2013, 12, 30)  # 2014-W01
    weeks = [start + timedelta(weeks=i) for i in range(105)]
    assert weeks[-1].isocalendar()[:2] == (2015, 53)
    frame = pl.DataFrame(
        {
            "week_start": weeks,
            "iso_year": [w.isocalendar()[0] for w in weeks],
            "iso_week": [w.isocalendar()[1] for w in weeks],
            "trading": [True] * len(weeks),
            "orders": [400 + i for i in range(len(weeks))],
        }
    )
    last = detect(frame, "orders")[-1]
    assert last.last_year_week == date(2014, 12, 22) and last.last_year == 400 + 51


def test_the_explanation_reads_like_the_issue_asks() -> None:
    judged = Assessment(
        metric="new_customers",
        week_start=date(2011, 5, 16),
        iso_year=2011,
        iso_week=20,
        value=41,
        status="spike",
        reason="",
        median=18,
        low=12,
        high=25,
        last_year=18,
        last_year_pct=100 * (41 - 18) / 18,
    )
    assert judged.explanation() == (
        "New customers 41, expected 12–25 (median 18), +128% on the same week last year (18)."
    )
    money = Assessment(
        metric="sales",
        week_start=date(2011, 5, 16),
        iso_year=2011,
        iso_week=20,
        value=Decimal("15105.69"),
        status="dip",
        reason="",
        median=52501.375,
        low=24191.4,
        high=80811.6,
    )
    assert money.explanation() == (
        "Sales £15,106, expected £24,191–£80,812 (median £52,501), no same week last year to compare."
    )


def test_min_change_parsing_and_settings_validation() -> None:
    assert parse_min_change("new_customers=5, orders=30,sales=£2500") == {
        "new_customers": 5.0,
        "orders": 30.0,
        "sales": 2500.0,
    }
    assert parse_min_change("new-customers=3") == {"new_customers": 3.0}
    assert parse_min_change("") == {}
    for bad in ("visitors=3", "sales", "sales=lots", "orders=-1", "orders=inf"):
        with pytest.raises(LgsError, match="--min-change"):
            parse_min_change(bad)
    settings = DetectorSettings(min_change={"sales": 1000})
    assert settings.min_change == {"new_customers": 8, "orders": 25, "sales": 1000}
    assert settings.with_min_change("orders=5").floor("orders") == 5
    with pytest.raises(LgsError, match="z threshold"):
        DetectorSettings(z=0)
    with pytest.raises(LgsError, match="trailing weeks"):
        DetectorSettings(trailing_weeks=2)
    with pytest.raises(LgsError, match="minimum history"):
        DetectorSettings(min_history=13)
    with pytest.raises(LgsError, match="unknown metric"):
        DetectorSettings(min_change={"visitors": 3})


def test_weeks_must_be_consecutive() -> None:
    frame = series([20] * 5).filter(pl.col("week_start") != FIRST_MONDAY + timedelta(weeks=2))
    with pytest.raises(ValueError, match="not consecutive"):
        detect(frame, "new_customers")
