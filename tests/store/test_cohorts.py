"""Cohort retention: hand-computed triangles on tiny stores (both presets), data contracts and reconciliation on
the real sample, the heat map's spec, the CLI, and the definitions quoted in docs/SEGMENTATION.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fixtures.helpers import Line, make_store

from lgs_core import cli
from lgs_core.analyses import affinity, clv, cohorts, migration, rfm
from lgs_core.present import segment_charts
from lgs_core.query.window import Window
from lgs_core.sources.ingest import load_file
from lgs_core.store import store

REPO = Path(__file__).resolve().parents[2]
UK = "United Kingdom"

# Customer 1: Jan, Feb, Apr. Customer 2: Jan, a cancellation only in Feb, Mar. Customer 3: twice in Feb, Mar.
# Customer 4: postage in Jan (a purchase only for the classic preset), a product in Mar.
# Customer 5: first bought in Dec 2009, before the window: in no cohort. A guest line counts for nobody.
LINES: list[Line] = [
    ("500001", "10001", 10, "2010-01-05 10:00", "1.00", 1, UK),
    ("500001", "10002", 5, "2010-01-05 10:00", "2.00", 1, UK),
    ("500002", "10001", 30, "2010-02-10 10:00", "1.00", 1, UK),
    ("500003", "10003", 1, "2010-04-01 10:00", "5.00", 1, UK),
    ("500004", "10001", 40, "2010-01-20 11:00", "1.00", 2, UK),
    ("C500005", "10001", -1, "2010-02-11 11:00", "10.00", 2, UK),
    ("500006", "10002", 15, "2010-03-15 11:00", "1.00", 2, UK),
    ("500007", "10001", 12, "2010-02-03 09:00", "1.00", 3, UK),
    ("500008", "10002", 8, "2010-02-20 09:00", "1.00", 3, UK),
    ("500009", "10003", 6, "2010-03-01 09:00", "1.00", 3, UK),
    ("500010", "POST", 1, "2010-01-25 12:00", "5.00", 4, UK),
    ("500011", "10001", 25, "2010-03-10 12:00", "1.00", 4, UK),
    ("500012", "10001", 3, "2009-12-15 12:00", "1.00", 5, UK),
    ("500013", "10001", 4, "2010-02-05 12:00", "1.00", 5, UK),
    ("500014", "10001", 99, "2010-01-07 13:00", "1.00", None, UK),
]
WINDOW = Window(date(2010, 1, 1), date(2010, 4, 30))


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = make_store(tmp_path / "tiny.duckdb", LINES)
    yield con
    con.close()


def _cells(result: cohorts.CohortRetention) -> dict[tuple[str, str], tuple[int, Decimal]]:
    return {
        (f"{r['cohort_month']:%Y-%m}", f"{r['activity_month']:%Y-%m}"): (r["active_customers"], r["revenue"])
        for r in result.cells.iter_rows(named=True)
    }


# --- hand-computed --------------------------------------------------------------------------------------


def test_standard_triangle_by_hand(tiny: duckdb.DuckDBPyConnection) -> None:
    result = cohorts.cohort_retention(tiny, WINDOW)
    assert _cells(result) == {
        ("2010-01", "2010-01"): (2, Decimal("60")),  # 1: 10 + 10; 2: 40
        ("2010-01", "2010-02"): (1, Decimal("20")),  # 1 bought 30; 2 only cancelled 10
        ("2010-01", "2010-03"): (1, Decimal("15")),
        ("2010-01", "2010-04"): (1, Decimal("5")),
        ("2010-02", "2010-02"): (1, Decimal("20")),  # 3 bought twice in February: one active customer
        ("2010-02", "2010-03"): (1, Decimal("6")),
        ("2010-02", "2010-04"): (0, Decimal("0")),
        ("2010-03", "2010-03"): (1, Decimal("25")),  # 4's postage is not a product: first purchase in March
        ("2010-03", "2010-04"): (0, Decimal("0")),
    }
    assert result.cohort_customers == 4
    assert result.earlier_customers == 1
    assert result.customers_of(None)["customer_id"].to_list() == [5]
    assert result.customers_of(date(2010, 1, 1))["customer_id"].to_list() == [1, 2]
    triangle = result.triangle("active_share")
    assert triangle.columns == ["cohort_month", "customers", "m0", "m1", "m2", "m3"]
    assert triangle.rows() == [
        (date(2010, 1, 1), 2, 1.0, 0.5, 0.5, 0.5),
        (date(2010, 2, 1), 1, 1.0, 1.0, 0.0, None),
        (date(2010, 3, 1), 1, 1.0, 0.0, None, None),
    ]
    summary = result.cohorts()
    assert summary["customers"].to_list() == [2, 1, 1]
    assert summary["revenue"].to_list() == [Decimal("100"), Decimal("26"), Decimal("25")]
    assert summary["active_share_month_1"].to_list() == [0.5, 1.0, 0.0]
    assert summary["whole_month"].to_list() == [True, True, True]


def test_classic_triangle_by_hand(tiny: duckdb.DuckDBPyConnection) -> None:
    result = cohorts.cohort_retention(tiny, WINDOW, preset="classic")
    cells = _cells(result)
    # classic: postage is a purchase (4 joins January's cohort) and cancellations are left out.
    assert result.triangle("active_customers").row(0) == (date(2010, 1, 1), 3, 3, 1, 2, 1)
    assert cells[("2010-01", "2010-01")] == (3, Decimal("65"))
    assert cells[("2010-01", "2010-02")] == (1, Decimal("30"))
    assert cells[("2010-01", "2010-03")] == (2, Decimal("40"))
    assert ("2010-03", "2010-03") not in cells


def test_window_start_moves_customers_out_of_cohorts(tiny: duckdb.DuckDBPyConnection) -> None:
    result = cohorts.cohort_retention(tiny, Window(date(2010, 2, 15), date(2010, 4, 30)))
    # Customers 1, 2, 3 first bought before 15 Feb: they are earlier customers, whatever they did after.
    assert result.customers_of(None)["customer_id"].to_list() == [1, 2, 3]
    assert result.cohorts()["cohort_month"].to_list() == [date(2010, 3, 1)]
    # A cohort month cut by the window's start is partial; so is the first activity month.
    assert result.with_whole_months()["whole_month"].to_list() == [True, True]
    cut = cohorts.cohort_retention(tiny, Window(date(2010, 1, 10), date(2010, 4, 30)))
    assert cut.cohorts().row(0, named=True)["whole_month"] is False


def test_countries_filter_the_first_purchase_too(tmp_path: Path) -> None:
    lines: list[Line] = [
        ("500001", "10001", 1, "2010-01-05 10:00", "1.00", 1, "France"),
        ("500002", "10001", 1, "2010-03-05 10:00", "1.00", 1, UK),
    ]
    con = make_store(tmp_path / "c.duckdb", lines)
    try:
        uk = cohorts.cohort_retention(con, Window(countries=(UK,)))
        assert uk.cohorts()["cohort_month"].to_list() == [date(2010, 3, 1)]
        assert uk.cells.filter(pl.col("months_since") == 0)["active_share"].to_list() == [1.0]
    finally:
        con.close()


def test_empty_window(tiny: duckdb.DuckDBPyConnection) -> None:
    result = cohorts.cohort_retention(tiny, Window(countries=("Nowhere",)))
    assert result.is_empty
    assert result.cohorts().is_empty()
    assert result.triangle().is_empty()
    assert segment_charts.retention_heatmap(result).to_dict()["layer"]


# --- data contracts and the real sample ------------------------------------------------------------------


def _contracts(result: cohorts.CohortRetention) -> None:
    cells = result.cells
    assert cells.select("cohort_month", "activity_month").is_duplicated().sum() == 0
    assert cells.null_count().sum_horizontal().item() == 0
    assert (cells.filter(pl.col("months_since") == 0)["active_share"] == 1.0).all()
    assert (cells["active_customers"] <= cells["cohort_customers"]).all()
    assert (cells["activity_month"] >= cells["cohort_month"]).all()
    # Every cohort has every month from its own to the window's last.
    last = cells["activity_month"].max()
    spans = cells.group_by("cohort_month").agg(pl.len(), pl.col("activity_month").max())
    assert (spans["activity_month"] == last).all()
    # The cells' revenue is the cohort customers' revenue in the window, less their lines dated before the
    # cohort's month (the real sample: 13 cancellation lines in Dec 2009 of orders placed before the data).
    in_cohorts = result.customers.filter(pl.col("cohort_month").is_not_null())
    in_cells = in_cohorts["revenue"] - in_cohorts["revenue_before_first_purchase"]
    assert sum(cells["revenue"].to_list(), Decimal(0)) == sum(in_cells.to_list(), Decimal(0))
    sizes = result.cohorts()["customers"]
    assert sizes.sum() == result.cohort_customers


@pytest.mark.parametrize("start", [None, date(2010, 6, 1), date(2011, 1, 1)])
@pytest.mark.parametrize("preset", ["standard", "classic"])
def test_sample_reconciles_with_rfm(
    sample: duckdb.DuckDBPyConnection, start: date | None, preset: str
) -> None:
    window = Window(start=start)
    result = cohorts.cohort_retention(sample, window, preset)
    _contracts(result)
    scored = rfm.rfm(sample, window, rfm.RfmParams(preset=preset)).customers
    # Cohort sizes + customers who first bought before the window = every customer with a purchase in it.
    assert result.cohort_customers + result.earlier_customers == scored.height
    assert sorted(result.customers["customer_id"].to_list()) == sorted(scored["customer_id"].to_list())
    if preset == "standard":  # the same lines as RFM's monetary
        assert sum(result.customers["revenue"].to_list(), Decimal(0)) == sum(
            scored["monetary"].to_list(), Decimal(0)
        )
    if start is None:
        assert result.earlier_customers == 0
        assert result.cohorts()["customers"].sum() == scored.height


def test_sample_countries(sample: duckdb.DuckDBPyConnection) -> None:
    window = Window(countries=("France", "Spain"))
    result = cohorts.cohort_retention(sample, window)
    _contracts(result)
    assert result.cohort_customers == rfm.rfm(sample, window).customers.height


def test_heatmap_spec(sample: duckdb.DuckDBPyConnection) -> None:
    result = cohorts.cohort_retention(sample, Window())
    for measure in cohorts.MEASURES:
        spec = segment_charts.retention_heatmap(result, measure).to_dict()
        cells = spec["layer"][0]
        assert cells["mark"]["type"] == "rect"
        tips = {t["field"]: t.get("title", "") for t in cells["encoding"]["tooltip"]}
        assert {"cohort", "month", "active_customers", "active_share", "revenue"} <= set(tips)
        assert "£" in tips["revenue"]
        assert cells["encoding"]["color"]["field"] == measure
        assert "Months since" in cells["encoding"]["x"]["title"]


# --- the CLI ---------------------------------------------------------------------------------------------


def lgs(*argv: str) -> int:
    """``lgs ARGV`` through cli.main."""
    return cli.main(list(argv))


def test_cli_cohorts(
    tiny: duckdb.DuckDBPyConnection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "tiny.duckdb")
    tiny.close()
    window = ["--db", db, "--start", "2010-01-01", "--end", "2010-04-30"]
    assert lgs("cohorts", *window) == 0
    out = capsys.readouterr().out
    assert "m3" in out and "4 customers in cohorts; 1 bought" in out
    assert lgs("cohorts", *window, "--json") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["cohort_customers"] == 4 and body["earlier_customers"] == 1
    assert len(body["cells"]) == 9 and body["cohorts"][0]["customers"] == 2
    out_file = tmp_path / "jan.csv"
    assert lgs("cohorts", *window, "--cohort", "2010-01", "--out", str(out_file)) == 0
    assert out_file.read_text().splitlines()[1].startswith("1,2010-01-05 10:00:00,2010-01-01,")
    manifest = json.loads(out_file.with_suffix(".manifest.json").read_text())
    assert manifest["rows"] == 2 and manifest["filters"] == {"cohort": "2010-01"}
    assert manifest["window"]["start"] == "2010-01-01" and manifest["parameters"] == {"preset": "standard"}
    xlsx = tmp_path / "triangle.xlsx"
    assert lgs("cohorts", *window, "--measure", "revenue", "--out", str(xlsx)) == 0
    assert xlsx.read_bytes()[:2] == b"PK"
    assert lgs("cohorts", *window, "--long", "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("cohort_month,activity_month,months_since")
    assert lgs("cohorts", *window, "--cohort", "January") == 2
    assert "--cohort" in capsys.readouterr().err


# --- the page (all four tabs; each runs only when open) --------------------------------------------------


@pytest.fixture(scope="module")
def page_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fixtures.paths import SAMPLE_CSV, require_sample

    db = tmp_path_factory.mktemp("page") / "store.duckdb"
    load_file(require_sample(SAMPLE_CSV), db=db)
    return db


@pytest.mark.parametrize(
    "tab", ["Cohort retention", "Segment migration", "Lifetime value", "Product affinity"]
)
def test_deeper_segments_page(page_store: Path, monkeypatch: pytest.MonkeyPatch, tab: str) -> None:
    """pages/deeper_segments.py runs each tab without an error, and its figures are lgs_core's."""
    from streamlit.testing.v1 import AppTest

    from lgs_core.app.filters import Filters
    from lgs_core.present.text import count_text, money_text
    from pages._common import KEY_SAVED, View

    monkeypatch.setenv("LGS_DB", str(page_store))
    monkeypatch.chdir(REPO)
    first, last = date(2009, 12, 1), date(2011, 12, 9)
    at = AppTest.from_file(str(REPO / "pages" / "deeper_segments.py"), default_timeout=120)
    at.session_state[KEY_SAVED] = View(Filters(first, last))  # what the app's sidebar leaves for the page
    at.session_state["deeper_tab"] = tab
    at.run()
    # A slow tab (lifetime value, affinity) computes beside the page and says so; it is drawn once done.
    deadline = time.monotonic() + 120
    while any("(" in i.value and i.icon == ":material/hourglass_top:" for i in at.info):
        assert time.monotonic() < deadline, "the tab's computation never finished"
        time.sleep(0.2)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = {m.label: m.value for m in at.metric}
    window = Window(first, last)
    con = store.connect(page_store)
    try:
        if tab == "Cohort retention":
            result = cohorts.cohort_retention(con, window)
            assert shown == {
                "Customers in cohorts": count_text(result.cohort_customers),
                "Bought before the range": "0",
            }
            assert len(at.dataframe) == 2  # the triangle and a cohort's customers
        elif tab == "Segment migration":
            moved = migration.migration(con, window, date(2010, 12, 10), date(2011, 12, 10))
            assert shown["New"] == count_text(moved.new_customers)
            assert shown["Lapsed"] == count_text(moved.lapsed_customers)
            assert shown["Customers at 10 Dec 2011"] == count_text(moved.to_customers)
        elif tab == "Lifetime value":
            totals = clv.customer_value(con, window).totals()
            assert shown["Expected spend, next 365 days"] == money_text(totals["expected_spend"][2])
            assert len(at.dataframe) == 2  # the customers and the calibration deciles
        else:
            champions = affinity.affinity(con, window, "Champions")
            assert shown["Customers in Champions"] == count_text(champions.segment_customers)
            assert shown["A pair needs"] == f"{champions.min_invoices:,} orders"
    finally:
        con.close()
    # Only the open tab ran: no other tab's figures are on the page.
    assert not ({"New", "Customers in cohorts"} <= set(shown))


