"""The notebook's analyses over a window (DOMAIN.md §2.1–2.6): invoice amounts, monthly and weekly figures.

Each function takes ``(con, window, preset=...)``: ``"classic"`` reproduces the seed notebook exactly,
``"standard"`` is the default a marketer should read (docs/DEFINITIONS.md lists every difference).
Money stays exact: ``Decimal`` pounds from the store's DECIMAL columns, never floats.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

import duckdb
import polars as pl

from lgs_core.errors import LgsError
from lgs_core.window import Window, query

Preset = Literal["classic", "standard"]
PRESETS: tuple[Preset, ...] = ("classic", "standard")

# The notebook's outlier trim (DOMAIN.md §2.1): invoices up to the 85th percentile of amount; the top 15%
# are mostly wholesale orders that squash the histogram.
TRIM_QUANTILE = Fraction(85, 100)

_MONEY = pl.Decimal(38, 3)

DEFINITIONS_PATH = Path(__file__).resolve().parent.parent / "docs" / "DEFINITIONS.md"
_DEFINITION = re.compile(r"^- `(?P<key>[a-z0-9_]+)`(?: \((?P<preset>classic)\))?: (?P<text>.+)$")


def check_preset(preset: str) -> Preset:
    if preset not in PRESETS:
        raise LgsError(
            f"unknown preset {preset!r}",
            where="preset",
            todo="use 'classic' (the original notebook's definitions) or 'standard'",
        )
    return cast(Preset, preset)


@cache
def definitions() -> dict[tuple[str, str], str]:
    """The one-line definitions of docs/DEFINITIONS.md: ``{(key, preset): text}``, preset "standard" or
    "classic" (a classic entry only where the classic preset differs).
    """
    found: dict[tuple[str, str], str] = {}
    if not DEFINITIONS_PATH.exists():  # an install without docs/: figures simply have no help text
        return found
    for line in DEFINITIONS_PATH.read_text(encoding="utf-8").splitlines():
        match = _DEFINITION.match(line)
        if match:
            found[(match["key"], match["preset"] or "standard")] = match["text"]
    return found


def definition(key: str, preset: str = "standard") -> str:
    """The definition of a figure (e.g. ``"placed"``) under a preset; "" when it has none."""
    table = definitions()
    return table.get((key, preset)) or table.get((key, "standard"), "")


def run_query(con: duckdb.DuckDBPyConnection, name: str, window: Window, **extra: Any) -> pl.DataFrame:
    """Run ``sql/analytics/<name>.sql`` over ``window`` and return its rows (drained: results stream)."""
    sql, params = query(name, window, **extra)
    return con.sql(sql, params=params).pl()


# --- exact statistics ---------------------------------------------------------------------------------


def linear_quantile(sorted_values: Sequence[Fraction], q: Fraction) -> Fraction:
    """The q-quantile by linear interpolation between closest ranks: pandas' and numpy's default.

    Exact (Fractions in, a Fraction out), so a value equal to a cut point is recognised as equal.
    """
    n = len(sorted_values)
    if n == 0:
        raise ValueError("quantile of no values")
    position = (n - 1) * q
    below = math.floor(position)
    fraction = position - below
    low = sorted_values[below]
    if fraction == 0:
        return low
    return low + (sorted_values[below + 1] - low) * fraction


def to_decimal(value: Fraction, places: int = 6) -> Decimal:
    """A Fraction as a Decimal rounded to ``places`` decimals (half-even); exact for money medians."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal(1).scaleb(-places))


@dataclass(frozen=True)
class AmountStats:
    """Statistics of invoice amounts in pounds. ``mean`` is rounded to 6 decimals; the rest are exact."""

    count: int
    min: Decimal | None
    max: Decimal | None
    median: Decimal | None
    mean: Decimal | None
    mode: Decimal | None  # the most frequent amount; the smallest among ties

    @classmethod
    def of(cls, sorted_amounts: Sequence[Decimal]) -> AmountStats:
        n = len(sorted_amounts)
        if n == 0:
            return cls(0, None, None, None, None, None)
        exact = [Fraction(a) for a in sorted_amounts]
        counts = Counter(sorted_amounts)
        top = max(counts.values())
        return cls(
            count=n,
            min=sorted_amounts[0],
            max=sorted_amounts[-1],
            median=to_decimal(linear_quantile(exact, Fraction(1, 2))),
            mean=to_decimal(sum(exact, Fraction(0)) / n),
            mode=min(a for a, c in counts.items() if c == top),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "min": _money(self.min),
            "max": _money(self.max),
            "median": _money(self.median),
            "mean": _money(self.mean),
            "mode": _money(self.mode),
        }


def _money(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 2)


@dataclass(frozen=True)
class InvoiceDistribution:
    """Invoice amounts (DOMAIN.md §2.1): statistics over invoices with amount > 0 and over those up to the
    85th percentile of amount (the notebook's trim). ``amounts``: invoice, invoice_date, customer_id,
    country, amount — the invoices counted in ``positive``, smallest amount first.
    """

    preset: Preset
    amounts: pl.DataFrame
    p85: Decimal | None
    positive: AmountStats
    trimmed_85: AmountStats

    def trimmed_amounts(self) -> pl.DataFrame:
        if self.p85 is None:
            return self.amounts
        return self.amounts.filter(pl.col("amount") <= self.p85)

    def histogram(self, bins: int = 30, *, trimmed: bool = False) -> pl.DataFrame:
        """Equal-width bins from the smallest to the largest amount: bin_start, bin_end (pounds), invoices.

        A bin holds amounts from its start up to, not including, its end; the last bin includes its end.
        """
        frame = self.trimmed_amounts() if trimmed else self.amounts
        return histogram(frame["amount"].to_list(), bins)

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "p85": _money(self.p85),
            "positive": self.positive.to_json(),
            "trimmed_85": self.trimmed_85.to_json(),
        }


