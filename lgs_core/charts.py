"""The app's charts, as Altair specs built from lgs_core results (issue #5). Imports no streamlit.

Every chart has tooltips and axis titles with their units (£, %, counts); the page puts the figure's one-line
definition (``lgs_core.views.definition``) under it. Builders take the frames ``lgs_core.views`` returns and
hand Vega-Lite plain floats and ISO dates: money is ``Decimal`` up to here, and JSON has no decimals.
Tests build the spec (``chart.to_dict()``) and check its encodings; the emailed report can render the same
charts offline with vl-convert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl

from lgs_core.views import BoxStats

# The theme's colours (.streamlit/config.toml): calm teal for sales, a warm accent for what goes wrong.
TEAL = "#2F6F6B"
SAND = "#C9A66B"
RUST = "#B5533C"
GREY = "#8A8F94"
# Ten calm, distinguishable colours for segments (a segment keeps its colour across charts on a page).
SEGMENT_PALETTE = (
    "#2F6F6B",
    "#C9A66B",
    "#6B8FB5",
    "#B5533C",
    "#7A9E5A",
    "#8C6BB1",
    "#D08C60",
    "#4FA3A5",
    "#A05C7B",
    "#8A8F94",
    "#5C7A3A",
)
HEIGHT = 300


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimals as floats, dates as ISO text: what Vega-Lite reads."""
    return frame.with_columns(
        [pl.col(c).cast(pl.Float64) for c, t in frame.schema.items() if isinstance(t, pl.Decimal)]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
        + [pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S") for c, t in frame.schema.items() if t == pl.Datetime]
    )


def _data(frame: pl.DataFrame) -> alt.Data:
    return alt.Data(values=_plain(frame).to_dicts())


def _month_axis() -> alt.X:
    return alt.X(
        "month:T",
        title="Month",
        timeUnit="yearmonth",
        axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True, labelFlush=True),
    )


def _month_tooltip() -> alt.Tooltip:
    return alt.Tooltip("month:T", title="Month", timeUnit="yearmonth", format="%B %Y")


def _whole(frame: pl.DataFrame) -> pl.DataFrame:
    """The month frame with ``whole_month`` (views.mark_whole_months), True when absent."""
    if "whole_month" in frame.columns:
        return frame
    return frame.with_columns(pl.lit(True).alias("whole_month"))


def _fade_partial() -> Any:
    # A month the date range cuts short is drawn faded: its figures cover only part of the month.
    return alt.condition(alt.datum.whole_month, alt.value(1.0), alt.value(0.4))


def _partial_tooltip() -> alt.Tooltip:
    return alt.Tooltip("whole_month:N", title="Whole month in the date range")


def segment_scale(segments: Sequence[str]) -> alt.Scale:
    """A fixed colour per segment, in the map's order."""
    colours = [SEGMENT_PALETTE[i % len(SEGMENT_PALETTE)] for i in range(len(segments))]
    return alt.Scale(domain=list(segments), range=colours)


# --- Overview -------------------------------------------------------------------------------------------


def monthly_sales(monthly: pl.DataFrame) -> alt.Chart:
    """Bars: sales per month in pounds (``views.Overview.monthly``)."""
    return (
        alt.Chart(
            _data(_whole(monthly).select("month", "sales", "growth_pct", "whole_month")),
            title="Monthly sales",
        )
        .mark_bar(color=TEAL)
        .encode(
            x=_month_axis(),
            y=alt.Y("sales:Q", title="Sales (£)", axis=alt.Axis(format=",.0f")),
            opacity=_fade_partial(),
            tooltip=[
                _month_tooltip(),
                alt.Tooltip("sales:Q", title="Sales (£)", format=",.2f"),
                alt.Tooltip("growth_pct:Q", title="Change on previous month (%)", format="+.1f"),
                _partial_tooltip(),
            ],
        )
        .properties(height=HEIGHT)
    )


def monthly_growth(monthly: pl.DataFrame) -> alt.Chart:
    """Bars around zero: month-over-month change of sales in percent, green-teal up and rust down."""
    frame = (
        _whole(monthly)
        .select("month", "sales", "growth_pct", "whole_month")
        .filter(pl.col("growth_pct").is_not_null())
    )
    return (
        alt.Chart(_data(frame), title="Monthly sales growth")
        .mark_bar()
        .encode(
            x=_month_axis(),
            y=alt.Y("growth_pct:Q", title="Growth (%)", axis=alt.Axis(format="+.0f")),
            color=alt.condition(alt.datum.growth_pct >= 0, alt.value(TEAL), alt.value(RUST)),
            opacity=_fade_partial(),
            tooltip=[
                _month_tooltip(),
                alt.Tooltip("growth_pct:Q", title="Change on previous month (%)", format="+.1f"),
                alt.Tooltip("sales:Q", title="Sales (£)", format=",.2f"),
                _partial_tooltip(),
            ],
        )
        .properties(height=HEIGHT)
    )


