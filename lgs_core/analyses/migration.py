"""Segment migration (issue #9; docs/SEGMENTATION.md "Segment migration").

RFM is scored at two reference dates with the same parameters: at a reference date D the window runs from the
date range's start to D − 1 day (so "today" is D, and every purchase before it counts). Every customer
scored at the second date is in exactly one cell of the transition matrix:

- from: their segment at the first date, or **New** when they were not a customer then (no purchase from the
  window's start to the day before the first date);
- to: their segment at the second date, or **Lapsed** when they were a customer at the first date but made
  no purchase from the first date to the day before the second (their second score rests on old purchases
  only). ``lapsed_as_state=False`` keeps their second segment instead, so the columns equal the second
  date's RFM segments.

Both windows start on the same day, so nobody scored at the first date is unscored at the second: the
matrix holds every customer of the second date, and its row sums are the first date's segment sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import polars as pl

from lgs_core.analyses import export
from lgs_core.analyses.rfm import RfmParams, RfmResult, rfm
from lgs_core.errors import LgsError
from lgs_core.present import vegalite as vl
from lgs_core.present.charts import SEGMENT_PALETTE
from lgs_core.query.window import Window, store_bounds
from lgs_core.store import store

NEW = "New"
LAPSED = "Lapsed"
# The names used instead when the segment map has a segment called New (rfm11 does) or Lapsed.
NEW_IF_TAKEN = "Not yet a customer"
LAPSED_IF_TAKEN = "Lapsed (no purchase)"
NEW_COLOUR = "#34495E"
LAPSED_COLOUR = "#BDB5AA"

DEFINITIONS: dict[str, str] = {
    "reference_dates": "RFM is scored twice with the same settings: at each reference date D the window runs "
    "from the date range's start to D − 1 day, and recency counts the days to D.",
    "from_state": "the customer's segment at the first reference date, or New.",
    "to_state": "the customer's segment at the second reference date, or Lapsed.",
    "new": "New: not a customer at the first date (no purchase from the date range's start to the day before "
    "it), a customer at the second.",
    "lapsed": "Lapsed: a customer at the first date with no purchase from the first date to the day before the "
    "second; with Lapsed off they keep their second segment.",
    "transition_customers": "customers who moved from the row's state to the column's state.",
    "share_of_from": "the cell's customers ÷ the customers of its row (where the row's customers went).",
}

_CUSTOMER_SCHEMA: dict[str, Any] = {
    "customer_id": pl.Int32,
    "country": pl.String,
    "from_state": pl.String,
    "to_state": pl.String,
    "from_segment": pl.String,
    "to_segment": pl.String,
    "lapsed": pl.Boolean,
    "from_rfm": pl.String,
    "to_rfm": pl.String,
    "from_recency_days": pl.Int32,
    "to_recency_days": pl.Int32,
    "from_frequency": pl.Int32,
    "to_frequency": pl.Int32,
    "from_monetary": pl.Decimal(38, 3),
    "to_monetary": pl.Decimal(38, 3),
    "first_purchase": pl.Datetime("us"),
    "last_purchase": pl.Datetime("us"),
}


@dataclass(frozen=True)
class Migration:
    """Where customers went between two reference dates. ``customers``: one row per customer scored at the
    second date (columns of ``_CUSTOMER_SCHEMA``: the from/to state, both segments and scores, ``lapsed``),
    by customer id. ``from_states`` / ``to_states``: the matrix's rows and columns in display order."""

    window: Window
    params: RfmParams
    from_date: date
    to_date: date
    lapsed_as_state: bool
    customers: pl.DataFrame
    from_states: tuple[str, ...]
    to_states: tuple[str, ...]
    from_customers: int  # scored at the first date
    to_customers: int  # scored at the second date
    data_version: str = ""

    @property
    def is_empty(self) -> bool:
        return self.customers.is_empty()

    @property
    def new_state(self) -> str:
        """The name of the New row: "New", or "Not yet a customer" when the map has a segment named New."""
        return self.from_states[0]

    @property
    def lapsed_state(self) -> str:
        """The name of the Lapsed column ("Lapsed (no purchase)" when the map has a segment named Lapsed)."""
        return LAPSED_IF_TAKEN if LAPSED in self.params.segments.segments else LAPSED

    @property
    def new_customers(self) -> int:
        """Customers at the second date who were not customers at the first."""
        return int((self.customers["from_segment"].is_null()).sum())

    @property
    def lapsed_customers(self) -> int:
        """Customers at the first date with no purchase between the two dates (in the Lapsed column or not)."""
        return int(self.customers["lapsed"].sum())

    def flows(self) -> pl.DataFrame:
        """The matrix as a long frame: every (from_state, to_state) pair, with customers, share_of_from
        (0–1; null for an empty row) and share_of_all (0–1), rows then columns in display order."""
        counts = self.customers.group_by("from_state", "to_state").agg(pl.len().alias("customers"))
        grid = pl.DataFrame(
            {
                "from_state": [f for f in self.from_states for _ in self.to_states],
                "to_state": [t for _ in self.from_states for t in self.to_states],
                "from_order": [i for i in range(len(self.from_states)) for _ in self.to_states],
                "to_order": [j for _ in self.from_states for j in range(len(self.to_states))],
            }
        )
        total = self.customers.height
        frame = (
            grid.join(counts, on=["from_state", "to_state"], how="left")
            .with_columns(pl.col("customers").fill_null(0).cast(pl.Int64))
            .with_columns(pl.col("customers").sum().over("from_state").alias("_row"))
            .with_columns(
                pl.when(pl.col("_row") > 0)
                .then(pl.col("customers") / pl.col("_row"))
                .otherwise(None)
                .alias("share_of_from"),
                (pl.col("customers") / total if total else pl.lit(None, pl.Float64)).alias("share_of_all"),
            )
            .sort("from_order", "to_order")
        )
        return frame.select("from_state", "to_state", "customers", "share_of_from", "share_of_all")

    def matrix(self) -> pl.DataFrame:
        """The transition matrix of counts: a row per from_state, a column per to_state, and ``total``."""
        flows = self.flows()
        wide = flows.pivot(on="to_state", index="from_state", values="customers", sort_columns=False)
        wide = wide.select("from_state", *self.to_states)
        return wide.with_columns(pl.sum_horizontal(*self.to_states).alias("total"))

    def cell(self, from_state: str, to_state: str) -> pl.DataFrame:
        """The customers behind one cell ("who slipped from Champions to At Risk"), by customer id."""
        from_state = match_state(from_state, self.from_states, "from state")
        to_state = match_state(to_state, self.to_states, "to state")
        return self.customers.filter(
            (pl.col("from_state") == from_state) & (pl.col("to_state") == to_state)
        ).sort("customer_id")

    def flow_chart(self, min_customers: int = 1) -> vl.VegaLite:
        return flow_chart(self, min_customers)

    def state_colours(self) -> dict[str, str]:
        """The colour of each state in the flow chart (a subclass with other states gives its own)."""
        return _state_colours(self)

    def manifest(
        self, table: pl.DataFrame, what: str, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The manifest of an exported ``table`` of this result: the RFM parameters and both dates."""
        params = {**self.params.to_json(), **{k: v for k, v in self.to_json().items() if k != "window"}}
        return export.build_manifest(
            self.window, params, self.data_version, rows=table.height, what=what, filters=filters
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "parameters": self.params.to_json(),
            "from_date": self.from_date.isoformat(),
            "to_date": self.to_date.isoformat(),
            "lapsed_as_state": self.lapsed_as_state,
            "from_customers": self.from_customers,
            "to_customers": self.to_customers,
        }


def match_state(name: str, states: tuple[str, ...], where: str) -> str:
    """``name`` as ``states`` spell it (case and surrounding spaces forgiven), or an LgsError listing them."""
    wanted = name.strip().casefold()
    for known in states:
        if known.casefold() == wanted:
            return known
    raise LgsError(f"no {where} named {name!r}", where=where, todo=f"use one of: {', '.join(states)}")


def reference_windows(window: Window, from_date: date, to_date: date) -> tuple[Window, Window]:
    """The two RFM windows: the date range's start to each reference date − 1 day (checked)."""
    if from_date >= to_date:
        raise LgsError(
            f"the first reference date ({from_date}) is not before the second ({to_date})",
            where="--from-date/--to-date",
            todo="choose a first date earlier than the second, e.g. 2011-01-01 and 2012-01-01",
        )
    if window.start is not None and from_date <= window.start:
        raise LgsError(
            f"the first reference date ({from_date}) is not after the date range's start ({window.start})",
            where="--from-date",
            todo="choose a first date after the start, so some purchases come before it",
        )
    if window.end is not None and to_date > window.end + timedelta(days=1):
        raise LgsError(
            f"the second reference date ({to_date}) is after the day after the date range's end ({window.end})",
            where="--to-date",
            todo=f"choose {window.end + timedelta(days=1)} or earlier, or widen the date range",
        )
    first = replace(window, end=from_date - timedelta(days=1))
    second = replace(window, end=to_date - timedelta(days=1))
    return first, second


def default_reference_dates(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[date, date]:
    """The page's default: the day after the window's end, and one year before it (clamped after the start)."""
    first, last = store_bounds(con)
    end = window.end or (last.date() if isinstance(last, datetime) else last) or date.today()
    start = window.start or (first.date() if isinstance(first, datetime) else first) or end
    to_date = end + timedelta(days=1)
    try:
        from_date = to_date.replace(year=to_date.year - 1)
    except ValueError:  # 29 February
        from_date = to_date - timedelta(days=365)
    if from_date <= start:
        from_date = start + timedelta(days=(to_date - start).days // 2)
    return from_date, to_date


def migration(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    from_date: date,
    to_date: date,
    params: RfmParams | None = None,
    *,
    lapsed_as_state: bool = True,
) -> Migration:
    """RFM at ``from_date`` and ``to_date`` with ``params`` (their reference date replaced by each date) and
    the transition of every customer between them (docs/SEGMENTATION.md "Segment migration")."""
    params = params or RfmParams()
    first_window, second_window = reference_windows(window, from_date, to_date)
    first = rfm(con, first_window, replace(params, reference_date=from_date))
    second = rfm(con, second_window, replace(params, reference_date=to_date))
    segments = params.segments.segments
    new = NEW_IF_TAKEN if NEW in segments else NEW
    lapsed = LAPSED_IF_TAKEN if LAPSED in segments else LAPSED
    customers = _transitions(first, second, from_date, lapsed_as_state, new, lapsed)
    return Migration(
        window=window,
        params=params,
        from_date=from_date,
        to_date=to_date,
        lapsed_as_state=lapsed_as_state,
        customers=customers,
        from_states=(new, *segments),
        to_states=(*segments, lapsed) if lapsed_as_state else tuple(segments),
        from_customers=first.customers.height,
        to_customers=second.customers.height,
        data_version=store.data_version(con),
    )


def _transitions(
    first: RfmResult, second: RfmResult, from_date: date, lapsed_as_state: bool, new: str, lapsed: str
) -> pl.DataFrame:
    keep = ["customer_id", "segment", "rfm", "recency_days", "frequency", "monetary"]
    before = first.customers.select(keep).rename({c: f"from_{c}" for c in keep if c != "customer_id"})
    after = second.customers.select(
        "customer_id", "country", "first_purchase", "last_purchase", *keep[1:]
    ).rename({c: f"to_{c}" for c in keep if c != "customer_id"})
    # Every customer of the first date is scored at the second (both windows start on the same day).
    missing = before.join(after, on="customer_id", how="anti")
    assert missing.is_empty(), f"{missing.height} customer(s) scored at the first date but not the second"
    first_day = datetime.combine(from_date, time())
    joined = after.join(before, on="customer_id", how="left").with_columns(
        (pl.col("from_segment").is_not_null() & (pl.col("last_purchase") < first_day)).alias("lapsed")
    )
    to_state = (
        pl.when(pl.col("lapsed")).then(pl.lit(lapsed)).otherwise(pl.col("to_segment"))
        if lapsed_as_state
        else pl.col("to_segment")
    )
    joined = joined.with_columns(
        pl.col("from_segment").fill_null(new).alias("from_state"),
        to_state.alias("to_state"),
    )
    return (
        joined.select(list(_CUSTOMER_SCHEMA)).cast(_CUSTOMER_SCHEMA).sort("customer_id")  # type: ignore[arg-type]
    )


# --- the flow chart ----------------------------------------------------------------------------------------

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
    palette = result.state_colours()
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


def _state_colours(result: Migration) -> dict[str, str]:
    # Segments keep the Customer segments page's colours (charts.segment_scale: the map's order);
    # New and Lapsed get two of their own.
    colours = {
        name: SEGMENT_PALETTE[i % len(SEGMENT_PALETTE)]
        for i, name in enumerate(result.params.segments.segments)
    }
    colours[result.new_state] = NEW_COLOUR
    colours[result.lapsed_state] = LAPSED_COLOUR
    return colours
