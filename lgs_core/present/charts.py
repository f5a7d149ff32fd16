"""The app's charts, as Vega-Lite specs built from lgs_core results (issues #5, #14). Imports no streamlit.

Every chart has tooltips and axis titles with their units (£, %, counts); the page puts the figure's one-line
definition (``lgs_core.present.text.definition``) under it. A builder returns a ``lgs_core.present.vegalite.VegaLite``: a
plain dict whose data is a Polars frame (floats and ISO dates: money is ``Decimal`` up to here), which the
page gives ``st.vega_lite_chart`` (the frame goes as Arrow, and nothing validates the spec on every rerun:
tests/app/test_charts.py validates every builder's spec against the Vega-Lite schema once). Tests read the spec
(``chart.to_dict()``: the rows inline) and check its encodings; the emailed report renders specs offline
with vl-convert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from lgs_core.present.theme import GREY, INK, RUST, SAND, TEAL, segment_colour
from lgs_core.present.vegalite import VegaLite, chart, condition, field, layer, layered, mark, tooltip

if TYPE_CHECKING:
    from lgs_core.analyses.amounts import BoxStats

HEIGHT = 300


def _month_axis() -> dict[str, Any]:
    return field(
        "month:T",
        title="Month",
        timeUnit="yearmonth",
        axis={"format": "%b %Y", "labelAngle": 0, "labelOverlap": True, "labelFlush": True},
    )


def _month_tooltip() -> dict[str, Any]:
    return tooltip("month:T", "Month", "%B %Y", timeUnit="yearmonth")


def _whole(frame: pl.DataFrame) -> pl.DataFrame:
    """The month frame with ``whole_month`` (lgs_core.app.figures.mark_whole_months), True when absent."""
    if "whole_month" in frame.columns:
        return frame
    return frame.with_columns(pl.lit(True).alias("whole_month"))


def _fade_partial() -> dict[str, Any]:
    # A month the date range cuts short is drawn faded: its figures cover only part of the month.
    return condition("datum.whole_month", 1.0, 0.4)


def _partial_tooltip() -> dict[str, Any]:
    return tooltip("whole_month:N", "Whole month in the date range")


def segment_scale(segments: Sequence[str]) -> dict[str, Any]:
    """A fixed colour per segment, in the map's order."""
    colours = [segment_colour(i) for i in range(len(segments))]
    return {"domain": list(segments), "range": colours}


# --- Overview -------------------------------------------------------------------------------------------


def monthly_sales(monthly: pl.DataFrame) -> VegaLite:
    """Bars: sales per month in pounds (``lgs_core.app.overview.Overview.monthly``)."""
    return chart(
        _whole(monthly).select("month", "sales", "growth_pct", "whole_month"),
        mark("bar", color=TEAL),
        {
            "x": _month_axis(),
            "y": field("sales:Q", title="Sales (£)", axis={"format": ",.0f"}),
            "opacity": _fade_partial(),
            "tooltip": [
                _month_tooltip(),
                tooltip("sales:Q", "Sales (£)", ",.2f"),
                tooltip("growth_pct:Q", "Change on previous month (%)", "+.1f"),
                _partial_tooltip(),
            ],
        },
        title="Monthly sales",
        height=HEIGHT,
    )


def monthly_growth(monthly: pl.DataFrame) -> VegaLite:
    """Bars around zero: month-over-month change of sales in percent, green-teal up and rust down."""
    frame = (
        _whole(monthly)
        .select("month", "sales", "growth_pct", "whole_month")
        .filter(pl.col("growth_pct").is_not_null())
    )
    return chart(
        frame,
        mark("bar"),
        {
            "x": _month_axis(),
            "y": field("growth_pct:Q", title="Growth (%)", axis={"format": "+.0f"}),
            "color": condition("datum.growth_pct >= 0", TEAL, RUST),
            "opacity": _fade_partial(),
            "tooltip": [
                _month_tooltip(),
                tooltip("growth_pct:Q", "Change on previous month (%)", "+.1f"),
                tooltip("sales:Q", "Sales (£)", ",.2f"),
                _partial_tooltip(),
            ],
        },
        title="Monthly sales growth",
        height=HEIGHT,
    )


def monthly_active_customers(monthly: pl.DataFrame) -> VegaLite:
    """Line with points: distinct customers with any line in the month."""
    return chart(
        _whole(monthly).select("month", "active_customers", "whole_month"),
        mark("line", point=True, color=TEAL),
        {
            "x": _month_axis(),
            "y": field("active_customers:Q", title="Customers", axis={"format": ",d"}),
            "tooltip": [
                _month_tooltip(),
                tooltip("active_customers:Q", "Active customers", ",d"),
                _partial_tooltip(),
            ],
        },
        title="Monthly active customers",
        height=HEIGHT,
    )


