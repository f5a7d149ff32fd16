"""The invoice amounts the Orders page draws: a histogram's bins and a box plot's figures (issue #5).

Computed here, drawn by ``lgs_core.present.charts`` (``amount_histogram``, ``amount_boxplot``), so a chart
never computes a statistic and a test checks the figures without a chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import polars as pl

from lgs_core.analyses import analytics

# The Orders page's box plot draws at most this many outlier dots (the largest amounts and an even
# sample of the rest): beyond that the dots overlap anyway and the chart's data grows with the store.
MAX_OUTLIER_DOTS = 2_000
HISTOGRAM_BINS = 40


@dataclass(frozen=True)
class BoxStats:
    """A box plot's figures (Tukey): quartiles by linear interpolation, whiskers at the furthest amounts
    within 1.5 × IQR of the box, and the amounts beyond (``outliers``; at most MAX_OUTLIER_DOTS drawn)."""

    count: int
    q1: float
    median: float
    q3: float
    low_whisker: float
    high_whisker: float
    outliers: int
    outlier_amounts: tuple[float, ...]

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "invoices": [self.count],
                "q1": [self.q1],
                "median": [self.median],
                "q3": [self.q3],
                "low_whisker": [self.low_whisker],
                "high_whisker": [self.high_whisker],
                "outliers": [self.outliers],
            }
        )

    def outlier_frame(self) -> pl.DataFrame:
        return pl.DataFrame({"amount": list(self.outlier_amounts)}, schema={"amount": pl.Float64})


def amount_histogram(amounts: pl.Series, bins: int = HISTOGRAM_BINS) -> pl.DataFrame:
    """``analytics.histogram`` of money amounts, bin for bin, in integer arithmetic on Polars: the store's
    amounts have 3 decimals, so bin = floor((amount − min) × bins ÷ (max − min)) in thousandths of a pound
    is exact, and ~100× faster than a Python loop over Fractions."""
    if bins < 1 or amounts.is_empty():
        return analytics.histogram(amounts.to_list(), bins)
    milli = (amounts.cast(pl.Decimal(38, 3)) * 1000).cast(pl.Int64)
    low, high = int(milli.min()), int(milli.max())  # type: ignore[arg-type]
    if low == high:
        return analytics.histogram(amounts.to_list(), bins)
    index = (((milli - low) * bins) // (high - low)).clip(upper_bound=bins - 1)
    counts = index.value_counts().rename({index.name: "bin", "count": "invoices"})
    width = Fraction(high - low, 1000 * bins)
    start = Fraction(low, 1000)
    edges = pl.DataFrame(
        {
            "bin": list(range(bins)),
            "bin_start": [float(start + width * i) for i in range(bins)],
            "bin_end": [float(start + width * (i + 1)) for i in range(bins)],
        },
        schema={"bin": pl.Int64, "bin_start": pl.Float64, "bin_end": pl.Float64},
    )
    return (
        edges.join(counts.with_columns(pl.col("bin").cast(pl.Int64)), on="bin", how="left")
        .select("bin_start", "bin_end", pl.col("invoices").fill_null(0).cast(pl.Int64))
        .sort("bin_start")
    )


def box_stats(amounts: pl.Series) -> BoxStats | None:
    """The box plot of ``amounts`` (pounds); None when there are none."""
    values = amounts.cast(pl.Float64).sort()
    if values.is_empty():
        return None
    q1 = float(values.quantile(0.25, "linear"))  # type: ignore[arg-type]
    median = float(values.quantile(0.5, "linear"))  # type: ignore[arg-type]
    q3 = float(values.quantile(0.75, "linear"))  # type: ignore[arg-type]
    reach = 1.5 * (q3 - q1)
    inside = values.filter((values >= q1 - reach) & (values <= q3 + reach))
    outside = values.filter((values < q1 - reach) | (values > q3 + reach))
    shown = outside
    if outside.len() > MAX_OUTLIER_DOTS:
        step = outside.len() / MAX_OUTLIER_DOTS
        shown = outside.gather([min(int(i * step), outside.len() - 1) for i in range(MAX_OUTLIER_DOTS)])
        shown = pl.concat([shown, outside.tail(1)]).unique().sort()
    return BoxStats(
        count=values.len(),
        q1=q1,
        median=median,
        q3=q3,
        low_whisker=float(inside.min()),  # type: ignore[arg-type]
        high_whisker=float(inside.max()),  # type: ignore[arg-type]
        outliers=outside.len(),
        outlier_amounts=tuple(float(v) for v in shown.to_list()),
    )
