"""The charts of the deeper segments and the saved segments (issues #9, #18), as Vega-Lite specs.

Each takes the result an analysis returns (``lgs_core.analyses``: cohorts, migration, clv, affinity,
saved_segments, clusters) and draws it; the analyses compute and never draw (the layers in .importlinter).
Like ``lgs_core.present.charts``: tooltips and axis titles with units, the theme's colours, no streamlit.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from lgs_core.errors import file_errors
from lgs_core.present import vegalite as vl
from lgs_core.present.theme import GREY, INK, NAVY, SAND, STONE, TEAL, segment_colour
from lgs_core.present.vegalite import VegaLite

if TYPE_CHECKING:
    from lgs_core.analyses.affinity import Affinity
    from lgs_core.analyses.clusters import Clusters
    from lgs_core.analyses.clv import Calibration
    from lgs_core.analyses.cohorts import CohortRetention, Measure
    from lgs_core.analyses.migration import Migration
    from lgs_core.analyses.saved_segments import SegmentHistory


# --- cohorts ---------------------------------------------------------------------------------------------

_MEASURE_TITLES: dict[str, tuple[str, str]] = {
    "active_share": ("Share of the cohort buying (%)", ".0%"),
    "active_customers": ("Customers buying", ",d"),
    "revenue": ("Revenue (£)", ",.0f"),
}


def retention_heatmap(result: CohortRetention, measure: Measure = "active_share") -> VegaLite:
    """The triangle as a heat map: a row per cohort (first-purchase month), a column per month since;
    colour = ``measure``; each cell's tooltip gives the month, the cohort, its count, share and revenue."""
    title, fmt = _MEASURE_TITLES[measure]
    frame = result.with_whole_months().with_columns(
        pl.col("revenue").cast(pl.Float64),
        pl.col("cohort_month").dt.strftime("%Y-%m").alias("cohort"),
        pl.col("activity_month").dt.strftime("%Y-%m").alias("month"),
    )
    cohorts = sorted(set(frame["cohort"].to_list()))
    rows = max(len(cohorts), 1)
    base = {
        "x": vl.field(
            "months_since:O",
            title="Months since the first purchase (0 = the cohort's month)",
            axis={"labelAngle": 0},
        ),
        "y": vl.field("cohort:O", title="Cohort (month of first purchase)", sort=cohorts),
        "tooltip": [
            vl.tooltip("cohort:N", "Cohort"),
            vl.tooltip("month:N", "Month"),
            vl.tooltip("months_since:Q", "Months since first purchase"),
            vl.tooltip("cohort_customers:Q", "Customers in the cohort", ",d"),
            vl.tooltip("active_customers:Q", "Customers buying in the month", ",d"),
            vl.tooltip("active_share:Q", "Share of the cohort buying", ".1%"),
            vl.tooltip("revenue:Q", "Revenue of the cohort in the month (£)", ",.2f"),
            vl.tooltip("whole_month:N", "Whole month in the date range"),
        ],
    }
    # Month 0 is 100% by definition: scale the colour on the later months, or month 0 washes out the rest.
    later = frame.filter(pl.col("months_since") > 0)[measure]
    top = float(later.max()) if later.len() and later.max() is not None else 1.0  # type: ignore[arg-type]
    cells = vl.layer(
        vl.mark("rect", stroke="white", strokeWidth=0.5),
        {
            **base,
            "color": vl.field(
                f"{measure}:Q",
                title=title,
                scale={"scheme": "tealblues", "domain": [0, max(top, 1e-9)], "clamp": True},
                legend={"format": fmt},
            ),
            "opacity": vl.condition("datum.whole_month", 1.0, 0.45),
        },
    )
    layers: list[dict[str, Any]] = [cells]
    if rows <= 30:  # numbers in the cells while they stay legible
        text_fmt = ".0%" if measure == "active_share" else (",d" if measure == "active_customers" else ",.0f")
        ink = vl.condition(f"datum.{measure} > {top / 2}", "white", INK)
        layers.append(
            vl.layer(
                vl.mark("text", fontSize=9),
                {**base, "text": vl.field(f"{measure}:Q", format=text_fmt), "color": ink},
            )
        )
    return vl.layered(
        layers,
        data=frame.drop("cohort_month", "activity_month"),
        title=f"Cohort retention: {title.lower()}",
        height=max(220, 22 * rows),
    )


