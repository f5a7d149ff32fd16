"""The notebook's analyses over a window (DOMAIN.md §2.1–2.6): invoice amounts, monthly and weekly figures.

Each function takes ``(con, window, preset=...)``: ``"classic"`` reproduces the seed notebook exactly,
``"standard"`` is the default a marketer should read (docs/DEFINITIONS.md lists every difference).
Money stays exact: ``Decimal`` pounds from the store's DECIMAL columns, never floats.

``con`` is a DuckDB store connection, or an ``Engine`` that runs the same sql/analytics files elsewhere
(``lgs_core.query.pushdown.PostgresEngine``: inside PostgreSQL). On a store the queries read the invoice summary
(sql/store/summaries.sql, refreshed by every load), or the lines themselves when the summary is not current.

Statistics are exact and vectorised: the store's money has 3 decimals, so amounts are integers of
thousandths of a pound; sorting, counting, sums and modes run on those integers in Polars, and only the few
cut points and final statistics are Fractions (a linear-interpolated quantile of integers is
``x[lo] + (x[hi] − x[lo]) × frac``, and an integer ``v`` exceeds a cut ``c`` exactly when ``v > floor(c)``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, cast

import polars as pl

from lgs_core.errors import LgsError
from lgs_core.query.run import Connection, run
from lgs_core.query.window import Window

Preset = Literal["classic", "standard"]
PRESETS: tuple[Preset, ...] = ("classic", "standard")

# The notebook's outlier trim (DOMAIN.md §2.1): invoices up to the 85th percentile of amount; the top 15%
# are mostly wholesale orders that squash the histogram.
TRIM_QUANTILE = Fraction(85, 100)

_MONEY = pl.Decimal(38, 3)


def check_preset(preset: str) -> Preset:
    if preset not in PRESETS:
        raise LgsError(
            f"unknown preset {preset!r}",
            where="preset",
            todo="use 'classic' (the original notebook's definitions) or 'standard'",
        )
    return cast(Preset, preset)


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


def sorted_quantile(sorted_values: pl.Series, q: Fraction) -> Fraction:
    """``linear_quantile`` of an ascending Polars series of integers: two look-ups and one Fraction."""
    n = sorted_values.len()
    if n == 0:
        raise ValueError("quantile of no values")
    position = (n - 1) * q
    below = math.floor(position)
    fraction = position - below
    low = int(sorted_values[below])
    if fraction == 0:
        return Fraction(low)
    return low + (int(sorted_values[below + 1]) - low) * fraction


def count_above(values: pl.Expr, cut: Fraction, unit: int = 1) -> pl.Expr:
    """1 where ``values / unit > cut``, else 0 (Int8), for ``values`` integer: exact without Fractions, as
    an integer is above ``cut × unit`` exactly when it is above its floor."""
    bound = max(min(math.floor(cut * unit), _INT64_MAX), _INT64_MIN)
    return (values > bound).cast(pl.Int8)


_INT64_MAX = 2**63 - 1
_INT64_MIN = -(2**63)


def to_milli(amounts: pl.Expr) -> pl.Expr:
    """Pounds with at most 3 decimals (the store's DECIMAL(18, 3)) as an exact Int64 of thousandths."""
    return (amounts.cast(_MONEY) * 1000).cast(pl.Int64)


def _pounds(milli: int) -> Decimal:
    return Decimal(milli).scaleb(-3)


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

    @classmethod
    def of_sorted_milli(cls, milli: pl.Series) -> AmountStats:
        """``of`` for amounts given as an ascending Int64 series of thousandths of a pound (vectorised)."""
        n = milli.len()
        if n == 0:
            return cls(0, None, None, None, None, None)
        milli = milli.alias("milli")
        # the mode: the most frequent amount, the smallest among ties
        counts = milli.value_counts(name="n").sort(["n", "milli"], descending=[True, False])
        return cls(
            count=n,
            min=_pounds(int(milli[0])),
            max=_pounds(int(milli[-1])),
            median=to_decimal(sorted_quantile(milli, Fraction(1, 2)) / 1000),
            mean=to_decimal(Fraction(int(milli.cast(pl.Int128).sum()), 1000 * n)),
            mode=_pounds(int(counts["milli"][0])),
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
        return _milli_histogram(frame.select(to_milli(pl.col("amount")))["amount"], bins)

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


def _milli_histogram(milli: pl.Series, bins: int) -> pl.DataFrame:
    """``histogram`` of amounts given in thousandths of a pound, bin for bin, in integer arithmetic:
    bin = floor((v − min) × bins ÷ (max − min)), the last bin holding the maximum."""
    if bins < 1 or milli.is_empty():
        return histogram([], bins)
    low, high = int(cast(int, milli.min())), int(cast(int, milli.max()))
    if low == high:
        return pl.DataFrame(
            {"bin_start": [low / 1000], "bin_end": [high / 1000], "invoices": [milli.len()]},
            {"bin_start": pl.Float64, "bin_end": pl.Float64, "invoices": pl.Int64},
        )
    # In Int128: (v − min) × bins cannot overflow, whatever the bins.
    wide = [pl.lit(x, dtype=pl.Int128) for x in (low, bins, high - low)]
    index = pl.select(
        ((milli.cast(pl.Int128) - wide[0]) * wide[1] // wide[2]).clip(upper_bound=bins - 1)
    ).to_series()
    counts = [0] * bins
    for b, n in index.value_counts(name="n").iter_rows():
        counts[int(b)] = int(n)
    width = Fraction(high - low, 1000 * bins)
    start = Fraction(low, 1000)
    return pl.DataFrame(
        {
            "bin_start": [float(start + width * i) for i in range(bins)],
            "bin_end": [float(start + width * (i + 1)) for i in range(bins)],
            "invoices": counts,
        },
        {"bin_start": pl.Float64, "bin_end": pl.Float64, "invoices": pl.Int64},
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


def totals(con: Connection, window: Window) -> WindowTotals:
    row = run(con, "analytics/totals", window.params()).row(0, named=True)
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


def invoice_distribution(con: Connection, window: Window, preset: str = "standard") -> InvoiceDistribution:
    """Invoice amounts and their statistics (DOMAIN.md §2.1).

    classic: every invoice with amount > 0 (the notebook's). standard: the same, less bad-debt adjustment
    invoices ('A…', not orders) and any cancellation invoice ('C…').
    """
    chosen = check_preset(preset)
    invoices = run(con, "analytics/invoice_amounts", window.params())
    eligible = pl.col("amount") > 0
    if chosen == "standard":
        eligible = eligible & ~pl.col("is_cancellation") & ~pl.col("is_adjustment")
    # Sorted by amount, then invoice: on integer thousandths (the same order, a cheaper sort).
    sorted_frame = (
        invoices.filter(eligible)
        .select(
            "invoice",
            "invoice_date",
            "customer_id",
            "country",
            pl.col("amount").cast(_MONEY),
            to_milli(pl.col("amount")).alias("milli"),
        )
        .sort("milli", "invoice")
    )
    amounts = sorted_frame.drop("milli")
    milli = sorted_frame["milli"]
    if milli.is_empty():
        return InvoiceDistribution(chosen, amounts, None, AmountStats.of([]), AmountStats.of([]))
    p85_milli = sorted_quantile(milli, TRIM_QUANTILE)
    # amount ≤ p85 exactly when the integer thousandths ≤ floor(p85 in thousandths): a prefix of the sorted.
    trimmed = milli.head(int(milli.le(math.floor(p85_milli)).sum()))
    return InvoiceDistribution(
        preset=chosen,
        amounts=amounts,
        p85=to_decimal(p85_milli / 1000),
        positive=AmountStats.of_sorted_milli(milli),
        trimmed_85=AmountStats.of_sorted_milli(trimmed),
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


def _periods(con: Connection, window: Window, preset: str, period: str) -> pl.DataFrame:
    chosen = check_preset(preset)
    step = "1 month" if period == "month" else "7 days"
    frame = run(
        con,
        "analytics/periods",
        {**window.params(), "period": period, "step": step, "classic": chosen == "classic"},
    )
    return frame.with_columns(pl.col("sales").cast(_MONEY)).sort("period_start")


def monthly(con: Connection, window: Window, preset: str = "standard") -> pl.DataFrame:
    """One row per calendar month (DOMAIN.md §2.2–2.6): month (first day), invoices, placed, canceled,
    sales (Decimal pounds), growth_pct (% change of sales on the previous month; null for the first),
    active_customers, new_customers, existing_customers (new + existing = active).
    """
    frame = _periods(con, window, preset, "month")
    return frame.rename({"period_start": "month"}).select("month", *PERIOD_COLUMNS)


def weekly(con: Connection, window: Window, preset: str = "standard") -> pl.DataFrame:
    """``monthly`` by ISO week: week_start (the Monday), iso_year, iso_week, then the same columns."""
    frame = _periods(con, window, preset, "week")
    return frame.rename({"period_start": "week_start"}).select(
        "week_start",
        pl.col("week_start").dt.iso_year().cast(pl.Int32).alias("iso_year"),
        pl.col("week_start").dt.week().cast(pl.Int32).alias("iso_week"),
        *PERIOD_COLUMNS,
    )
