"""RFM scores and customer segments (DOMAIN.md §2.7).

The per-customer base (recency, frequency, monetary) comes from ``sql/analytics/rfm_base.sql``; the scoring
is here, in exact arithmetic, so every score can be explained against its cut points.

Scoring rule, for every dimension and method: ``score = 1 + number of cut points strictly below the value``
(a value equal to a cut point goes to the lower bin, as in pandas ``qcut``), reversed for recency so the
most recent customers score highest. **Thresholds** (``FixedCuts(..., at_least=True)``) are the same rule in
a marketer's words: "at least 10 orders" and "spent at least £500" include the threshold (frequency and
monetary count the thresholds *reached*, ``value ≥ threshold``); "last order within 30 days" already includes
day 30 under the plain rule. A ``CustomerRule`` ("within 30 days, at least 10 orders") is one threshold per
dimension, scored by the same code: a customer matches when every dimension it names scores its top. Quantile cut points are the k/bins quantiles by linear interpolation
(pandas' default), computed exactly. When cut points coincide (e.g. most customers bought once) the bins
between them are empty and never crash: equal values always share a score, and the scores skip the empty
bins (all customers with the same frequency all score F=1; with the same recency all score R=top).

The scores of all customers are computed at once on integers in Polars (days, invoices, thousandths of a
pound: exact, as the store's money has 3 decimals; an integer is above a cut point exactly when it is above
its floor), and only the cut points are Fractions. ``DimensionCuts.score`` applies the same rule to one value
(``RfmResult.explain``); tests/store/test_summaries.py checks the two agree for every customer.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, cast

import polars as pl

from lgs_core import formats
from lgs_core.analyses.analytics import (
    Preset,
    check_preset,
    count_above,
    linear_quantile,
    sorted_quantile,
    to_milli,
)
from lgs_core.errors import LgsError
from lgs_core.query.run import Connection, run
from lgs_core.query.window import Window

Scoring = Literal["quantile", "fixed"]
Axis = Literal["f", "fm"]

# The notebook's "today" (DOMAIN.md §2.7): the classic preset's reference date unless one is given.
CLASSIC_REFERENCE_DATE = date(2012, 1, 1)

# The notebook's segments: a regex on the two-character R+F string (DOMAIN.md §2.7), in its order.
CLASSIC10_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"[1-2][1-2]", "Hibernating"),
    (r"[1-2][3-4]", "At Risk"),
    (r"[1-2]5", "Can't Lose"),
    (r"3[1-2]", "About to Sleep"),
    (r"33", "Need Attention"),
    (r"[3-4][4-5]", "Loyal Customers"),
    (r"41", "Promising"),
    (r"51", "New Customers"),
    (r"[4-5][2-3]", "Potential Loyalists"),
    (r"5[4-5]", "Champions"),
)

# The 11-segment variant: R against FM = quintile score of (F + M) / 2 (DOMAIN.md §2.7).
RFM11_CELLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Champions", ("55", "54", "45")),
    ("Loyal", ("53", "44", "35", "34")),
    ("Potential Loyalists", ("52", "42", "43", "33")),
    ("New", ("51",)),
    ("Promising", ("41", "31")),
    ("Need Attention", ("32", "23", "22")),
    ("About to Sleep", ("21",)),
    ("At Risk", ("25", "24", "13")),
    ("Can't Lose", ("15", "14")),
    ("Hibernating", ("12",)),
    ("Lost", ("11",)),
)

# Suggested fixed cut points (the --cuts example): recency in days, frequency in invoices, monetary in £.
EXAMPLE_FIXED_CUTS = "r=30,90,180,365;f=1,2,5,10;m=100,500,1000,5000"

_DIMENSION_NAMES = {"r": "recency", "f": "frequency", "m": "monetary"}


# --- segment maps -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentMap:
    """Every cell of the R × (F or FM) grid mapped to exactly one segment name.

    ``cells`` holds ("RF", segment) pairs; ``segments`` the names in display order.
    """

    name: str
    axis: Axis
    r_bins: int
    x_bins: int
    cells: tuple[tuple[str, str], ...]
    segments: tuple[str, ...]

    def lookup(self) -> dict[str, str]:
        return dict(self.cells)

    @classmethod
    def from_grid(
        cls,
        grid: Mapping[str, str],
        *,
        r_bins: int = 5,
        x_bins: int = 5,
        axis: Axis = "f",
        name: str = "custom",
        where: str = "segment grid",
    ) -> SegmentMap:
        """A user grid ``{"RF": segment}``; it must map every R × F cell and nothing else."""
        expected = [f"{r}{x}" for r in range(1, r_bins + 1) for x in range(1, x_bins + 1)]
        keys = {str(k).strip(): v for k, v in grid.items()}
        unknown = sorted(k for k in keys if k not in expected)
        if unknown:
            raise LgsError(
                f"the segment grid has cell(s) {', '.join(unknown)} outside the {r_bins}×{x_bins} R×F grid",
                where=where,
                todo=f"use two-digit keys R then F, each 1–{r_bins} and 1–{x_bins}",
            )
        missing = [k for k in expected if k not in keys]
        if missing:
            raise LgsError(
                f"the segment grid leaves R×F cell(s) {', '.join(missing)} unmapped",
                where=where,
                todo="give every cell of the grid a segment name",
            )
        blank = [k for k in expected if not isinstance(keys[k], str) or not keys[k].strip()]
        if blank:
            raise LgsError(
                f"the segment grid gives cell(s) {', '.join(blank)} no segment name",
                where=where,
                todo="give every cell a non-empty name",
            )
        cells = tuple((k, keys[k].strip()) for k in expected)
        segments = tuple(dict.fromkeys(v for _, v in cells))
        return cls(name, axis, r_bins, x_bins, cells, segments)


def _classic10() -> SegmentMap:
    grid: dict[str, str] = {}
    for r in range(1, 6):
        for f in range(1, 6):
            key = f"{r}{f}"
            hits = [seg for pattern, seg in CLASSIC10_PATTERNS if re.fullmatch(pattern, key)]
            assert len(hits) == 1, f"classic10 cell {key} matches {hits}"  # DOMAIN.md: exactly one each
            grid[key] = hits[0]
    built = SegmentMap.from_grid(grid, name="classic10")
    return SegmentMap(built.name, "f", 5, 5, built.cells, tuple(seg for _, seg in CLASSIC10_PATTERNS))


def _rfm11() -> SegmentMap:
    grid = {cell: seg for seg, cells in RFM11_CELLS for cell in cells}
    built = SegmentMap.from_grid(grid, name="rfm11", axis="fm")
    return SegmentMap(built.name, "fm", 5, 5, built.cells, tuple(seg for seg, _ in RFM11_CELLS))


CLASSIC10 = _classic10()
RFM11 = _rfm11()
NAMED_MAPS = {"classic10": CLASSIC10, "rfm11": RFM11}


def load_segment_map(spec: str, *, r_bins: int = 5, f_bins: int = 5) -> SegmentMap:
    """``"classic10"``, ``"rfm11"`` or the path of a JSON file ``{"RF": "segment", ...}``."""
    if spec in NAMED_MAPS:
        return NAMED_MAPS[spec]
    path = Path(spec)
    if not path.exists():
        raise LgsError(
            f"no segment map named {spec!r} and no such file",
            where="--segments",
            todo='use classic10, rfm11, or the path of a JSON file mapping every R×F cell ("11": "Lost", …)',
        )
    try:
        grid = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LgsError(
            f"cannot read the segment grid ({exc})",
            where=str(path),
            todo="give a JSON object mapping every R×F cell to a segment name",
        ) from None
    if not isinstance(grid, dict):
        raise LgsError(
            "the segment grid is not a JSON object",
            where=str(path),
            todo='write it as {"11": "Lost", "12": "Hibernating", …}',
        )
    return SegmentMap.from_grid(grid, r_bins=r_bins, x_bins=f_bins, name=path.name, where=str(path))


# --- parameters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedCuts:
    """Fixed cut points per dimension, ascending: recency in days, frequency in invoices, monetary in £.

    A value equal to a cut point goes to the lower bin: recency 30 with cuts 30,90,180,365 scores R=5, and
    frequency 10 with cuts 1,2,5,10 scores F=4 (the analyst's cut points, ``lgs rfm --cuts``).

    ``at_least``: the same numbers read as a marketer's thresholds: frequency and monetary score one more for
    every threshold they *reach* (≥), so "F 5: at least 10 orders" is frequency ≥ 10 and "M 5: spent at least
    £5,000" is monetary ≥ £5,000; recency is unchanged ("R 5: within 30 days" is recency ≤ 30 either way).
    """

    recency: tuple[Decimal, ...]
    frequency: tuple[Decimal, ...]
    monetary: tuple[Decimal, ...]
    at_least: bool = False

    def __post_init__(self) -> None:
        word = "threshold" if self.at_least else "cut point"
        for dim in ("recency", "frequency", "monetary"):
            cuts = tuple(Decimal(str(c)) for c in getattr(self, dim))
            object.__setattr__(self, dim, cuts)
            if not 2 <= len(cuts) <= 4:
                raise LgsError(
                    f"{len(cuts)} {dim} {word}(s): fixed scoring needs 2 to 4 (3 to 5 scores)",
                    where=f"{word}s",
                    todo=f"e.g. {EXAMPLE_FIXED_CUTS}",
                )
            if any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
                if self.at_least:
                    raise LgsError(
                        f"the {_THRESHOLD_WORDS[dim]} thresholds {', '.join(map(_plain_number, cuts))} are "
                        "not increasing",
                        where="thresholds",
                        todo="give each higher score a larger threshold than the score below it",
                    )
                raise LgsError(
                    f"the {dim} cut points {', '.join(map(str, cuts))} are not increasing",
                    where="cut points",
                    todo="list each dimension's cut points from smallest to largest",
                )

    @classmethod
    def parse(cls, text: str) -> FixedCuts:
        """``"r=30,90,180,365;f=1,2,5,10;m=100,500,1000,5000"`` (every dimension required)."""
        found: dict[str, tuple[Decimal, ...]] = {}
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            key, sep, values = part.partition("=")
            dim = _DIMENSION_NAMES.get(key.strip().lower()[:1]) if key.strip() else None
            if not sep or dim is None:
                raise LgsError(
                    f"cannot read cut points {part!r}",
                    where="--cuts",
                    todo=f"write them as {EXAMPLE_FIXED_CUTS}",
                )
            try:
                found[dim] = tuple(Decimal(v.strip().lstrip("£")) for v in values.split(",") if v.strip())
            except InvalidOperation:
                raise LgsError(
                    f"the {dim} cut points {values!r} are not numbers",
                    where="--cuts",
                    todo=f"write them as {EXAMPLE_FIXED_CUTS}",
                ) from None
        missing = [d for d in ("recency", "frequency", "monetary") if d not in found]
        if missing:
            raise LgsError(
                f"no cut points for {', '.join(missing)}",
                where="--cuts",
                todo=f"give all three: {EXAMPLE_FIXED_CUTS}",
            )
        return cls(found["recency"], found["frequency"], found["monetary"])

    def to_text(self) -> str:
        return ";".join(
            f"{k}={','.join(str(c) for c in getattr(self, dim))}" for k, dim in _DIMENSION_NAMES.items()
        )

    def dimension(self, dim: str) -> DimensionCuts:
        """The scoring of one dimension ("recency", "frequency" or "monetary") by these cut points."""
        cuts = tuple(Fraction(c) for c in getattr(self, dim))
        return DimensionCuts(
            dim, "fixed", "value", dim == "recency", cuts, self.at_least and dim != "recency"
        )


_THRESHOLD_WORDS = {"recency": "last order", "frequency": "orders", "monetary": "spend"}


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), ",f")


@dataclass(frozen=True)
class RfmParams:
    """How to score: preset, reference date, scoring method and bins or cut points, segment map.

    ``reference_date`` None: classic → 2012-01-01 (the notebook's), standard → the day after the last line in
    the window's dates. ``segment_map``: "classic10", "rfm11", a SegmentMap, or a grid dict {"RF": name}.
    """

    preset: str = "standard"
    reference_date: date | None = None
    scoring: str = "quantile"
    bins: int = 5
    cuts: FixedCuts | None = None
    segment_map: str | SegmentMap | Mapping[str, str] = "classic10"
    segments: SegmentMap = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_preset(self.preset)
        if self.scoring not in ("quantile", "fixed"):
            raise LgsError(
                f"unknown scoring {self.scoring!r}", where="scoring", todo="use 'quantile' or 'fixed'"
            )
        if self.scoring == "quantile" and not 3 <= self.bins <= 5:
            raise LgsError(f"{self.bins} bins", where="bins", todo="choose 3, 4 or 5 bins per score")
        if self.scoring == "fixed" and self.cuts is None:
            raise LgsError(
                "fixed scoring without cut points", where="cut points", todo=f"give e.g. {EXAMPLE_FIXED_CUTS}"
            )
        r_bins, f_bins = self.bins_of("recency"), self.bins_of("frequency")
        spec = self.segment_map
        if isinstance(spec, SegmentMap):
            segments = spec
        elif isinstance(spec, str):
            segments = load_segment_map(spec, r_bins=r_bins, f_bins=f_bins)
            if spec not in NAMED_MAPS:  # a file: keep its contents, so equal params mean equal grids
                object.__setattr__(self, "segment_map", segments)
        else:
            segments = SegmentMap.from_grid(spec, r_bins=r_bins, x_bins=f_bins)
            object.__setattr__(self, "segment_map", segments)
        if (segments.r_bins, segments.x_bins) != (r_bins, f_bins):
            raise LgsError(
                f"the segment map {segments.name} is defined on a {segments.r_bins}×{segments.x_bins} grid, "
                f"but these scores make a {r_bins}×{f_bins} grid",
                where="segments",
                todo="use 5 bins (or 4 cut points) for classic10 and rfm11, or a grid covering every R×F cell",
            )
        object.__setattr__(self, "segments", segments)

    def bins_of(self, dimension: str) -> int:
        if self.scoring == "fixed" and self.cuts is not None:
            return len(getattr(self.cuts, dimension)) + 1
        return self.bins

    @property
    def effective_reference_date(self) -> date | None:
        if self.reference_date is None and self.preset == "classic":
            return CLASSIC_REFERENCE_DATE
        return self.reference_date

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "reference_date": self.reference_date.isoformat() if self.reference_date else None,
            "scoring": self.scoring,
            "bins": self.bins if self.scoring == "quantile" else None,
            "cuts": self.cuts.to_text() if self.cuts else None,
            # Thresholds ("at least 10 orders"): a frequency or monetary value equal to one scores higher.
            "cuts_include_equal": bool(self.cuts.at_least) if self.cuts else None,
            "segment_map": self.segments.name,
            "segment_grid": dict(self.segments.cells) if self.segments.name not in NAMED_MAPS else None,
        }


# --- cut points ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionCuts:
    """One dimension's cut points and how they score: ``score = 1 + #(cuts < value)`` (reversed for recency).

    ``on``: "value", or "rank" (classic frequency: scored on rank(method="first"), ties by customer id).
    """

    dimension: str
    method: str  # quantile | fixed
    on: str  # value | rank
    reversed: bool
    cuts: tuple[Fraction, ...]
    at_least: bool = (
        False  # thresholds: count the cut points ≤ the value (a value equal to one scores higher)
    )

    @property
    def bins(self) -> int:
        return len(self.cuts) + 1

    def _below(self, value: Fraction | int | Decimal) -> int:
        find = bisect_right if self.at_least else bisect_left
        return find(self.cuts, Fraction(value))

    def score(self, value: Fraction | int | Decimal) -> int:
        below = self._below(value)
        return self.bins - below if self.reversed else 1 + below

    def explain(
        self, value: Fraction | int | Decimal, score: int, *, ranked_value: int = 0, ranked_among: int = 0
    ) -> str:
        """E.g. "R=4: recency 40 days; quintile cut points 39, 67.6, 156, 386.2 days; 1 below → R = 5 − 1"."""
        letter = _LETTERS[self.dimension]
        below = self._below(value)
        if self.on == "rank":
            subject = (
                f"{self.dimension} {_show(self.dimension, Fraction(ranked_value))} is rank {value} of "
                f"{ranked_among} (ties by customer id)"
            )
            shown = ", ".join(_number(c) for c in self.cuts)
            kind = f"{_QUANTILE_NAMES.get(self.bins, f'{self.bins}-quantile')} cut points of the ranks"
        else:
            subject = f"{self.dimension} {_show(self.dimension, Fraction(value))}"
            shown = _show_all(self.dimension, self.cuts)
            kind = (
                ("thresholds" if self.at_least else "fixed cut points")
                if self.method == "fixed"
                else f"{_QUANTILE_NAMES.get(self.bins, f'{self.bins}-quantile')} cut points"
            )
        rule = f"{self.bins} − {below}" if self.reversed else f"1 + {below}"
        counted = "reached" if self.at_least else "below"
        return (
            f"{letter}={score}: {subject}; {kind} {shown or '(none)'}; {below} {counted} → {letter} = {rule}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "method": self.method,
            "on": self.on,
            "reversed": self.reversed,
            "cuts": [float(c) for c in self.cuts],
            "include_equal": self.at_least,
        }


_LETTERS = {"recency": "R", "frequency": "F", "monetary": "M", "fm": "FM"}
_QUANTILE_NAMES = {3: "tercile", 4: "quartile", 5: "quintile"}


def _number(value: Fraction) -> str:
    return formats.number(value)


def _show_all(dimension: str, cuts: Sequence[Fraction]) -> str:
    if dimension == "monetary":
        return ", ".join(_show(dimension, c) for c in cuts)
    unit = {"recency": " days", "frequency": " invoices"}.get(dimension, "")
    return ", ".join(_number(c) for c in cuts) + (unit if cuts else "")


def _show(dimension: str, value: Fraction) -> str:
    if dimension == "monetary":
        return formats.money(value, places=2)
    if dimension == "recency":
        return f"{_number(value)} days"
    if dimension == "frequency":
        return f"{_number(value)} invoices"
    return _number(value)


@dataclass(frozen=True)
class CutPoints:
    recency: DimensionCuts
    frequency: DimensionCuts
    monetary: DimensionCuts
    fm: DimensionCuts

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k).to_json() for k in ("recency", "frequency", "monetary", "fm")}


def quantile_cuts(values: Sequence[Fraction], bins: int) -> tuple[Fraction, ...]:
    """The k/bins quantiles (k = 1 … bins − 1) of ``values`` by linear interpolation, exactly."""
    if not values:
        return ()
    ordered = sorted(values)
    return tuple(linear_quantile(ordered, Fraction(k, bins)) for k in range(1, bins))


# --- scoring -------------------------------------------------------------------------------------------------

CUSTOMER_COLUMNS = (
    "customer_id",
    "country",
    "first_purchase",
    "last_purchase",
    "recency_days",
    "frequency",
    "monetary",
    "r",
    "f",
    "m",
    "fm",
    "rfm",
    "segment",
)

_CUSTOMER_SCHEMA: dict[str, Any] = {
    "customer_id": pl.Int32,
    "country": pl.String,
    "first_purchase": pl.Datetime("us"),
    "last_purchase": pl.Datetime("us"),
    "recency_days": pl.Int32,
    "frequency": pl.Int32,
    "monetary": pl.Decimal(38, 3),
    "r": pl.Int8,
    "f": pl.Int8,
    "m": pl.Int8,
    "fm": pl.Int8,
    "rfm": pl.String,
    "segment": pl.String,
}


@dataclass(frozen=True)
class RfmResult:
    """Scored customers with everything needed to explain and reproduce them."""

    window: Window
    params: RfmParams
    reference_date: date | None
    customers: pl.DataFrame
    cut_points: CutPoints
    frequency_rank: dict[int, int] = field(repr=False)  # classic: customer → rank(method="first")

    @property
    def segment_map(self) -> SegmentMap:
        return self.params.segments

    def summary(self) -> pl.DataFrame:
        return _summary(self.customers, self.params.segments)

    def grid(self) -> pl.DataFrame:
        return _grid(self.customers, self.params.segments)

    def explain(self, customer_id: int) -> list[str]:
        """One line per score: the customer's value, the cut points and the score they give."""
        rows = self.customers.filter(pl.col("customer_id") == customer_id)
        if rows.is_empty():
            raise LgsError(
                f"customer {customer_id} has no purchase in this window",
                where="customer id",
                todo="choose a customer from the table, or widen the window",
            )
        row = rows.row(0, named=True)
        cp = self.cut_points
        if cp.frequency.on == "rank":
            f_line = cp.frequency.explain(
                self.frequency_rank[customer_id],
                row["f"],
                ranked_value=row["frequency"],
                ranked_among=self.customers.height,
            )
        else:
            f_line = cp.frequency.explain(row["frequency"], row["f"])
        lines = [
            f"customer {customer_id}: last purchase {row['last_purchase']:%Y-%m-%d %H:%M}, "
            f"reference date {self.reference_date}",
            cp.recency.explain(row["recency_days"], row["r"]),
            f_line,
            cp.monetary.explain(row["monetary"], row["m"]),
        ]
        if self.params.segments.axis == "fm":
            lines.append(cp.fm.explain(Fraction(row["f"] + row["m"], 2), row["fm"]))
        key = f"{row['r']}{row['fm'] if self.params.segments.axis == 'fm' else row['f']}"
        lines.append(f"segment: cell {key} of {self.params.segments.name} → {row['segment']}")
        return lines


@dataclass(frozen=True)
class CustomerRule:
    """A customer list in a marketer's words: "last order within 30 days, at least 10 orders, spent at least
    £500" (None: no limit on that dimension). Every limit includes its number: within 30 days is recency ≤ 30
    (bought on the reference date's 30th day back counts), at least 10 orders is frequency ≥ 10, at least £500
    is monetary ≥ £500.

    It compiles to the scoring above: one threshold per dimension it names (``dimensions``, two scores each),
    and a customer matches when each of those dimensions scores its top (``matches``).
    """

    within_days: int | None = None
    min_orders: int | None = None
    min_spend: Decimal | None = None

    def __post_init__(self) -> None:
        if self.within_days is not None and self.within_days < 0:
            raise LgsError(
                f"last order within {self.within_days} days", where="rule", todo="use 0 days or more"
            )
        if self.min_orders is not None and self.min_orders < 1:
            raise LgsError(f"at least {self.min_orders} orders", where="rule", todo="use 1 order or more")
        if self.min_spend is not None:
            spend = Decimal(str(self.min_spend))
            if not spend.is_finite():
                raise LgsError(f"spent at least {self.min_spend}", where="rule", todo="give an amount in £")
            object.__setattr__(self, "min_spend", spend)

    @property
    def is_empty(self) -> bool:
        return self.within_days is None and self.min_orders is None and self.min_spend is None

    def dimensions(self) -> tuple[tuple[str, DimensionCuts, int], ...]:
        """(customer column, its one-threshold scoring, the column's unit) for every limit the rule sets."""
        found: list[tuple[str, DimensionCuts, int]] = []
        if self.within_days is not None:
            cut = (Fraction(self.within_days),)
            found.append(("recency_days", DimensionCuts("recency", "fixed", "value", True, cut), 1))
        if self.min_orders is not None:
            cut = (Fraction(self.min_orders),)
            found.append(("frequency", DimensionCuts("frequency", "fixed", "value", False, cut, True), 1))
        if self.min_spend is not None:
            cut = (Fraction(self.min_spend),)
            found.append(("monetary", DimensionCuts("monetary", "fixed", "value", False, cut, True), _MILLI))
        return tuple(found)

    def matches(self, customers: pl.DataFrame) -> pl.DataFrame:
        """The scored ``customers`` (``rfm(...).customers``) this rule picks, in their order."""
        tops = []
        for column, cuts, unit in self.dimensions():
            values = to_milli(pl.col(column)) if unit == _MILLI else pl.col(column).cast(pl.Int64)
            tops.append(_scores(values, cuts, unit=unit) == 2)
        if not tops:
            return customers
        return customers.filter(pl.all_horizontal(tops))

    def describe(self, reference: date | None = None) -> str:
        """E.g. "last order within 30 days (on or after 11 Nov 2011), at least 10 orders, spent at least
        £500.00": every limit included."""
        parts = []
        if self.within_days is not None:
            since = ""
            if reference is not None:
                since = f" (on or after {reference - timedelta(days=self.within_days):%d %b %Y})"
            parts.append(
                f"last order within {self.within_days:,} day{'s' if self.within_days != 1 else ''}{since}"
            )
        if self.min_orders is not None:
            parts.append(f"at least {self.min_orders:,} order{'s' if self.min_orders != 1 else ''}")
        if self.min_spend is not None:
            parts.append(f"spent at least £{self.min_spend:,.2f}")
        return ", ".join(parts) if parts else "every customer"

    def to_json(self) -> dict[str, Any]:
        return {
            "within_days": self.within_days,
            "min_orders": self.min_orders,
            "min_spend": format(self.min_spend, "f") if self.min_spend is not None else None,
            "limits_included": True,
        }


def rfm(con: Connection, window: Window, params: RfmParams | None = None) -> RfmResult:
    """Score every customer with a purchase in ``window`` (DOMAIN.md §2.7; docs/DEFINITIONS.md).

    ``con``: a DuckDB store or an ``query.run.Engine`` (e.g. ``lgs_core.query.pushdown.PostgresEngine``).
    """
    params = params or RfmParams()
    preset: Preset = check_preset(params.preset)
    classic = preset == "classic"
    base = run(
        con,
        "analytics/rfm_base",
        {**window.params(), "classic": classic, "reference": _as_timestamp(params.effective_reference_date)},
    ).sort("customer_id")
    reference = base["reference_date"][0] if base.height else params.effective_reference_date
    if base.height and base["recency_days"].min() < 0:  # type: ignore[operator]
        latest = cast(datetime, base["last_purchase"].max())
        raise LgsError(
            f"the reference date {reference} is before the last purchase in the window ({latest:%Y-%m-%d %H:%M})",
            where="reference date",
            todo="choose a reference date after the window's last purchase, or end the window earlier",
        )
    # Every value as an integer: recency in days, frequency in invoices, monetary in thousandths of a pound
    # (exact: the store's money has 3 decimals). classic: frequency scored on rank(method="first"), ties
    # broken by customer id ascending (DOMAIN.md §2.7): an ordinal rank of the frame in customer id order.
    values = base.select(
        pl.col("recency_days").cast(pl.Int64).alias("recency"),
        pl.col("frequency").cast(pl.Int64).alias("frequency"),
        to_milli(pl.col("monetary")).alias("monetary"),
        pl.col("frequency").rank("ordinal").cast(pl.Int64).alias("rank"),
    )
    freq_on_rank = classic and params.scoring == "quantile"
    f_column = "rank" if freq_on_rank else "frequency"

    if params.scoring == "fixed":
        assert params.cuts is not None
        dims_r, dims_f, dims_m = (params.cuts.dimension(d) for d in ("recency", "frequency", "monetary"))
    else:
        cut_r = _integer_quantile_cuts(values["recency"], params.bins)
        cut_f = _integer_quantile_cuts(values[f_column], params.bins)
        cut_m = tuple(c / _MILLI for c in _integer_quantile_cuts(values["monetary"], params.bins))
        dims_r = DimensionCuts("recency", params.scoring, "value", True, cut_r)
        dims_f = DimensionCuts("frequency", params.scoring, "rank" if freq_on_rank else "value", False, cut_f)
        dims_m = DimensionCuts("monetary", params.scoring, "value", False, cut_m)
    scores = values.with_columns(  # with_columns: a constant score (no cut points) fills every row
        _scores(pl.col("recency"), dims_r).alias("r"),
        _scores(pl.col(f_column), dims_f).alias("f"),
        _scores(pl.col("monetary"), dims_m, unit=_MILLI).alias("m"),
    ).select("r", "f", "m")
    # FM (rfm11): the quantile score of (F + M) / 2 over the customers, on the F axis's number of bins; computed
    # on the integer F + M, whose quantiles are twice those of (F + M) / 2.
    f_plus_m = scores.select(pl.col("f").cast(pl.Int64) + pl.col("m").cast(pl.Int64))["f"]
    cut_fm = tuple(c / 2 for c in _integer_quantile_cuts(f_plus_m, params.bins_of("frequency")))
    dims_fm = DimensionCuts("fm", "quantile", "value", False, cut_fm)
    scores = scores.with_columns(
        _scores(pl.col("f").cast(pl.Int64) + pl.col("m").cast(pl.Int64), dims_fm, unit=2).alias("fm")
    )

    segments = params.segments
    x_axis = "fm" if segments.axis == "fm" else "f"
    customers = pl.concat(
        [
            base.select(
                "customer_id",
                "country",
                "first_purchase",
                "last_purchase",
                "recency_days",
                "frequency",
                "monetary",
            ),
            scores.select(
                "r",
                "f",
                "m",
                "fm",
                pl.concat_str("r", "f", "m").alias("rfm"),
                pl.concat_str("r", x_axis)
                .replace_strict(segments.lookup(), return_dtype=pl.String)
                .alias("segment"),
            ),
        ],
        how="horizontal",
    )
    customers = customers.cast(_CUSTOMER_SCHEMA).select(CUSTOMER_COLUMNS)  # type: ignore[arg-type]
    return RfmResult(
        window=window,
        params=params,
        reference_date=reference,
        customers=customers,
        cut_points=CutPoints(dims_r, dims_f, dims_m, dims_fm),
        frequency_rank=dict(zip(base["customer_id"].to_list(), values["rank"].to_list(), strict=True)),
    )


_MILLI = 1000  # monetary in thousandths of a pound


def _integer_quantile_cuts(values: pl.Series, bins: int) -> tuple[Fraction, ...]:
    """``quantile_cuts`` of integers, sorted in Polars: the same Fractions, without a Fraction per value."""
    if values.is_empty():
        return ()
    ordered = values.sort()
    return tuple(sorted_quantile(ordered, Fraction(k, bins)) for k in range(1, bins))


def _scores(values: pl.Expr, cuts: DimensionCuts, unit: int = 1) -> pl.Expr:
    """``cuts.score`` of every value, vectorised: ``values`` are integers of 1/``unit`` of the dimension's
    unit, and ``1 + #(cuts < value)`` (reversed: ``bins − #``) counts exactly on integers (``count_above``).
    """
    if cuts.cuts:
        count = _count_at_least if cuts.at_least else count_above
        below = pl.sum_horizontal([count(values, c, unit) for c in cuts.cuts])
    else:
        below = pl.lit(0, dtype=pl.Int8)
    score = (cuts.bins - below) if cuts.reversed else (1 + below)
    return score.cast(pl.Int8)


def _count_at_least(values: pl.Expr, threshold: Fraction, unit: int = 1) -> pl.Expr:
    """1 where ``values / unit >= threshold``, else 0 (Int8), for ``values`` integer: an integer reaches
    ``threshold × unit`` exactly when it reaches its ceiling (``count_above``'s twin for thresholds)."""
    bound = max(min(math.ceil(threshold * unit), _INT64_MAX), _INT64_MIN)
    return (values >= bound).cast(pl.Int8)


_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)


def _as_timestamp(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time())


def rfm_customers(con: Connection, window: Window, params: RfmParams | None = None) -> pl.DataFrame:
    """One row per customer: customer_id, country, first/last_purchase, recency_days, frequency, monetary
    (Decimal £), r, f, m, fm, rfm ("545"), segment.
    """
    return rfm(con, window, params).customers


def rfm_summary(con: Connection, window: Window, params: RfmParams | None = None) -> pl.DataFrame:
    """One row per segment of the map (empty ones too), in the map's order."""
    return rfm(con, window, params).summary()


def rf_grid(con: Connection, window: Window, params: RfmParams | None = None) -> pl.DataFrame:
    """Customers and revenue per R × F cell (R × FM for rfm11), every cell present, for a heat map."""
    return rfm(con, window, params).grid()


def _summary(customers: pl.DataFrame, segments: SegmentMap) -> pl.DataFrame:
    total_customers = customers.height
    revenue_all: Decimal = sum(customers["monetary"].to_list(), Decimal(0))
    rows = []
    for name in segments.segments:
        part = customers.filter(pl.col("segment") == name)
        n = part.height
        revenue: Decimal = sum(part["monetary"].to_list(), Decimal(0))
        rows.append(
            {
                "segment": name,
                "customers": n,
                "customer_share": n / total_customers if total_customers else None,
                "revenue": revenue,
                "revenue_share": float(revenue / revenue_all) if revenue_all > 0 else None,
                "mean_recency_days": cast(float, part["recency_days"].mean()) if n else None,
                "mean_frequency": cast(float, part["frequency"].mean()) if n else None,
                "mean_monetary": (revenue / n).quantize(Decimal("0.01")) if n else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "segment": pl.String,
            "customers": pl.Int64,
            "customer_share": pl.Float64,
            "revenue": pl.Decimal(38, 3),
            "revenue_share": pl.Float64,
            "mean_recency_days": pl.Float64,
            "mean_frequency": pl.Float64,
            "mean_monetary": pl.Decimal(38, 2),
        },
        orient="row",
    )


def _grid(customers: pl.DataFrame, segments: SegmentMap) -> pl.DataFrame:
    axis = segments.axis
    counts: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for r, x, money in customers.select("r", axis, "monetary").iter_rows():
        n, total = counts.get((r, x), (0, Decimal(0)))
        counts[(r, x)] = (n + 1, total + money)
    lookup = segments.lookup()
    rows = [
        {
            "r": r,
            axis: x,
            "customers": counts.get((r, x), (0, Decimal(0)))[0],
            "revenue": counts.get((r, x), (0, Decimal(0)))[1],
            "segment": lookup[f"{r}{x}"],
        }
        for r in range(1, segments.r_bins + 1)
        for x in range(1, segments.x_bins + 1)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "r": pl.Int8,
            axis: pl.Int8,
            "customers": pl.Int64,
            "revenue": pl.Decimal(38, 3),
            "segment": pl.String,
        },
        orient="row",
    )