# --- migration -------------------------------------------------------------------------------------------

NEW_COLOUR = NAVY
LAPSED_COLOUR = STONE


_GAP = 0.02  # the space between two nodes of a side, as a share of the side's height


_CURVE_POINTS = 24


def _smooth(u: float) -> float:
    return u * u * (3 - 2 * u)


def flow_chart(result: Migration, min_customers: int = 1) -> vl.VegaLite:
    """A flow (Sankey) chart: the first date's states on the left, the second's on the right, a band per
    cell whose thickness is its customers. Cells with fewer than ``min_customers`` are left out of the bands
    (the nodes keep every customer)."""
    flows = result.flows().filter(pl.col("customers") > 0)
    total = max(int(flows["customers"].sum()), 1)
    left = _nodes(flows, "from_state", result.from_states, total)
    right = _nodes(flows, "to_state", result.to_states, total)
    # Where each band starts inside its left node (bands ordered by target) and ends in its right node.
    left_cursor = {name: top for name, (top, _, _) in left.items()}
    right_cursor = {name: top for name, (top, _, _) in right.items()}
    order_to = {name: i for i, name in enumerate(result.to_states)}
    order_from = {name: i for i, name in enumerate(result.from_states)}
    rows = sorted(
        flows.iter_rows(named=True), key=lambda r: (order_from[r["from_state"]], order_to[r["to_state"]])
    )
    starts: dict[tuple[str, str], float] = {}
    for row in rows:
        key = (row["from_state"], row["to_state"])
        starts[key] = left_cursor[row["from_state"]]
        left_cursor[row["from_state"]] += row["customers"] / total * (1 - _gap_total(left))
    ends: dict[tuple[str, str], float] = {}
    for row in sorted(rows, key=lambda r: (order_to[r["to_state"]], order_from[r["from_state"]])):
        key = (row["from_state"], row["to_state"])
        ends[key] = right_cursor[row["to_state"]]
        right_cursor[row["to_state"]] += row["customers"] / total * (1 - _gap_total(right))

    band_points: list[dict[str, Any]] = []
    for row in rows:
        if row["customers"] < min_customers:
            continue
        key = (row["from_state"], row["to_state"])
        left_height = row["customers"] / total * (1 - _gap_total(left))
        right_height = row["customers"] / total * (1 - _gap_total(right))
        for i in range(_CURVE_POINTS + 1):
            u = i / _CURVE_POINTS
            s = _smooth(u)
            top = starts[key] + (ends[key] - starts[key]) * s
            height = left_height + (right_height - left_height) * s
            band_points.append(
                {
                    "band": f"{row['from_state']} → {row['to_state']}",
                    "from_state": row["from_state"],
                    "to_state": row["to_state"],
                    "customers": row["customers"],
                    "share_of_from": row["share_of_from"],
                    "x": 0.08 + 0.84 * u,
                    "y": top,
                    "y2": top + height,
                }
            )
    node_rows = [
        {
            "state": name,
            "side": side,
            "x": x,
            "x2": x + 0.08 if side == "from" else x - 0.08,
            "y": top,
            "y2": top + height,
            "customers": n,
            "label_x": x - 0.01 if side == "from" else x + 0.01,
            "label": f"{name} ({n:,})",
        }
        for side, x, nodes in (("from", 0.0, left), ("to", 1.0, right))
        for name, (top, height, n) in nodes.items()
    ]
    palette = state_colours(result)
    colour = {"domain": list(palette), "range": list(palette.values())}
    x_scale = {"domain": [-0.45, 1.45]}
    y_scale = {"domain": [0, 1], "reverse": True}
    bands = vl.layer(
        vl.mark("area", opacity=0.45, interpolate="linear"),
        {
            "x": vl.field("x:Q", scale=x_scale, axis=None),
            "y": vl.field("y:Q", scale=y_scale, axis=None),
            "y2": vl.field("y2"),
            "detail": vl.field("band:N"),
            "color": vl.field("from_state:N", scale=colour, legend=None),
            "tooltip": [
                vl.tooltip("from_state:N", f"At {result.from_date:%d %b %Y}"),
                vl.tooltip("to_state:N", f"At {result.to_date:%d %b %Y}"),
                vl.tooltip("customers:Q", "Customers", ",d"),
                vl.tooltip("share_of_from:Q", "Share of the left state's customers", ".1%"),
            ],
        },
        dataset="bands",
    )
    nodes = vl.layer(
        vl.mark("rect"),
        {
            "x": vl.field("x:Q", scale=x_scale, axis=None),
            "x2": vl.field("x2"),
            "y": vl.field("y:Q", scale=y_scale, axis=None),
            "y2": vl.field("y2"),
            "color": vl.field("state:N", scale=colour, legend=None),
            "tooltip": [
                vl.tooltip("state:N", "State"),
                vl.tooltip("side:N", "Side (from = first date)"),
                vl.tooltip("customers:Q", "Customers", ",d"),
            ],
        },
        dataset="nodes",
    )

    def labels(side: str, align: str) -> dict[str, Any]:
        return vl.layer(
            vl.mark("text", align=align, fontSize=11),
            {
                "x": vl.field("label_x:Q", scale=x_scale, axis=None),
                "y": vl.field("mid:Q", scale=y_scale),
                "text": vl.field("label:N"),
            },
            dataset="nodes",
            transform=[
                {"calculate": "(datum.y + datum.y2) / 2", "as": "mid"},
                {"filter": f"(datum.side === '{side}')"},
            ],
        )

    frames = {
        "bands": pl.DataFrame(band_points, schema=_BAND_SCHEMA),
        "nodes": pl.DataFrame(node_rows, schema=_NODE_SCHEMA),
    }
    return vl.layered(
        [bands, nodes, labels("from", "right"), labels("to", "left")],
        datasets=frames,
        title=f"Customers from {result.from_date:%d %b %Y} (left) to {result.to_date:%d %b %Y} (right)",
        height=max(420, 34 * max(len(left), len(right))),
        config={"view": {"strokeWidth": 0}},
    )