def new_vs_existing(monthly: pl.DataFrame) -> VegaLite:
    """Stacked bars: each month's active customers split into new and existing."""
    frame = (
        _whole(monthly)
        .select("month", "active_customers", "new_customers", "existing_customers", "whole_month")
        .unpivot(
            index=["month", "active_customers", "whole_month"],
            on=["new_customers", "existing_customers"],
            variable_name="kind",
            value_name="customers",
        )
        .with_columns(
            pl.col("kind").replace_strict({"new_customers": "New", "existing_customers": "Existing"})
        )
    )
    return chart(
        frame,
        mark("bar"),
        {
            "x": _month_axis(),
            "y": field("customers:Q", title="Customers", stack="zero", axis={"format": ",d"}),
            "color": field(
                "kind:N",
                title="Customer",
                scale={"domain": ["New", "Existing"], "range": [SAND, TEAL]},
                legend={"orient": "right", "title": None},
            ),
            "order": field("kind:N", sort="descending"),
            "opacity": _fade_partial(),
            "tooltip": [
                _month_tooltip(),
                tooltip("kind:N", "Customer"),
                tooltip("customers:Q", "Customers", ",d"),
                tooltip("active_customers:Q", "All active customers", ",d"),
                _partial_tooltip(),
            ],
        },
        title="New and existing customers",
        height=HEIGHT,
    )


# --- Orders ---------------------------------------------------------------------------------------------


def amount_histogram(histogram: pl.DataFrame, *, trimmed: bool = False) -> VegaLite:
    """Bars from bin_start to bin_end (pounds): invoices per equal-width amount bin."""
    return chart(
        histogram,
        mark("bar", color=TEAL, binSpacing=1),
        {
            "x": field("bin_start:Q", bin="binned", title="Invoice amount (£)", axis={"format": ",.0f"}),
            "x2": field("bin_end"),
            "y": field("invoices:Q", title="Invoices", axis={"format": ",d"}),
            "tooltip": [
                tooltip("bin_start:Q", "From (£)", ",.2f"),
                tooltip("bin_end:Q", "Up to (£)", ",.2f"),
                tooltip("invoices:Q", "Invoices", ",d"),
            ],
        },
        title="Invoice amounts up to the 85th percentile" if trimmed else "Invoice amounts",
        height=HEIGHT,
    )


def amount_boxplot(box: BoxStats, *, trimmed: bool = False) -> VegaLite:
    """A horizontal box plot from precomputed figures (amounts.BoxStats): whiskers, the box from Q1 to Q3, the
    median, and the outlier amounts as dots (at most amounts.MAX_OUTLIER_DOTS of them). Precomputed so the
    chart's data stays small at any store size.
    """
    x_title = "Invoice amount (£)"
    tips = [
        tooltip("invoices:Q", "Invoices", ",d"),
        tooltip("low_whisker:Q", "Lower whisker (£)", ",.2f"),
        tooltip("q1:Q", "25th percentile (£)", ",.2f"),
        tooltip("median:Q", "Median (£)", ",.2f"),
        tooltip("q3:Q", "75th percentile (£)", ",.2f"),
        tooltip("high_whisker:Q", "Upper whisker (£)", ",.2f"),
        tooltip("outliers:Q", "Amounts beyond the whiskers", ",d"),
    ]
    whiskers = layer(
        mark("rule", color=GREY),
        {
            "x": field("low_whisker:Q", title=x_title, axis={"format": ",.0f"}),
            "x2": field("high_whisker"),
            "tooltip": tips,
        },
        dataset="box",
    )
    body = layer(
        mark("bar", size=36, color=TEAL, opacity=0.55),
        {"x": field("q1:Q", title=x_title), "x2": field("q3"), "tooltip": tips},
        dataset="box",
    )
    median = layer(
        mark("tick", color=INK, thickness=2, size=36),
        {"x": field("median:Q", title=x_title), "tooltip": tips},
        dataset="box",
    )
    dots = layer(
        mark("circle", color=RUST, opacity=0.35, size=18),
        {
            "x": field("amount:Q", title=x_title),
            "tooltip": [tooltip("amount:Q", "Invoice amount (£)", ",.2f")],
        },
        dataset="outliers",
    )
    return layered(
        [whiskers, body, median, dots],
        datasets={"box": box.frame(), "outliers": box.outlier_frame()},
        title="Spread of invoice amounts" + (" up to the 85th percentile" if trimmed else ""),
        height=170,
    )


def orders_per_month(monthly: pl.DataFrame) -> VegaLite:
    """Grouped bars: orders placed and canceled per month (``lgs_core.app.orders.Orders.monthly``)."""
    frame = (
        _whole(monthly)
        .select("month", "placed", "canceled", "whole_month")
        .unpivot(
            index=["month", "whole_month"],
            on=["placed", "canceled"],
            variable_name="kind",
            value_name="orders",
        )
        .with_columns(pl.col("kind").replace_strict({"placed": "Placed", "canceled": "Canceled"}))
    )
    return chart(
        frame,
        mark("bar"),
        {
            "x": _month_axis(),
            "xOffset": field("kind:N", sort=["Placed", "Canceled"]),
            "y": field("orders:Q", title="Orders", axis={"format": ",d"}),
            "color": field(
                "kind:N",
                title="Orders",
                scale={"domain": ["Placed", "Canceled"], "range": [TEAL, RUST]},
                legend={"orient": "right", "title": None},
            ),
            "opacity": _fade_partial(),
            "tooltip": [
                _month_tooltip(),
                tooltip("kind:N", "Orders"),
                tooltip("orders:Q", "Invoices", ",d"),
                _partial_tooltip(),
            ],
        },
        title="Orders placed and canceled",
        height=HEIGHT,
    )