def monthly_active_customers(monthly: pl.DataFrame) -> alt.Chart:
    """Line with points: distinct customers with any line in the month."""
    return (
        alt.Chart(
            _data(_whole(monthly).select("month", "active_customers", "whole_month")),
            title="Monthly active customers",
        )
        .mark_line(point=True, color=TEAL)
        .encode(
            x=_month_axis(),
            y=alt.Y("active_customers:Q", title="Customers", axis=alt.Axis(format=",d")),
            tooltip=[
                _month_tooltip(),
                alt.Tooltip("active_customers:Q", title="Active customers", format=",d"),
                _partial_tooltip(),
            ],
        )
        .properties(height=HEIGHT)
    )


def new_vs_existing(monthly: pl.DataFrame) -> alt.Chart:
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
    return (
        alt.Chart(_data(frame), title="New and existing customers")
        .mark_bar()
        .encode(
            x=_month_axis(),
            y=alt.Y("customers:Q", title="Customers", stack="zero", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "kind:N",
                title="Customer",
                scale=alt.Scale(domain=["New", "Existing"], range=[SAND, TEAL]),
                legend=alt.Legend(orient="right", title=None),
            ),
            order=alt.Order("kind:N", sort="descending"),
            opacity=_fade_partial(),
            tooltip=[
                _month_tooltip(),
                alt.Tooltip("kind:N", title="Customer"),
                alt.Tooltip("customers:Q", title="Customers", format=",d"),
                alt.Tooltip("active_customers:Q", title="All active customers", format=",d"),
                _partial_tooltip(),
            ],
        )
        .properties(height=HEIGHT)
    )


# --- Orders ---------------------------------------------------------------------------------------------


def amount_histogram(histogram: pl.DataFrame, *, trimmed: bool = False) -> alt.Chart:
    """Bars from bin_start to bin_end (pounds): invoices per equal-width amount bin."""
    title = "Invoice amounts up to the 85th percentile" if trimmed else "Invoice amounts"
    return (
        alt.Chart(_data(histogram), title=title)
        .mark_bar(color=TEAL, binSpacing=1)
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title="Invoice amount (£)", axis=alt.Axis(format=",.0f")),
            x2="bin_end:Q",
            y=alt.Y("invoices:Q", title="Invoices", axis=alt.Axis(format=",d")),
            tooltip=[
                alt.Tooltip("bin_start:Q", title="From (£)", format=",.2f"),
                alt.Tooltip("bin_end:Q", title="Up to (£)", format=",.2f"),
                alt.Tooltip("invoices:Q", title="Invoices", format=",d"),
            ],
        )
        .properties(height=HEIGHT)
    )


def amount_boxplot(box: BoxStats, *, trimmed: bool = False) -> alt.LayerChart:
    """A horizontal box plot from precomputed figures (views.BoxStats): whiskers, the box from Q1 to Q3, the
    median, and the outlier amounts as dots. Precomputed so the chart's data stays small at any store size.
    """
    stats = _data(box.frame())
    x_title = "Invoice amount (£)"
    tooltip = [
        alt.Tooltip("invoices:Q", title="Invoices", format=",d"),
        alt.Tooltip("low_whisker:Q", title="Lower whisker (£)", format=",.2f"),
        alt.Tooltip("q1:Q", title="25th percentile (£)", format=",.2f"),
        alt.Tooltip("median:Q", title="Median (£)", format=",.2f"),
        alt.Tooltip("q3:Q", title="75th percentile (£)", format=",.2f"),
        alt.Tooltip("high_whisker:Q", title="Upper whisker (£)", format=",.2f"),
        alt.Tooltip("outliers:Q", title="Amounts beyond the whiskers", format=",d"),
    ]
    whiskers = (
        alt.Chart(stats)
        .mark_rule(color=GREY)
        .encode(
            x=alt.X("low_whisker:Q", title=x_title, axis=alt.Axis(format=",.0f")),
            x2="high_whisker:Q",
            tooltip=tooltip,
        )
    )
    body = (
        alt.Chart(stats)
        .mark_bar(size=36, color=TEAL, opacity=0.55)
        .encode(x=alt.X("q1:Q", title=x_title), x2="q3:Q", tooltip=tooltip)
    )
    median = (
        alt.Chart(stats)
        .mark_tick(color="#1F2A30", thickness=2, size=36)
        .encode(x=alt.X("median:Q", title=x_title), tooltip=tooltip)
    )
    dots = (
        alt.Chart(_data(box.outlier_frame()))
        .mark_circle(color=RUST, opacity=0.35, size=18)
        .encode(
            x=alt.X("amount:Q", title=x_title),
            tooltip=[alt.Tooltip("amount:Q", title="Invoice amount (£)", format=",.2f")],
        )
    )
    title = "Spread of invoice amounts" + (" up to the 85th percentile" if trimmed else "")
    return alt.LayerChart(layer=[whiskers, body, median, dots], title=title, height=170)


