"""lgs_core.present.charts: every chart is built from a page model's result, has tooltips, and titles its axes with units.

The app's charts are tested through the spec they build (AppTest does not see rendered charts). Every chart
the app draws (lgs_core.present.charts and the deeper-segment and report charts) is validated here against the
Vega-Lite schema Altair ships: the app does not validate specs at run time (issue #14), so this is where a
spec Vega-Lite would refuse is caught.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import jsonschema
import polars as pl
import pytest

from lgs_core.analyses import affinity, clv, cohorts, migration
from lgs_core.analyses.rfm import RfmParams
from lgs_core.app import orders as orders_model
from lgs_core.app import overview as overview_model
from lgs_core.app import segments as segments_model
from lgs_core.present import charts, segment_charts, vegalite
from lgs_core.present.vegalite import VegaLite
from lgs_core.query.window import Window
from lgs_core.report import report
from lgs_core.sources.demo import load_demo
from lgs_core.store import store


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    path = tmp_path_factory.mktemp("charts") / "demo.duckdb"
    load_demo(path, rows=30_000, seed=3)
    con = store.connect(path)
    try:
        window = Window(date(2010, 6, 15), date(2011, 12, 9))
        first, second = migration.default_reference_dates(con, Window())
        params = RfmParams()
        yield {
            "overview": overview_model.overview(con, window),
            "orders": orders_model.orders(con, window),
            "segments": segments_model.segments(con, window),
            "rfm11": segments_model.segments(con, window, RfmParams(segment_map="rfm11")),
            "cohorts": cohorts.cohort_retention(con, Window()),
            "migration": migration.migration(con, Window(), first, second, params),
            "calibration": clv.calibrate(con, Window(), holdout_months=6),
            "affinity": affinity.affinity(
                con,
                Window(),
                params.segments.segments[-1],
                params,
                affinity.AffinityOptions(min_support=0.01),
            ),
            "report": report.build_report(con),
            **_saved_segment_results(con),
        }
    finally:
        con.close()


def _saved_segment_results(con: Any) -> dict[str, Any]:
    """The Saved segments page's charts: a segment's months, who moved in and out, the behaviour clusters."""
    from lgs_core.analyses import clusters, saved_segments
    from lgs_core.analyses.segment_rules import Condition, all_of

    rule = all_of(Condition.make("recency_days", "le", [180]), Condition.make("orders", "ge", [2]))
    first, second = saved_segments.default_migration_dates(con, Window())
    facts = saved_segments.customer_facts(con, Window())
    return {
        "segment_history": saved_segments.history(con, Window(), rule),
        "segment_migration": saved_segments.segment_migration(con, Window(), rule, first, second),
        "clusters": clusters.cluster_customers(facts.frame, facts.window),
    }


def _builders() -> dict[str, Callable[[dict[str, Any]], VegaLite]]:
    return {
        "monthly_sales": lambda r: charts.monthly_sales(r["overview"].monthly),
        "monthly_growth": lambda r: charts.monthly_growth(r["overview"].monthly),
        "monthly_active_customers": lambda r: charts.monthly_active_customers(r["overview"].monthly),
        "new_vs_existing": lambda r: charts.new_vs_existing(r["overview"].monthly),
        "amount_histogram": lambda r: charts.amount_histogram(r["orders"].histogram(False)),
        "amount_histogram_trimmed": lambda r: charts.amount_histogram(
            r["orders"].histogram(True), trimmed=True
        ),
        "amount_boxplot": lambda r: charts.amount_boxplot(r["orders"].box(False)),
        "orders_per_month": lambda r: charts.orders_per_month(r["orders"].monthly),
        "cancellation_rate": lambda r: charts.cancellation_rate(r["orders"].monthly),
        "rf_heatmap": lambda r: charts.rf_heatmap(r["segments"].grid),
        "rf_heatmap_rfm11": lambda r: charts.rf_heatmap(r["rfm11"].grid),
        "segment_customers": lambda r: charts.segment_customers(
            r["segments"].summary, r["segments"].segment_names
        ),
        "segment_revenue": lambda r: charts.segment_revenue(
            r["segments"].summary, r["segments"].segment_names
        ),
    }


def _other_builders() -> dict[str, Callable[[dict[str, Any]], VegaLite]]:
    """The charts built outside lgs_core.present.charts: Deeper segments' tabs, Saved segments and the weekly report."""
    return {
        **{
            f"cohort_heatmap_{m}": (lambda r, m=m: segment_charts.retention_heatmap(r["cohorts"], m))
            for m in cohorts.MEASURES
        },
        "migration_flow": lambda r: segment_charts.flow_chart(r["migration"]),
        "clv_calibration": lambda r: segment_charts.calibration_chart(r["calibration"]),
        "affinity_products": lambda r: segment_charts.products_chart(r["affinity"]),
        "segment_customers_per_month": lambda r: segment_charts.history_customers_chart(r["segment_history"]),
        "segment_revenue_per_month": lambda r: segment_charts.history_revenue_chart(r["segment_history"]),
        "segment_moves": lambda r: segment_charts.flow_chart(r["segment_migration"]),
        "cluster_scatter": lambda r: segment_charts.cluster_scatter(r["clusters"]),
        **{
            f"weekly_report_{m}": (lambda r, m=m: report.weekly_chart(r["report"], m, width="container"))
            for m in ("new_customers", "orders", "sales")
        },
    }


