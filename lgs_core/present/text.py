"""The words the app shows for its figures: plain help texts, names in words, definitions, numbers as text.

- ``plain(key)``: what a help tooltip or caption says, for a marketer (``PLAIN``); ``definition(key)``: the
  exact one-line definition (docs/DEFINITIONS.md, through ``lgs_core.glossary``; ``EXTRA_DEFINITIONS`` for the
  few the doc does not hold); ``term(key)``: a figure's name in words ("recency_days" → "Days since last order").
- ``column_labels`` / ``words``: a table's headers in words, for a page or a download (``DEEPER_TERMS`` for
  the Deeper segments tables, ``clv_terms`` for a lifetime-value table).
- ``money_text`` / ``count_text`` / ``percent_text``: numbers as a page shows them, through the one number
  formatter (``lgs_core.formats``).

Text only: nothing here reads the store. Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import polars as pl

from lgs_core import formats, glossary

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


def definition(key: str, preset: str = "standard") -> str:
    """The one-line definition the app shows for ``key``: docs/DEFINITIONS.md's, else ``EXTRA_DEFINITIONS``."""
    return glossary.definition(key, preset) or EXTRA_DEFINITIONS.get(key, "")


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