def histogram(values: Sequence[Decimal], bins: int = 30) -> pl.DataFrame:
    """Counts of ``values`` in ``bins`` equal-width bins between their min and max (exact bin membership)."""
    if bins < 1:
        raise LgsError(f"{bins} histogram bins", where="bins", todo="choose at least 1 bin")
    schema = {"bin_start": pl.Float64, "bin_end": pl.Float64, "invoices": pl.Int64}
    if not values:
        return pl.DataFrame(schema=schema)
    exact = [Fraction(v) for v in values]
    low, high = min(exact), max(exact)
    if low == high:
        return pl.DataFrame(
            {"bin_start": [float(low)], "bin_end": [float(high)], "invoices": [len(exact)]}, schema
        )
    width = (high - low) / bins
    counts = [0] * bins
    for v in exact:
        counts[min(math.floor((v - low) / width), bins - 1)] += 1
    return pl.DataFrame(
        {
            "bin_start": [float(low + width * i) for i in range(bins)],
            "bin_end": [float(low + width * (i + 1)) for i in range(bins)],
            "invoices": counts,
        },
        schema,
    )


# --- the analyses ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowTotals:
    """What the window holds; every other analysis reconciles with these (sales in exact pounds)."""

    lines: int
    invoices: int
    canceled: int
    not_canceled: int
    customers: int
    countries: int
    sales: Decimal
    first_line_at: datetime | None
    last_line_at: datetime | None

    @property
    def is_empty(self) -> bool:
        return self.lines == 0


def totals(con: duckdb.DuckDBPyConnection, window: Window) -> WindowTotals:
    row = run_query(con, "totals", window).row(0, named=True)
    return WindowTotals(
        lines=int(row["lines"]),
        invoices=int(row["invoices"]),
        canceled=int(row["canceled"]),
        not_canceled=int(row["not_canceled"]),
        customers=int(row["customers"]),
        countries=int(row["countries"]),
        sales=Decimal(row["sales"]),
        first_line_at=row["first_line_at"],
        last_line_at=row["last_line_at"],
    )


def invoice_distribution(
    con: duckdb.DuckDBPyConnection, window: Window, preset: str = "standard"
) -> InvoiceDistribution:
    """Invoice amounts and their statistics (DOMAIN.md §2.1).

    classic: every invoice with amount > 0 (the notebook's). standard: the same, less bad-debt adjustment
    invoices ('A…', not orders) and any cancellation invoice ('C…').
    """
    chosen = check_preset(preset)
    invoices = run_query(con, "invoice_amounts", window)
    eligible = pl.col("amount") > 0
    if chosen == "standard":
        eligible = eligible & ~pl.col("is_cancellation") & ~pl.col("is_adjustment")
    amounts = (
        invoices.filter(eligible)
        .select("invoice", "invoice_date", "customer_id", "country", pl.col("amount").cast(_MONEY))
        .sort("amount", "invoice")
    )
    values: list[Decimal] = amounts["amount"].to_list()
    if not values:
        return InvoiceDistribution(chosen, amounts, None, AmountStats.of([]), AmountStats.of([]))
    p85_exact = linear_quantile([Fraction(v) for v in values], TRIM_QUANTILE)
    trimmed = [v for v in values if Fraction(v) <= p85_exact]
    return InvoiceDistribution(
        preset=chosen,
        amounts=amounts,
        p85=to_decimal(p85_exact),
        positive=AmountStats.of(values),
        trimmed_85=AmountStats.of(trimmed),
    )


PERIOD_COLUMNS = (
    "invoices",
    "placed",
    "canceled",
    "sales",
    "growth_pct",
    "active_customers",
    "new_customers",
    "existing_customers",
)


def _periods(con: duckdb.DuckDBPyConnection, window: Window, preset: str, period: str) -> pl.DataFrame:
    chosen = check_preset(preset)
    step = "1 month" if period == "month" else "7 days"
    frame = run_query(con, "periods", window, period=period, step=step, classic=chosen == "classic")
    return frame.with_columns(pl.col("sales").cast(_MONEY)).sort("period_start")


def monthly(con: duckdb.DuckDBPyConnection, window: Window, preset: str = "standard") -> pl.DataFrame:
    """One row per calendar month (DOMAIN.md §2.2–2.6): month (first day), invoices, placed, canceled,
    sales (Decimal pounds), growth_pct (% change of sales on the previous month; null for the first),
    active_customers, new_customers, existing_customers (new + existing = active).
    """
    frame = _periods(con, window, preset, "month")
    return frame.rename({"period_start": "month"}).select("month", *PERIOD_COLUMNS)


def weekly(con: duckdb.DuckDBPyConnection, window: Window, preset: str = "standard") -> pl.DataFrame:
    """``monthly`` by ISO week: week_start (the Monday), iso_year, iso_week, then the same columns."""
    frame = _periods(con, window, preset, "week")
    return frame.rename({"period_start": "week_start"}).select(
        "week_start",
        pl.col("week_start").dt.iso_year().cast(pl.Int32).alias("iso_year"),
        pl.col("week_start").dt.week().cast(pl.Int32).alias("iso_week"),
        *PERIOD_COLUMNS,
    )
