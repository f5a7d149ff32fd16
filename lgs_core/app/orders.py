"""The Orders page's model: the invoice amount distribution (all, and trimmed at the 85th percentile) with the
notebook's statistics, and placed and cancelled orders per month. ``orders(con, window, preset)`` is the page's
one call. Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from lgs_core.analyses import analytics
from lgs_core.analyses.amounts import BoxStats, amount_histogram, box_stats
from lgs_core.analyses.analytics import InvoiceDistribution, check_preset
from lgs_core.app.figures import mark_whole_months, resolve
from lgs_core.present.text import count_text, money_text
from lgs_core.query.window import Window


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
    resolved, _, _ = resolve(con, window)
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
