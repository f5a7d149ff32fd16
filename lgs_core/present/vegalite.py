"""Vega-Lite specs as plain dicts, their data as Polars frames (issue #14). Imports no streamlit, no altair.

Why not Altair at run time: building a chart with Altair and serialising it validates the whole spec against
the Vega-Lite JSON schema, row by row for inline data; on a cached rerun of the Orders page that was 76% of
the script's time (0.96 s at 1M lines, docs/benchmarks.md). A spec here is a ``dict`` built directly; its
data stays a Polars frame, which Streamlit's ``st.vega_lite_chart`` sends to the browser as Arrow.
tests/app/test_charts.py validates every spec the app draws against the Vega-Lite schema Altair ships, once,
so skipping the check at run time hides nothing. ``VegaLite.to_dict()`` gives the plain JSON spec (the rows
inline) for vl-convert, which renders the emailed report's charts offline.

The helpers read like Altair's shorthand: ``field("sales:Q", title="Sales (£)")`` is
``{"field": "sales", "type": "quantitative", "title": "Sales (£)"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

# The Vega-Lite version Altair 6.3 writes and validates against (tests/app/test_charts.py checks they agree).
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
_TYPES = {"Q": "quantitative", "T": "temporal", "N": "nominal", "O": "ordinal"}


class VegaLite(dict[str, Any]):
    """A Vega-Lite spec whose data are Polars frames: give it to ``st.vega_lite_chart`` as it is (the frames
    go as Arrow); ``to_dict()`` for the JSON spec with the rows inline (vl-convert, tests)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON spec: every frame as rows, a named dataset inlined into each layer that draws it."""
        spec = dict(self)
        datasets = spec.pop("datasets", {})
        if datasets:
            spec["layer"] = [
                {**part, "data": {"values": datasets[part["data"]["name"]]}}
                if "name" in part.get("data", {})
                else part
                for part in spec["layer"]
            ]
        inlined: dict[str, Any] = _inline(spec)
        return inlined


def _inline(value: Any) -> Any:
    if isinstance(value, pl.DataFrame):
        return value.to_dicts()
    if isinstance(value, dict):
        return {k: _inline(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inline(v) for v in value]
    return value


def plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimals as floats, dates as ISO text: what Vega-Lite reads (JSON and Arrow alike have no decimals
    Vega reads, and a temporal field parses ISO text the same in both)."""
    return frame.with_columns(
        [pl.col(c).cast(pl.Float64) for c, t in frame.schema.items() if isinstance(t, pl.Decimal)]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
        + [pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S") for c, t in frame.schema.items() if t == pl.Datetime]
    )


def field(shorthand: str, **props: Any) -> dict[str, Any]:
    """An encoding channel from Altair's shorthand ("sales:Q", "month:T"; no type: "bin_end") and its
    properties (``legend=None`` is kept: it is Vega-Lite's "no legend")."""
    name, _, kind = shorthand.partition(":")
    channel: dict[str, Any] = {"field": name}
    if kind:
        channel["type"] = _TYPES[kind]
    channel.update(props)
    return channel


def tooltip(shorthand: str, title: str, fmt: str | None = None, **props: Any) -> dict[str, Any]:
    """A tooltip line: the field, its title and its d3 format (``fmt``; None: Vega-Lite's default)."""
    return field(shorthand, title=title, **({"format": fmt} if fmt else {}), **props)


def condition(test: str, when_true: Any, otherwise: Any) -> dict[str, Any]:
    """A value that depends on each datum (``test`` is a Vega expression, e.g. "datum.whole_month")."""
    return {"condition": {"test": test, "value": when_true}, "value": otherwise}


def mark(kind: str, **props: Any) -> dict[str, Any]:
    return {"type": kind, **props}


def chart(data: pl.DataFrame, mark_: dict[str, Any], encoding: Mapping[str, Any], **props: Any) -> VegaLite:
    """One mark over one frame."""
    return VegaLite(
        {
            "$schema": SCHEMA,
            "data": {"values": plain(data)},
            "mark": mark_,
            "encoding": dict(encoding),
            **props,
        }
    )


def layered(
    layers: Sequence[Mapping[str, Any]],
    *,
    data: pl.DataFrame | None = None,
    datasets: Mapping[str, pl.DataFrame] | None = None,
    **props: Any,
) -> VegaLite:
    """Layers over one shared frame (``data``), or each over a named one (``datasets``; a layer says which
    with ``"data": {"name": ...}``)."""
    spec: dict[str, Any] = {"$schema": SCHEMA}
    if data is not None:
        spec["data"] = {"values": plain(data)}
    if datasets:
        spec["datasets"] = {name: plain(frame) for name, frame in datasets.items()}
    spec["layer"] = [dict(layer) for layer in layers]
    spec.update(props)
    return VegaLite(spec)


def layer(
    mark_: dict[str, Any], encoding: Mapping[str, Any], *, dataset: str | None = None, **props: Any
) -> dict[str, Any]:
    """One layer of ``layered``: its mark and encoding, and the named dataset it draws (else the chart's)."""
    spec: dict[str, Any] = {}
    if dataset is not None:
        spec["data"] = {"name": dataset}
    spec.update({"mark": mark_, "encoding": dict(encoding), **props})
    return spec
