"""The weekly report's chart: a metric per week with its expected band, flagged weeks standing out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

from lgs_core.analyses.anomaly import (
    METRICS,
    Assessment,
)
from lgs_core.present import theme
from lgs_core.present import vegalite as vl
from lgs_core.report.figures import STATUS_WORDS, WeeklyReport

# Each status's colour in the chart: teal for the figure, rust for a spike, blue for a dip.
_STATUS_COLOURS = {
    "spike": theme.RUST,
    "dip": theme.BLUE,
    "watch": theme.SAND,
    "normal": theme.TEAL,
    "too_early": theme.GREY,
    "closed": theme.GREY,
}


# --- the chart ------------------------------------------------------------------------------------------


def chart_rows(assessments: Sequence[Assessment]) -> list[dict[str, Any]]:
    """What the weekly chart plots: one row per week, floats and ISO dates (Vega-Lite has no decimals)."""
    rows = []
    for a in assessments:
        rows.append(
            {
                "week_start": a.week_start.isoformat(),
                "iso_week": a.iso_label,
                "value": float(a.value),
                "low": a.low,
                "high": a.high,
                "median": a.median,
                "status": a.status,
                "status_words": STATUS_WORDS[a.status],
                "flagged": a.flagged,
                "explanation": a.explanation(),
            }
        )
    return rows


def weekly_chart(
    report: WeeklyReport, metric: str = "new_customers", *, width: int | Literal["container"] = 640
) -> vl.VegaLite:
    """The metric per week with its expected band (values inside it never flag) and the median of the
    trailing weeks; spikes, dips and watches stand out as large coloured points; a rule marks the report week.
    """
    info = METRICS[metric]
    unit = " (£)" if info.money else ""
    x = vl.field("week_start:T", title="Week (Monday)", axis={"format": "%d %b %y", "labelAngle": -40})
    y_title = f"{info.label}{unit}"
    # d3's formats know "$" only: pounds are a prefix on the label
    y_axis = {"format": ",.0f", "labelExpr": "'£' + datum.label" if info.money else "datum.label"}
    weeks = "weeks"
    band = vl.layer(
        vl.mark("area", opacity=0.35, color="#D9DEE2"),
        {"x": x, "y": vl.field("low:Q", title=y_title, axis=y_axis), "y2": vl.field("high")},
        dataset=weeks,
    )
    median = vl.layer(
        vl.mark("line", color=theme.GREY, strokeDash=[4, 3], strokeWidth=1),
        {"x": x, "y": vl.field("median:Q")},
        dataset=weeks,
    )
    line = vl.layer(
        vl.mark("line", color=theme.TEAL, strokeWidth=2),
        {"x": x, "y": vl.field("value:Q", title=y_title, axis=y_axis)},
        dataset=weeks,
    )
    fmt = ",.0f"
    labels = "{" + ", ".join(f"'{k}': '{v}'" for k, v in STATUS_WORDS.items()) + "}[datum.label]"
    points = vl.layer(
        vl.mark("point", filled=True, opacity=1),
        {
            "x": x,
            "y": vl.field("value:Q"),
            "color": vl.field(
                "status:N",
                title="Week",
                scale={"domain": list(_STATUS_COLOURS), "range": list(_STATUS_COLOURS.values())},
                legend={"orient": "bottom", "labelExpr": labels, "columns": 6},
            ),
            "size": vl.condition("datum.flagged || datum.status == 'watch'", 160, 24),
            "shape": vl.condition("datum.flagged", "diamond", "circle"),
            "tooltip": [
                vl.tooltip("iso_week:N", "ISO week"),
                vl.tooltip("value:Q", info.label, fmt),
                vl.tooltip("low:Q", "expected from", fmt),
                vl.tooltip("high:Q", "expected to", fmt),
                vl.tooltip("status_words:N", "status"),
            ],
        },
        dataset=weeks,
    )
    rule = vl.layer(
        vl.mark("rule", color=theme.GREY, strokeWidth=1),
        {"x": vl.field("week_start:T")},
        dataset="report_week",
    )
    frames = {
        weeks: pl.DataFrame(chart_rows(report.history[metric]), schema=_CHART_SCHEMA),
        "report_week": pl.DataFrame({"week_start": [report.week_start.isoformat()]}),
    }
    props: dict[str, Any] = {}
    if width == "container":
        # The page's chart (weekly report chart only): Streamlit sizes a chart without its own autosize as
        # "fit", the height then holding the title, the axes and the legend too, which left the plot 0 px
        # high (a flat line, no band) and cut the legend. fit-x: the width follows the page, the height is
        # the plot's. (The HTML and email render at a fixed width, as before.)
        props["autosize"] = {"type": "fit-x", "contains": "padding"}
    return vl.layered(
        [band, median, line, points, rule],
        datasets=frames,
        height=240,
        title={
            "text": f"{info.label} per week",
            "subtitle": f"grey band: the expected range from the {report.settings.trailing_weeks} weeks before; "
            "dashed: their middle value",
        },
        width=width,
        **props,
    )


_CHART_SCHEMA = {
    "week_start": pl.String,
    "iso_week": pl.String,
    "value": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "median": pl.Float64,
    "status": pl.String,
    "flagged": pl.Boolean,
    "explanation": pl.String,
    "status_words": pl.String,
}


def chart_svg(chart: vl.VegaLite) -> str:
    """The chart as an SVG document, rendered offline by vl-convert (no browser, nothing fetched)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(chart.to_dict())
    return svg


def chart_png(chart: vl.VegaLite, scale: float = 2) -> bytes:
    """The chart as PNG (for email: most mail clients do not show inline SVG)."""
    import vl_convert

    png: bytes = vl_convert.vegalite_to_png(chart.to_dict(), scale=scale)
    return png