_BAND_SCHEMA = {
    "band": pl.String,
    "from_state": pl.String,
    "to_state": pl.String,
    "customers": pl.Int64,
    "share_of_from": pl.Float64,
    "x": pl.Float64,
    "y": pl.Float64,
    "y2": pl.Float64,
}


_NODE_SCHEMA = {
    "state": pl.String,
    "side": pl.String,
    "x": pl.Float64,
    "x2": pl.Float64,
    "y": pl.Float64,
    "y2": pl.Float64,
    "customers": pl.Int64,
    "label_x": pl.Float64,
    "label": pl.String,
}


def _gap_total(nodes: dict[str, tuple[float, float, int]]) -> float:
    return _GAP * max(len(nodes) - 1, 0)


def _nodes(
    flows: pl.DataFrame, column: str, states: tuple[str, ...], total: int
) -> dict[str, tuple[float, float, int]]:
    """Each non-empty state of a side: (top, height, customers), stacked in display order with gaps."""
    counts = dict(flows.group_by(column).agg(pl.col("customers").sum()).iter_rows())
    present = [s for s in states if counts.get(s, 0) > 0]
    gaps = _GAP * max(len(present) - 1, 0)
    nodes: dict[str, tuple[float, float, int]] = {}
    top = 0.0
    for name in present:
        height = counts[name] / total * (1 - gaps)
        nodes[name] = (top, height, int(counts[name]))
        top += height + _GAP
    return nodes


def state_colours(result: Migration) -> dict[str, str]:
    """The colour of each state in the flow chart: a saved segment's In / Not in / New its own three."""
    from lgs_core.analyses.saved_segments import IN_STATE, NEW_STATE, OUT_STATE, SegmentMigration

    if isinstance(result, SegmentMigration):
        return {IN_STATE: TEAL, OUT_STATE: SAND, NEW_STATE: NEW_COLOUR}
    # Segments keep the Customer segments page's colours (charts.segment_scale: the map's order);
    # New and Lapsed get two of their own.
    colours = {name: segment_colour(i) for i, name in enumerate(result.params.segments.segments)}
    colours[result.new_state] = NEW_COLOUR
    colours[result.lapsed_state] = LAPSED_COLOUR
    return colours