def orders_per_month(monthly: pl.DataFrame) -> alt.Chart:
    """Grouped bars: orders placed and canceled per month (``views.Orders.monthly``)."""
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
    return (
        alt.Chart(_data(frame), title="Orders placed and canceled")
        .mark_bar()
        .encode(
            x=_month_axis(),
            xOffset=alt.XOffset("kind:N", sort=["Placed", "Canceled"]),
            y=alt.Y("orders:Q", title="Orders", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "kind:N",
                title="Orders",
                scale=alt.Scale(domain=["Placed", "Canceled"], range=[TEAL, RUST]),
                legend=alt.Legend(orient="right", title=None),
            ),
            opacity=_fade_partial(),
            tooltip=[
                _month_tooltip(),
                alt.Tooltip("kind:N", title="Orders"),
                alt.Tooltip("orders:Q", title="Invoices", format=",d"),
                _partial_tooltip(),
            ],
        )
        .properties(height=HEIGHT)
    )


def cancellation_rate(monthly: pl.DataFrame) -> alt.Chart:
    """Line: canceled ÷ placed per month, in percent."""
    frame = _whole(monthly).select("month", "placed", "canceled", "cancellation_rate_pct", "whole_month")
    return (
        alt.Chart(_data(frame), title="Cancellation rate")
        .mark_line(point=True, color=RUST)
        .encode(
            x=_month_axis(),
            y=alt.Y("cancellation_rate_pct:Q", title="Cancellation rate (%)", axis=alt.Axis(format=".0f")),
            tooltip=[
                _month_tooltip(),
                alt.Tooltip("cancellation_rate_pct:Q", title="Cancellation rate (%)", format=".1f"),
                alt.Tooltip("placed:Q", title="Placed", format=",d"),
                alt.Tooltip("canceled:Q", title="Canceled", format=",d"),
                _partial_tooltip(),
            ],
        )
        .properties(height=HEIGHT)
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


def rf_heatmap(grid: pl.DataFrame) -> alt.LayerChart:
    """The R × F grid (R × FM for rfm11) as a heat map (``views.Segments.grid``): one cell per pair of scores,
    darker for more customers, with its count of customers and its segment written in it."""
    axis = "fm" if "fm" in grid.columns else "f"
    letter = axis.upper()
    frame = grid.rename({axis: "x"}).with_columns(
        pl.col("segment").map_elements(_two_lines, return_dtype=pl.String).alias("label")
    )
    most = max(int(frame["customers"].max() or 0), 1)  # type: ignore[arg-type]
    x_title = f"{letter} score ({'frequency and spending' if axis == 'fm' else 'frequency'}: 1 = lowest)"
    base = alt.Chart(_data(frame)).encode(
        x=alt.X("x:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("r:O", title="R score (recency: higher = more recent)", sort="descending"),
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("r:O", title="R"),
            alt.Tooltip("x:O", title=letter),
            alt.Tooltip("customers:Q", title="Customers", format=",d"),
            alt.Tooltip("revenue:Q", title="Revenue (£)", format=",.2f"),
        ],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "customers:Q",
            title="Customers",
            scale=alt.Scale(scheme="tealblues", domainMin=0),
            legend=alt.Legend(format=",d"),
        )
    )
    # Dark text on light cells, light text on dark ones.
    ink = alt.condition(f"datum.customers > {most / 2}", alt.value("white"), alt.value("#1F2A30"))
    counts = base.mark_text(fontSize=15, fontWeight="bold", dy=-12).encode(
        text=alt.Text("customers:Q", format=",d"), color=ink
    )
    # Segment names on at most two lines ("Potential / Loyalists") to fit a cell.
    names = base.mark_text(fontSize=10, dy=4, lineBreak="\n", baseline="top").encode(
        text="label:N", color=ink
    )
    return alt.LayerChart(layer=[cells, counts, names], title=f"Customers by R × {letter} score", height=470)


def segment_customers(summary: pl.DataFrame, segments: Sequence[str]) -> alt.Chart:
    """Horizontal bars: customers per segment, in the map's order."""
    return _segment_bars(summary, segments, "customers", "Customers", ",d", "Customers by segment")


def segment_revenue(summary: pl.DataFrame, segments: Sequence[str]) -> alt.Chart:
    """Horizontal bars: revenue (Σ monetary, pounds) per segment, in the map's order."""
    return _segment_bars(summary, segments, "revenue", "Revenue (£)", ",.0f", "Revenue by segment")


def _segment_bars(
    summary: pl.DataFrame, segments: Sequence[str], field: str, title: str, fmt: str, chart_title: str
) -> alt.Chart:
    frame = summary.select("segment", "customers", "customer_share", "revenue", "revenue_share")
    return (
        alt.Chart(_data(frame), title=chart_title)
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", title="Segment", sort=list(segments), axis=alt.Axis(labelOverlap=False)),
            x=alt.X(f"{field}:Q", title=title, axis=alt.Axis(format=fmt)),
            color=alt.Color("segment:N", scale=segment_scale(segments), legend=None),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("customers:Q", title="Customers", format=",d"),
                alt.Tooltip("customer_share:Q", title="Share of customers", format=".1%"),
                alt.Tooltip("revenue:Q", title="Revenue (£)", format=",.2f"),
                alt.Tooltip("revenue_share:Q", title="Share of revenue", format=".1%"),
            ],
        )
        .properties(height=90 + 26 * len(segments))
    )