def cancellation_rate(monthly: pl.DataFrame) -> VegaLite:
    """Line: canceled ÷ placed per month, in percent."""
    return chart(
        _whole(monthly).select("month", "placed", "canceled", "cancellation_rate_pct", "whole_month"),
        mark("line", point=True, color=RUST),
        {
            "x": _month_axis(),
            "y": field("cancellation_rate_pct:Q", title="Cancellation rate (%)", axis={"format": ".0f"}),
            "tooltip": [
                _month_tooltip(),
                tooltip("cancellation_rate_pct:Q", "Cancellation rate (%)", ".1f"),
                tooltip("placed:Q", "Placed", ",d"),
                tooltip("canceled:Q", "Canceled", ",d"),
                _partial_tooltip(),
            ],
        },
        title="Cancellation rate",
        height=HEIGHT,
    )


# --- Customer segments ----------------------------------------------------------------------------------


def _two_lines(name: str) -> str:
    """A segment name split into two lines of similar length at a space (one line when it is one word)."""
    words = name.split()
    if len(words) < 2:
        return name
    best = min(
        range(1, len(words)),
        key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))),
    )
    return " ".join(words[:best]) + "\n" + " ".join(words[best:])


def rf_heatmap(grid: pl.DataFrame) -> VegaLite:
    """The R × F grid (R × FM for rfm11) as a heat map (``lgs_core.app.segments.Segments.grid``): one cell per pair of scores,
    darker for more customers, with its count of customers and its segment written in it."""
    axis = "fm" if "fm" in grid.columns else "f"
    letter = axis.upper()
    frame = grid.rename({axis: "x"}).with_columns(
        pl.col("segment").map_elements(_two_lines, return_dtype=pl.String).alias("label")
    )
    most = max(int(frame["customers"].max() or 0), 1)  # type: ignore[arg-type]
    x_title = f"{letter} score ({'frequency and spending' if axis == 'fm' else 'frequency'}: 1 = lowest)"
    base = {
        "x": field("x:O", title=x_title, axis={"labelAngle": 0}),
        "y": field("r:O", title="R score (recency: higher = more recent)", sort="descending"),
        "tooltip": [
            tooltip("segment:N", "Segment"),
            tooltip("r:O", "R"),
            tooltip("x:O", letter),
            tooltip("customers:Q", "Customers", ",d"),
            tooltip("revenue:Q", "Revenue (£)", ",.2f"),
        ],
    }
    cells = layer(
        mark("rect", stroke="white", strokeWidth=2),
        {
            **base,
            "color": field(
                "customers:Q",
                title="Customers",
                scale={"scheme": "tealblues", "domainMin": 0},
                legend={"format": ",d"},
            ),
        },
    )
    # Dark text on light cells, light text on dark ones.
    ink = condition(f"datum.customers > {most / 2}", "white", INK)
    counts = layer(
        mark("text", fontSize=15, fontWeight="bold", dy=-12),
        {**base, "text": field("customers:Q", format=",d"), "color": ink},
    )
    # Segment names on at most two lines ("Potential / Loyalists") to fit a cell.
    names = layer(
        mark("text", fontSize=10, dy=4, lineBreak="\n", baseline="top"),
        {**base, "text": field("label:N"), "color": ink},
    )
    return layered([cells, counts, names], data=frame, title=f"Customers by R × {letter} score", height=470)


def segment_customers(summary: pl.DataFrame, segments: Sequence[str]) -> VegaLite:
    """Horizontal bars: customers per segment, in the map's order."""
    return _segment_bars(summary, segments, "customers", "Customers", ",d", "Customers by segment")


def segment_revenue(summary: pl.DataFrame, segments: Sequence[str]) -> VegaLite:
    """Horizontal bars: revenue (Σ monetary, pounds) per segment, in the map's order."""
    return _segment_bars(summary, segments, "revenue", "Revenue (£)", ",.0f", "Revenue by segment")


def _segment_bars(
    summary: pl.DataFrame, segments: Sequence[str], name: str, title: str, fmt: str, chart_title: str
) -> VegaLite:
    return chart(
        summary.select("segment", "customers", "customer_share", "revenue", "revenue_share"),
        mark("bar"),
        {
            "y": field("segment:N", title="Segment", sort=list(segments), axis={"labelOverlap": False}),
            "x": field(f"{name}:Q", title=title, axis={"format": fmt}),
            "color": field("segment:N", scale=segment_scale(segments), legend=None),
            "tooltip": [
                tooltip("segment:N", "Segment"),
                tooltip("customers:Q", "Customers", ",d"),
                tooltip("customer_share:Q", "Share of customers", ".1%"),
                tooltip("revenue:Q", "Revenue (£)", ",.2f"),
                tooltip("revenue_share:Q", "Share of revenue", ".1%"),
            ],
        },
        title=chart_title,
        height=90 + 26 * len(segments),
    )