# --- clv -------------------------------------------------------------------------------------------------


def calibration_chart(cal: Calibration) -> vl.VegaLite:
    """Predicted against actual purchase days in the holdout, mean per customer, by decile of prediction."""
    frame = cal.deciles.unpivot(
        index=["decile", "customers"],
        on=["predicted_mean", "actual_mean"],
        variable_name="series",
        value_name="purchases",
    ).with_columns(
        pl.col("series").replace_strict(
            {"predicted_mean": "Predicted (BG/NBD)", "actual_mean": "Actual"}, return_dtype=pl.String
        )
    )
    colours = {"domain": ["Predicted (BG/NBD)", "Actual"], "range": [TEAL, SAND]}
    lines = vl.layer(
        vl.mark("line", point={"size": 60}, strokeWidth=2.5),
        {
            "x": vl.field(
                "decile:O", title="Decile of predicted purchases (10 = highest)", axis={"labelAngle": 0}
            ),
            "y": vl.field(
                # Two lines: one ran longer than the chart's 320 px and was cut at both ends.
                "purchases:Q",
                title=["Purchase days per customer", f"in the {cal.holdout_days} held-out days"],
            ),
            "color": vl.field("series:N", title=None, scale=colours, legend={"orient": "top-left"}),
            "tooltip": [
                vl.tooltip("decile:O", "Decile"),
                vl.tooltip("series:N", "Series"),
                vl.tooltip("purchases:Q", "Purchase days per customer", ",.2f"),
                vl.tooltip("customers:Q", "Customers in the decile", ",d"),
            ],
        },
    )
    return vl.layered(
        [lines],
        data=frame,
        title={
            "text": "Predicted vs actual purchases in the held-out months",
            "subtitle": (
                f"fitted on purchases to {cal.calibration_end - timedelta(days=1):%d %b %Y}; held out "
                f"{cal.calibration_end:%d %b %Y} – {cal.holdout_end:%d %b %Y}; {cal.customers.height:,} customers; "
                f"total predicted {cal.predicted_total:,.0f}, actual {cal.actual_total:,}"
            ),
        },
        height=320,
        width=560,
    )


def save_calibration_png(cal: Calibration, path: str | Path, *, scale: float = 2.0) -> Path:
    """Render the calibration chart to a PNG with vl-convert (offline)."""
    import vl_convert as vlc

    target = Path(path)
    png = vlc.vegalite_to_png(calibration_chart(cal).to_dict(), scale=scale)
    with file_errors("cannot write", where=str(target), todo="choose a writable path"):
        target.write_bytes(png)
    return target


# --- affinity --------------------------------------------------------------------------------------------


def products_chart(result: Affinity, limit: int = 20) -> vl.VegaLite:
    """A dot plot: each top product's reach in the segment and among all customers (%), joined by a line."""
    top = result.products.head(limit).with_columns(
        (pl.col("stock_code") + " · " + pl.col("description").fill_null("(no description)")).alias("product")
    )
    order = top["product"].to_list()
    long = top.unpivot(
        index=["product", "segment_customers", "all_customers", "lift"],
        on=["reach", "base_reach"],
        variable_name="who",
        value_name="share",
    ).with_columns(
        pl.col("who").replace_strict(
            {"reach": result.segment, "base_reach": "All customers"}, return_dtype=pl.String
        )
    )
    tips = [
        vl.tooltip("product:N", "Product"),
        vl.tooltip("segment_customers:Q", f"{result.segment} customers who bought it", ",d"),
        vl.tooltip("all_customers:Q", "All customers who bought it", ",d"),
        vl.tooltip("lift:Q", "Lift (reach ÷ base reach)", ".2f"),
    ]
    y = vl.field("product:N", title=None, sort=order, axis={"labelLimit": 320})
    rules = vl.layer(
        vl.mark("rule", color=GREY, strokeWidth=2),
        {"y": y, "x": vl.field("reach:Q"), "x2": vl.field("base_reach"), "tooltip": tips},
        dataset="products",
    )
    dots = vl.layer(
        vl.mark("circle", size=90, opacity=1),
        {
            "y": y,
            "x": vl.field(
                "share:Q", title="Share of the customers who bought it (%)", axis={"format": ".0%"}
            ),
            "color": vl.field(
                "who:N",
                title=None,
                scale={"domain": [result.segment, "All customers"], "range": [TEAL, SAND]},
                legend={"orient": "bottom"},
            ),
            "tooltip": [vl.tooltip("who:N", "Customers"), vl.tooltip("share:Q", "Share", ".1%"), *tips],
        },
        dataset="shares",
    )
    frames = {
        "products": top.select(
            "product", "reach", "base_reach", "segment_customers", "all_customers", "lift"
        ),
        "shares": long,
    }
    return vl.layered(
        [rules, dots],
        datasets=frames,
        title=f"Top products of {result.segment}: reach in the segment vs all customers",
        height=max(200, 28 * top.height),
    )