BUILDERS = _builders()
EVERY_CHART = {**BUILDERS, **_other_builders()}
# Where a chart shows money, its axis says pounds.
MONEY_AXES = {
    "monthly_sales": "Sales (£)",
    "amount_histogram": "Invoice amount (£)",
    "amount_histogram_trimmed": "Invoice amount (£)",
    "amount_boxplot": "Invoice amount (£)",
    "segment_revenue": "Revenue (£)",
}
PERCENT_AXES = {"monthly_growth": "Growth (%)", "cancellation_rate": "Cancellation rate (%)"}


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("layer", [spec])


def _axis_titles(spec: dict[str, Any]) -> set[str]:
    titles = set()
    for layer in _layers(spec):
        for channel in ("x", "y"):
            enc = layer.get("encoding", {}).get(channel)
            if enc and enc.get("title"):
                titles.add(enc["title"])
    return titles


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_chart_has_tooltips_titles_and_plain_json(results: dict[str, Any], name: str) -> None:
    chart = BUILDERS[name](results)
    assert isinstance(chart, VegaLite)
    spec = chart.to_dict()
    json.dumps(spec)  # no Decimal, no dates: plain JSON for Vega-Lite
    assert spec.get("title"), f"{name} has no title"
    for layer in _layers(spec):
        assert layer["encoding"].get("tooltip"), f"{name}: a layer without tooltips"
    titles = _axis_titles(spec)
    assert titles, f"{name} has no axis titles"
    if name in MONEY_AXES:
        assert MONEY_AXES[name] in titles
    if name in PERCENT_AXES:
        assert PERCENT_AXES[name] in titles
    for title in titles:
        assert title.strip(), f"{name}: blank axis title"


def _values(chart: VegaLite, layer: int = 0) -> list[dict[str, Any]]:
    spec = chart.to_dict()
    part = _layers(spec)[layer]
    data = part.get("data") or spec.get("data")
    if "values" in data:
        return list(data["values"])
    return list(spec["datasets"][data["name"]])


def test_monthly_charts_draw_every_month_with_its_sales(results: dict[str, Any]) -> None:
    monthly = results["overview"].monthly
    values = _values(charts.monthly_sales(monthly))
    assert [v["month"] for v in values] == [d.isoformat() for d in monthly["month"].to_list()]
    assert [v["sales"] for v in values] == pytest.approx([float(s) for s in monthly["sales"].to_list()])
    # The window starts on 15 June 2010: that month is drawn faded, and says so in its tooltip.
    assert values[0]["whole_month"] is False and values[1]["whole_month"] is True
    spec = charts.monthly_sales(monthly).to_dict()
    assert "condition" in spec["encoding"]["opacity"]


def test_new_and_existing_stack_to_the_active_customers(results: dict[str, Any]) -> None:
    monthly = results["overview"].monthly
    values = _values(charts.new_vs_existing(monthly))
    by_month: dict[str, int] = {}
    for v in values:
        by_month[v["month"]] = by_month.get(v["month"], 0) + v["customers"]
    assert list(by_month.values()) == monthly["active_customers"].to_list()


def test_histogram_bins_hold_every_invoice(results: dict[str, Any]) -> None:
    orders = results["orders"]
    values = _values(charts.amount_histogram(orders.histogram(False)))
    assert sum(v["invoices"] for v in values) == orders.distribution.positive.count
    spec = charts.amount_histogram(orders.histogram(False)).to_dict()
    assert spec["encoding"]["x"]["bin"] == "binned" and spec["encoding"]["x2"]["field"] == "bin_end"