# --- house style of sql/segments/ and the docs -------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((REPO / "sql" / "segments").glob("*.sql")), ids=lambda p: p.name)
def test_segment_queries_follow_the_house_style(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("-- ") and "Grain:" in text and "Units:" in text and "Parameters:" in text
    assert text.rstrip().endswith("select * from final")
    assert "{" not in text  # parameters only, never formatting


@pytest.mark.parametrize(
    ("module", "section", "key"),
    [
        (cohorts, "cohorts", "active_share"),
        (migration, "migration", "share_of_from"),
        (clv, "clv", "p_alive"),
        (affinity, "affinity", "pair_lift"),
    ],
)
def test_definitions_come_from_the_one_glossary(module: object, section: str, key: str) -> None:
    """The page's help texts are docs/DEFINITIONS.md's lines, under the section the docs name."""
    doc = (REPO / "docs" / "DEFINITIONS.md").read_text(encoding="utf-8")
    definitions = module.DEFINITIONS  # type: ignore[attr-defined]
    assert key in definitions
    for name, text in definitions.items():
        assert f"- `{name}`: {text}" in doc, f"docs/DEFINITIONS.md lacks the definition of {name}"
    assert f"(`{section}`)" in (REPO / "docs" / "SEGMENTATION.md").read_text(encoding="utf-8")