# --- saved_segments --------------------------------------------------------------------------------------


def _history_chart(months: pl.DataFrame, column: str, title: str, number: str) -> vl.VegaLite:
    data = months.select("month", pl.col(column).cast(pl.Float64), "whole_month")
    kind = vl.mark("bar", color=TEAL) if column == "revenue" else vl.mark("line", point=True, color=TEAL)
    return vl.chart(
        data,
        kind,
        {
            "x": vl.field(
                "month:T",
                title="Month",
                timeUnit="yearmonth",
                axis={"format": "%b %Y", "labelAngle": 0, "labelOverlap": True},
            ),
            "y": vl.field(
                f"{column}:Q",
                title="Revenue (£)" if column == "revenue" else "Customers",
                axis={"format": number},
            ),
            "opacity": vl.condition("datum.whole_month", 1.0, 0.4),
            "tooltip": [
                vl.tooltip("month:T", "Month", "%B %Y", timeUnit="yearmonth"),
                vl.tooltip(f"{column}:Q", title, number if column != "revenue" else ",.2f"),
                vl.tooltip("whole_month:N", "Whole month in the date range"),
            ],
        },
        title=title,
        height=260,
    )


def history_customers_chart(history: SegmentHistory) -> vl.VegaLite:
    """A saved segment's customers at each month's end (lgs_core.analyses.saved_segments.history)."""
    return _history_chart(history.months, "customers", "Customers in the segment at the month's end", ",d")


def history_revenue_chart(history: SegmentHistory) -> vl.VegaLite:
    """A saved segment's customers' revenue in each month."""
    return _history_chart(
        history.months, "revenue", "Revenue of the segment's customers in the month (£)", ",.0f"
    )


# --- clusters --------------------------------------------------------------------------------------------


def cluster_scatter(result: Clusters, max_points: int = 6_000) -> vl.VegaLite:
    """Customers by recency (days, log scale) and spend (£, log scale), coloured by cluster name."""
    frame = result.customers.filter(pl.col("monetary") > 0)
    if frame.height > max_points:  # an even, seeded sample keeps the chart light
        frame = frame.sample(max_points, seed=result.seed)
    data = frame.select(
        "customer_id",
        (pl.col("recency_days") + 1).alias("recency_plus_one"),
        "recency_days",
        "frequency",
        pl.col("monetary").cast(pl.Float64),
        "name",
    )
    names = list(result.names)
    colours = {
        "domain": names,
        "range": [segment_colour(i) for i in range(len(names))],
    }
    return vl.chart(
        data,
        vl.mark("circle", size=18, opacity=0.6),
        {
            "x": vl.field(
                "recency_plus_one:Q", title="Days since the last order + 1 (log scale)", scale={"type": "log"}
            ),
            "y": vl.field(
                "monetary:Q", title="Spend (£, log scale)", scale={"type": "log"}, axis={"format": ",.0f"}
            ),
            "color": vl.field(
                "name:N",
                title="Cluster",
                scale=colours,
                legend={"orient": "bottom", "columns": 2, "labelLimit": 320},
            ),
            "tooltip": [
                vl.tooltip("customer_id:Q", "Customer", "d"),
                vl.tooltip("name:N", "Cluster"),
                vl.tooltip("recency_days:Q", "Days since the last order"),
                vl.tooltip("frequency:Q", "Orders"),
                vl.tooltip("monetary:Q", "Spend (£)", ",.2f"),
            ],
        },
        title="Customers by recency and spend, coloured by cluster",
        height=380,
    )