def test_box_plot_layers_whiskers_box_median_and_outliers(results: dict[str, Any]) -> None:
    box = results["orders"].box(False)
    chart = charts.amount_boxplot(box)
    marks = [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
    assert marks == ["rule", "bar", "tick", "circle"]
    stats = _values(chart, 0)[0]
    assert stats["q1"] <= stats["median"] <= stats["q3"]
    assert len(_values(chart, 3)) == len(box.outlier_amounts)


def test_heat_map_has_every_cell_with_its_count(results: dict[str, Any]) -> None:
    for key, letter in (("segments", "F"), ("rfm11", "FM")):
        grid = results[key].grid
        chart = charts.rf_heatmap(grid)
        values = _values(chart)
        assert len(values) == 25
        assert sum(v["customers"] for v in values) == results[key].customers.height
        assert chart.to_dict()["title"] == f"Customers by R × {letter} score"
        texts = [layer["encoding"]["text"]["field"] for layer in chart.to_dict()["layer"][1:]]
        assert texts == ["customers", "label"]


def test_segment_bars_keep_the_maps_order(results: dict[str, Any]) -> None:
    seg = results["segments"]
    spec = charts.segment_customers(seg.summary, seg.segment_names).to_dict()
    assert spec["encoding"]["y"]["sort"] == list(seg.segment_names)
    assert spec["encoding"]["color"]["scale"]["domain"] == list(seg.segment_names)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("About to Sleep", "About\nto Sleep"),
        ("Potential Loyalists", "Potential\nLoyalists"),
        ("Lost", "Lost"),
    ],
)
def test_segment_names_fit_a_cell_on_two_lines(name: str, text: str) -> None:
    assert charts._two_lines(name) == text


# --- what Vega-Lite accepts: checked here once, not by the app on every rerun -----------------------------


@pytest.fixture(scope="module")
def vega_lite_schema() -> jsonschema.Draft7Validator:
    """The Vega-Lite schema Altair validates against (the one it ships), as a validator."""
    return jsonschema.Draft7Validator(alt.vegalite.v6.schema.core.load_schema())


def test_the_specs_declare_the_schema_altair_ships() -> None:
    assert vegalite.SCHEMA == alt.vegalite.v6.schema.SCHEMA_URL


@pytest.mark.parametrize("name", list(EVERY_CHART))
def test_every_chart_the_app_draws_is_valid_vega_lite(
    results: dict[str, Any], vega_lite_schema: jsonschema.Draft7Validator, name: str
) -> None:
    spec = EVERY_CHART[name](results)
    assert spec["$schema"] == vegalite.SCHEMA
    errors = sorted(vega_lite_schema.iter_errors(spec.to_dict()), key=lambda e: list(e.path))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])
    # Altair's own reading of the spec agrees (what st.altair_chart validated on every rerun before #14).
    kind = alt.LayerChart if "layer" in spec else alt.Chart
    assert kind.from_dict(spec.to_dict()).to_dict()["$schema"] == vegalite.SCHEMA


def test_the_schema_check_refuses_what_vega_lite_would(
    results: dict[str, Any], vega_lite_schema: jsonschema.Draft7Validator
) -> None:
    """The check above can fail: a misspelt mark, a channel type Vega-Lite has not, a title that is a number."""
    for broken in (
        {"mark": {"type": "barr"}},
        {"encoding": {"x": {"field": "month", "type": "time"}}},
        {"title": 42},
    ):
        spec = {**charts.monthly_sales(results["overview"].monthly).to_dict(), **broken}
        assert list(vega_lite_schema.iter_errors(spec)), broken


@pytest.mark.parametrize("name", list(EVERY_CHART))
def test_charts_hand_their_data_over_as_frames(results: dict[str, Any], name: str) -> None:
    """The page gives the spec to st.vega_lite_chart, which sends a Polars frame as Arrow: no chart carries
    its rows inline, and each frame is what Vega-Lite reads (no decimals, no date objects)."""
    spec = EVERY_CHART[name](results)
    frames = [spec["data"]["values"]] if "data" in spec else list(spec["datasets"].values())
    assert frames and all(isinstance(f, pl.DataFrame) for f in frames)
    for frame in frames:
        assert not [
            c for c, t in frame.schema.items() if isinstance(t, pl.Decimal) or t in (pl.Date, pl.Datetime)
        ]
    for part in spec.get("layer", []):
        assert "values" not in part.get("data", {}), f"{name}: a layer with inline rows"
    json.dumps({k: v for k, v in spec.items() if k not in ("data", "datasets")})


def test_a_chart_renders_offline(results: dict[str, Any], tmp_path: Path) -> None:
    """The emailed report renders the same specs without a browser (vl-convert)."""
    vl_convert = pytest.importorskip("vl_convert")
    svg = vl_convert.vegalite_to_svg(charts.monthly_sales(results["overview"].monthly).to_dict())
    assert svg.startswith("<svg") and "Sales (£)" in svg
