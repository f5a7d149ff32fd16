"""The page models (lgs_core.app.overview, orders, segments, data, deeper_segments): what each page shows, on real DuckDB stores (demo data and the real sample).

Data contracts (STYLE.md §6): the KPI cards reconcile with the window totals and the monthly figures, the
segment table with the scored customers, an export with the customers of exactly the chosen segments.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from lgs_core.analyses import amounts, analytics, export, rfm, segment_maps
from lgs_core.app import data as data_model
from lgs_core.app import deeper_segments as deeper_model
from lgs_core.app import figures as app_figures
from lgs_core.app import filters
from lgs_core.app import orders as orders_model
from lgs_core.app import overview as overview_model
from lgs_core.app import segments as segments_model
from lgs_core.errors import LgsError
from lgs_core.present import text as app_text
from lgs_core.query.window import Window
from lgs_core.sources import postgres
from lgs_core.sources.demo import load_demo
from lgs_core.sources.ingest import load_file
from lgs_core.store import store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("views") / "demo.duckdb"
    load_demo(path, rows=60_000, seed=7)
    return path


@pytest.fixture
def con(demo_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = store.connect(demo_db)
    try:
        yield connection
    finally:
        connection.close()


def _first_last(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    first, last = con.execute("select min(invoice_date), max(invoice_date) from lines").fetchall()[0]
    return first.date(), last.date()


# --- Overview ------------------------------------------------------------------------------------------


def test_kpis_reconcile_with_totals_and_months(con: duckdb.DuckDBPyConnection) -> None:
    """Whole months (the data's own first to last month): every card equals the sum of its months."""
    result = overview_model.overview(con, Window())
    totals = analytics.totals(con, result.window)
    monthly = result.monthly
    assert result.kpi("sales").value == totals.sales == sum(monthly["sales"].to_list(), Decimal(0))
    assert result.kpi("orders").value == totals.not_canceled == monthly["placed"].sum()
    assert result.kpi("active_customers").value == totals.customers
    assert result.kpi("new_customers").value == monthly["new_customers"].sum()
    # All the data: everyone is new in the window.
    assert result.kpi("new_customers").value == result.kpi("active_customers").value
    aov = result.kpi("aov").value
    assert aov == (totals.sales / totals.not_canceled).quantize(Decimal("0.01"))


def test_kpis_of_a_window_match_direct_sql(con: duckdb.DuckDBPyConnection) -> None:
    window = Window(date(2011, 3, 1), date(2011, 5, 31), ("United Kingdom",), products_only=True)
    figures = app_figures.window_figures(con, window)
    rows = con.execute(
        """
        select coalesce(sum(line_amount), 0),
               count(distinct invoice) filter (where not is_cancellation),
               count(distinct customer_id)
        from lines
        where invoice_date >= '2011-03-01' and invoice_date < '2011-06-01'
          and country = 'United Kingdom' and is_product
        """
    ).fetchall()
    assert (figures.sales, figures.orders, figures.active_customers) == rows[0]
    new = con.execute(
        """
        with firsts as (select customer_id, min(invoice_date) as first_at from lines
                        where customer_id is not null group by customer_id)
        select count(distinct l.customer_id) from lines l join firsts f using (customer_id)
        where l.invoice_date >= '2011-03-01' and l.invoice_date < '2011-06-01'
          and l.country = 'United Kingdom' and l.is_product
          and f.first_at >= '2011-03-01' and f.first_at < '2011-06-01'
        """
    ).fetchall()[0][0]
    assert figures.new_customers == new


def test_kpis_are_the_same_from_the_lines_when_the_summary_is_stale(tmp_path: Path) -> None:
    db = tmp_path / "stale.duckdb"
    load_demo(db, rows=15_000, seed=11)
    window = Window(date(2010, 9, 1), date(2011, 2, 28), ("United Kingdom",))
    con = store.connect(db)
    try:
        fresh = app_figures.window_figures(con, window)
        con.execute("delete from store_meta where key = $key", {"key": store.SUMMARY_KEY})
        assert not store.summaries_are_current(con)
        assert app_figures.window_figures(con, window) == fresh
    finally:
        con.close()


def test_previous_window_has_equal_length_and_the_same_filters() -> None:
    window = Window(date(2011, 1, 1), date(2011, 3, 31), ("France",), True)
    previous = app_figures.previous_window(window)
    assert previous == Window(date(2010, 10, 3), date(2010, 12, 31), ("France",), True)
    assert previous.end is not None and previous.start is not None
    assert (previous.end - previous.start) == (date(2011, 3, 31) - date(2011, 1, 1))
    assert previous.end + timedelta(days=1) == window.start


def test_kpi_change_is_against_the_previous_period(con: duckdb.DuckDBPyConnection) -> None:
    window = Window(date(2011, 1, 1), date(2011, 6, 30))
    result = overview_model.overview(con, window)
    assert result.previous == app_figures.previous_window(window)
    before = app_figures.window_figures(con, result.previous)
    now = app_figures.window_figures(con, window)
    sales = result.kpi("sales")
    assert (sales.value, sales.previous) == (now.sales, before.sales)
    expected = float((now.sales - before.sales) / abs(before.sales) * 100)
    assert sales.change_pct == pytest.approx(expected)
    assert sales.delta_text == f"{expected:+.1f}%"
    assert result.kpi("orders").previous == before.orders
    assert "previous 181 days" in result.comparison_note


def test_no_change_when_the_previous_period_starts_before_the_data(con: duckdb.DuckDBPyConnection) -> None:
    result = overview_model.overview(con, Window())
    assert result.previous is None
    assert all(k.delta_text is None for k in result.kpis)
    assert "before the data does" in result.comparison_note


def test_classic_orders_are_invoices_minus_twice_the_cancellations(con: duckdb.DuckDBPyConnection) -> None:
    window = Window(date(2010, 6, 1), date(2010, 8, 31))
    classic = overview_model.overview(con, window, "classic").kpi("orders").value
    totals = analytics.totals(con, window)
    assert classic == totals.invoices - 2 * totals.canceled
    assert overview_model.overview(con, window, "standard").kpi("orders").value == totals.not_canceled


def test_whole_months_are_marked(con: duckdb.DuckDBPyConnection) -> None:
    result = overview_model.overview(con, Window(date(2011, 1, 15), date(2011, 3, 31)))
    assert result.monthly.select("month", "whole_month").rows() == [
        (date(2011, 1, 1), False),
        (date(2011, 2, 1), True),
        (date(2011, 3, 1), True),
    ]


def test_an_empty_window_is_empty_not_an_error(con: duckdb.DuckDBPyConnection) -> None:
    saturday = date(2011, 6, 4)  # the demo data, like the real data, has no Saturday invoices
    result = overview_model.overview(con, Window(saturday, saturday))
    assert result.is_empty
    assert result.kpi("sales").value_text == "£0"
    assert result.kpi("aov").value_text == "–"
    assert orders_model.orders(con, Window(saturday, saturday)).is_empty
    assert segments_model.segments(con, Window(saturday, saturday)).is_empty


@pytest.mark.parametrize(
    ("value", "pence", "text"),
    [
        (Decimal("1234567.891"), False, "£1,234,568"),
        (Decimal("456.789"), True, "£456.79"),
        (Decimal("-12.5"), True, "-£12.50"),
        (None, False, "–"),
        (0.5, True, "£0.50"),
    ],
)
def test_money_text(value: Decimal | float | None, pence: bool, text: str) -> None:
    assert app_text.money_text(value, pence=pence) == text


def test_large_money_shows_in_millions_with_the_exact_figure_in_help() -> None:
    kpi = overview_model.Kpi("sales", "Sales", Decimal("22504802.34"), Decimal("20000000"), True, "def")
    assert kpi.value_text == "£22.50M"
    assert "£22,504,802.34" in kpi.help_text and "£20,000,000.00" in kpi.help_text
    assert kpi.delta_text == "+12.5%"


def test_quick_ranges_are_cut_to_the_data() -> None:
    ranges = filters.quick_ranges(date(2009, 12, 1), date(2011, 12, 9))
    assert list(ranges) == ["All data", "Last 12 months", "2011", "2010", "2009"]
    assert ranges["2011"] == (date(2011, 1, 1), date(2011, 12, 9))
    assert ranges["2009"] == (date(2009, 12, 1), date(2009, 12, 31))
    assert ranges["Last 12 months"] == (date(2010, 12, 10), date(2011, 12, 9))


# --- Orders ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "window",
    [Window(), Window(date(2011, 1, 1), date(2011, 12, 9), ("United Kingdom",), True)],
    ids=["all", "uk-2011-products"],
)
def test_orders_reconcile(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    result = orders_model.orders(con, window)
    dist = result.distribution
    assert result.histogram(False)["invoices"].sum() == dist.positive.count
    assert result.histogram(True)["invoices"].sum() == dist.trimmed_85.count
    # The fast histogram is analytics.histogram, bin for bin.
    assert result.histogram(False).equals(dist.histogram(amounts.HISTOGRAM_BINS))
    assert result.histogram(True).equals(dist.histogram(amounts.HISTOGRAM_BINS, trimmed=True))
    totals = analytics.totals(con, result.window)
    assert (result.placed, result.canceled) == (totals.not_canceled, totals.canceled)
    assert result.cancellation_rate_pct == pytest.approx(100 * totals.canceled / totals.not_canceled)
    rates = result.monthly.filter(pl.col("placed") > 0)
    assert rates["cancellation_rate_pct"].to_list() == pytest.approx(
        (100 * rates["canceled"] / rates["placed"]).to_list()
    )


def test_box_stats_follow_tukey() -> None:
    series = pl.Series("amount", [1, 2, 3, 4, 5, 6, 7, 8, 100], dtype=pl.Float64)
    box = amounts.box_stats(series)
    assert box is not None
    assert (box.q1, box.median, box.q3) == (3.0, 5.0, 7.0)
    assert (box.low_whisker, box.high_whisker) == (1.0, 8.0)  # 100 > 7 + 1.5 × 4
    assert box.outliers == 1 and box.outlier_amounts == (100.0,)
    assert amounts.box_stats(pl.Series("amount", [], dtype=pl.Float64)) is None


def test_box_draws_a_bounded_number_of_outliers() -> None:
    values = [1.0] * 10 + [float(1000 + i) for i in range(5000)]
    box = amounts.box_stats(pl.Series("amount", [5.0] * 20_000 + values))
    assert box is not None
    assert box.outliers == 5010
    assert len(box.outlier_amounts) <= amounts.MAX_OUTLIER_DOTS + 1
    assert max(box.outlier_amounts) == 5999.0  # the largest is always drawn


def test_statistics_table_shows_the_notebook_statistics(con: duckdb.DuckDBPyConnection) -> None:
    result = orders_model.orders(con, Window())
    table = result.statistics()
    assert table["Statistic"].to_list() == ["Invoices", "Smallest", "Largest", "Median", "Mode", "Mean"]
    assert table.row(3)[1] == app_text.money_text(result.distribution.positive.median, pence=True)
    assert table.row(0)[2] == f"{result.distribution.trimmed_85.count:,}"


# --- Customer segments ----------------------------------------------------------------------------------


def test_segment_summary_reconciles_with_the_customers(con: duckdb.DuckDBPyConnection) -> None:
    result = segments_model.segments(con, Window())
    assert result.summary["customers"].sum() == result.customers.height
    assert result.grid["customers"].sum() == result.customers.height
    assert set(result.customers["segment"].unique().to_list()) <= set(result.segment_names)
    assert result.data_version == store.data_version(con)


@pytest.mark.parametrize("chosen", [["Champions"], ["At Risk", "Can't Lose"], []])
def test_customers_of_the_chosen_segments(con: duckdb.DuckDBPyConnection, chosen: list[str]) -> None:
    result = segments_model.segments(con, Window(date(2011, 1, 1), date(2011, 12, 9)))
    table = result.customers_of(chosen)
    expected = result.customers.filter(pl.col("segment").is_in(chosen))["customer_id"].sort().to_list()
    assert table["customer_id"].sort().to_list() == expected
    assert table.columns == list(segments_model.EXPORT_COLUMNS)


@pytest.mark.parametrize(("segment_map", "shows_fm"), [("classic10", False), ("rfm11", True)])
def test_the_page_shows_the_fm_score_only_where_the_map_reads_it(
    con: duckdb.DuckDBPyConnection, segment_map: str, shows_fm: bool
) -> None:
    result = segments_model.segments(con, Window(), rfm.RfmParams(segment_map=segment_map))
    chosen = result.default_segments()
    assert ("Frequency and spend score" in result.customer_table(chosen).columns) is shows_fm
    assert "Frequency and spend score" in segments_model.segment_csv(result, chosen).decode().splitlines()[
        0
    ].split(",")


def test_csv_export_holds_exactly_the_chosen_segments(con: duckdb.DuckDBPyConnection) -> None:
    result = segments_model.segments(con, Window(date(2011, 1, 1), date(2011, 12, 9)))
    chosen = ["Champions", "Loyal Customers"]
    data = segments_model.segment_csv(result, chosen)
    # The header row in words (a marketer's spreadsheet); the manifest maps the stable keys to it.
    manifest = json.loads(segments_model.segment_manifest(result, chosen))
    assert manifest["columns"] == list(segments_model.EXPORT_COLUMNS)
    labels = manifest["column_labels"]
    assert labels["recency_days"] == "Days since last order" and labels["monetary"] == "Spend (£)"
    keyed = [
        {key: row[labels[key]] for key in manifest["columns"]}
        for row in csv.DictReader(io.StringIO(data.decode("utf-8")))
    ]
    rows = keyed
    expected = result.customers.filter(pl.col("segment").is_in(chosen))
    assert sorted(int(r["customer_id"]) for r in rows) == sorted(expected["customer_id"].to_list())
    assert {r["segment"] for r in rows} == set(chosen)
    by_id = {r["customer_id"]: r for r in rows}
    one = expected.row(0, named=True)
    assert Decimal(by_id[str(one["customer_id"])]["monetary"]) == one["monetary"]
    assert manifest["rows"] == len(rows)
    assert manifest["filters"] == {"segment": chosen}
    assert manifest["window"]["start"] == "2011-01-01"
    assert manifest["data_version"] == result.data_version
    import hashlib

    assert manifest["content_sha256"] == hashlib.sha256(data).hexdigest()


def test_excel_export_holds_the_list_and_the_manifest(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    result = segments_model.segments(con, Window())
    chosen = ["Champions"]
    path = tmp_path / "champions.xlsx"
    path.write_bytes(segments_model.segment_xlsx(result, chosen))
    book = openpyxl.load_workbook(path, read_only=True)
    table = list(book["customers"].iter_rows(values_only=True))
    assert table[0][: len(segments_model.EXPORT_COLUMNS)] == tuple(
        app_text.term(c) for c in segments_model.EXPORT_COLUMNS
    )
    ids = sorted(int(row[0]) for row in table[1:])  # type: ignore[arg-type]
    assert ids == sorted(result.customers_of(chosen)["customer_id"].to_list())
    manifest = {row[0]: row[1] for row in book["manifest"].iter_rows(min_row=2, values_only=True)}
    assert json.loads(str(manifest["filters"])) == {"segment": chosen}
    assert manifest["rows"] == str(len(ids))


def test_bins_and_maps_change_the_segments(con: duckdb.DuckDBPyConnection) -> None:
    window = Window()
    five = segments_model.segments(con, window, rfm.RfmParams())
    four = segments_model.segments(
        con, window, rfm.RfmParams(bins=4, segment_map=segment_maps.segment_map_for("classic10", 4, 4))
    )
    eleven = segments_model.segments(con, window, rfm.RfmParams(segment_map="rfm11"))
    assert four.grid.height == 16 and five.grid.height == 25
    assert not four.summary.equals(five.summary)
    assert "Lost" in eleven.segment_names and "Lost" not in five.segment_names
    assert eleven.summary["customers"].sum() == five.summary["customers"].sum()


def test_scaled_maps_cover_every_cell() -> None:
    for name in ("classic10", "rfm11"):
        assert segment_maps.scaled_map(rfm.NAMED_MAPS[name], 5, 5) is rfm.NAMED_MAPS[name]
        for bins in (3, 4):
            scaled = segment_maps.segment_map_for(name, bins, bins)
            assert len(scaled.cells) == bins * bins
            assert scaled.axis == rfm.NAMED_MAPS[name].axis
            lookup = scaled.lookup()
            # corners keep their meaning: best cell = Champions, worst = the map's worst segment
            assert lookup[f"{bins}{bins}"] == "Champions"
            assert lookup["11"] == rfm.NAMED_MAPS[name].lookup()["11"]


def test_grid_table_round_trips_and_edits_make_a_custom_map() -> None:
    table = segment_maps.grid_table(rfm.CLASSIC10)
    assert table.columns == ["R", "F=1", "F=2", "F=3", "F=4", "F=5"]
    assert table["R"].to_list() == ["R=5", "R=4", "R=3", "R=2", "R=1"]
    grid = segment_maps.grid_from_table(table.to_dicts())
    assert grid == rfm.CLASSIC10.lookup()
    grid["55"] = "VIP"
    custom = segment_maps.segment_map_for("custom", 5, 5, grid)
    assert custom.lookup()["55"] == "VIP" and "VIP" in custom.segments
    with pytest.raises(LgsError, match="no segment name"):
        segment_maps.segment_map_for("custom", 5, 5, {**grid, "11": " "})


@pytest.mark.parametrize("scores", [3, 4, 5])
def test_fixed_cut_points_score_every_customer(con: duckdb.DuckDBPyConnection, scores: int) -> None:
    params = rfm.RfmParams(
        scoring="fixed",
        cuts=segment_maps.default_fixed_cuts(scores),
        segment_map=segment_maps.segment_map_for("classic10", scores, scores),
    )
    result = segments_model.segments(con, Window(), params)
    assert result.summary["customers"].sum() == result.customers.height > 0
    assert set(result.customers["r"].unique().to_list()) <= set(range(1, scores + 1))


def test_a_customer_is_explained_and_their_invoices_listed(con: duckdb.DuckDBPyConnection) -> None:
    window = Window(date(2011, 1, 1), date(2011, 12, 9))
    result = segments_model.segments(con, window)
    customer = int(result.customers_of(["Champions"])["customer_id"][0])
    lines = result.explain(customer)
    assert lines[-1].endswith("→ Champions")
    assert any(line.startswith("R=") for line in lines)
    invoices = segments_model.customer_invoices(con, window, customer)
    total = con.execute(
        "select sum(line_amount), count(distinct invoice) from lines where customer_id = $c "
        "and invoice_date >= '2011-01-01' and invoice_date < '2011-12-10'",
        {"c": customer},
    ).fetchall()[0]
    assert (sum(invoices["amount"].to_list(), Decimal(0)), invoices.height) == total
    assert invoices["invoice_date"].is_sorted()
    assert set(invoices["kind"].unique().to_list()) <= {"order", "cancellation", "adjustment"}


def test_default_segments_prefer_champions(con: duckdb.DuckDBPyConnection) -> None:
    result = segments_model.segments(con, Window())
    assert result.default_segments() == ["Champions"]
    labels = result.customer_labels(["Champions"])
    assert len(labels) == result.customers_of(["Champions"]).height
    assert all(" · Champions · £" in text for text in labels.values())


# --- Data ----------------------------------------------------------------------------------------------


def test_data_status_lists_the_quarantine_with_reasons(tmp_path: Path, sample_csv: Path) -> None:
    text = sample_csv.read_text(encoding="utf-8")
    header, first, *rest = text.splitlines()
    bad = first.split(",")
    broken = "\n".join([header, first, ",".join(["", *bad[1:]]), *rest[:50]]) + "\n"
    source = tmp_path / "with_bad_line.csv"
    source.write_text(broken, encoding="utf-8")
    db = tmp_path / "store.duckdb"
    load_file(source, db)
    con = store.connect(db)
    try:
        status = data_model.data_status(con, str(db))
        data = data_model.quarantine_csv(con)
    finally:
        con.close()
    assert status.info.quarantined == 1
    assert status.reasons["lines"].sum() == 1
    assert status.quarantine_sample.height == 1
    assert "with_bad_line.csv" in status.source_text
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert len(rows) == 1 and rows[0]["reason"] == status.reasons["reason"][0]


def test_postgres_settings_from_secrets() -> None:
    dsn, table = postgres.section_settings(
        {"host": "db", "port": 5433, "dbname": "lgs", "user": "u", "password": "p w", "table": "retail_v2"}
    )
    assert table == "retail_v2"
    assert "host=db" in dsn and "port=5433" in dsn and "dbname=lgs" in dsn
    assert postgres.section_settings({"host": "db"})[1] == "retail"
    with pytest.raises(LgsError, match="unknown key 'hostname'"):
        postgres.section_settings({"hostname": "db"})


def test_page_models_and_charts_never_import_streamlit() -> None:
    code = (
        "import sys, lgs_core.app.overview, lgs_core.app.orders, lgs_core.app.segments, lgs_core.app.data, "
        "lgs_core.app.deeper_segments, lgs_core.present.text, lgs_core.present.charts, "
        "lgs_core.present.segment_charts; "
        "print('streamlit' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- tables and files for people (issue #15) ---------------------------------------------------------------


def test_a_uk_and_a_france_list_of_the_same_dates_have_different_names(
    con: duckdb.DuckDBPyConnection,
) -> None:
    names = {
        countries: segments_model.segments(
            con, Window(date(2011, 1, 1), date(2011, 12, 9), countries)
        ).file_stem(["Champions"])
        for countries in (("United Kingdom",), ("France",), ())
    }
    assert names[("France",)] == "lgs-champions-france-2011-01-01-to-2011-12-09"
    assert names[("United Kingdom",)] == "lgs-champions-united-kingdom-2011-01-01-to-2011-12-09"
    assert names[()] == "lgs-champions-all-countries-2011-01-01-to-2011-12-09"
    window = Window(date(2011, 1, 1), date(2011, 12, 9), ("France",), True)
    rule = rfm.CustomerRule(within_days=30, min_orders=10)
    assert export.file_stem(export.rule_slug(rule), window) == (
        "lgs-last-30-days-10-orders-france-products-only-2011-01-01-to-2011-12-09"
    )


def test_a_rule_list_exports_exactly_its_customers(con: duckdb.DuckDBPyConnection) -> None:
    result = segments_model.segments(con, Window())
    rule = rfm.CustomerRule(within_days=30, min_orders=10)
    expected = result.customers.filter((pl.col("recency_days") <= 30) & (pl.col("frequency") >= 10))
    assert expected.height > 0
    listed = result.listed(rule)
    assert sorted(listed["customer_id"].to_list()) == sorted(expected["customer_id"].to_list())
    assert listed["monetary"].is_sorted(descending=True)
    manifest = json.loads(segments_model.segment_manifest(result, rule))
    assert manifest["filters"] == {"rule": {**rule.to_json()}} and manifest["rows"] == expected.height
    assert manifest["what"].startswith("customers: last order within 30 days (on or after ")
    rows = list(csv.DictReader(io.StringIO(segments_model.segment_csv(result, rule).decode("utf-8"))))
    assert sorted(int(r["Customer"]) for r in rows) == sorted(expected["customer_id"].to_list())


def test_scores_are_described_in_words(con: duckdb.DuckDBPyConnection) -> None:
    thresholds = segment_maps.default_thresholds(5)
    result = segments_model.segments(con, Window(), rfm.RfmParams(scoring="fixed", cuts=thresholds))
    ranges = result.score_ranges()
    assert ranges["recency"][0] == (5, "0–30 days") and ranges["recency"][-1] == (1, "366 or more days")
    assert ranges["frequency"][0] == (5, "10 or more orders") and ranges["frequency"][-1] == (1, "1 order")
    assert ranges["monetary"][0] == (5, "£5,000.00 or more")
    champion = result.customers_of(["Champions"]).row(0, named=True)
    lines = result.explain_plain(champion["customer_id"])
    assert lines[1] == f"{champion['frequency']:,} orders: frequency score {champion['f']} " + (
        f"({dict(ranges['frequency'])[champion['f']]})."
    )
    assert lines[-1].endswith(f"→ Champions ({result.segment_map_name}).")


def test_customer_labels_start_with_the_id(con: duckdb.DuckDBPyConnection) -> None:
    result = segments_model.segments(con, Window())
    labels = result.customer_labels(["Champions"])
    assert all(text.startswith(f"{cid} · ") for cid, text in labels.items())
    other = result.customers.filter(pl.col("segment") != "Champions")["customer_id"][0]
    assert str(result.customer_label(other)).startswith(f"{other} · ")
    assert result.customer_label(99_999_999) is None


def test_affinity_pairs_are_listed_once() -> None:
    rules = pl.DataFrame(
        {
            "antecedent": ["A", "B", "A", "C"],
            "antecedent_description": ["Apple", "Bowl", "Apple", None],
            "consequent": ["B", "A", "C", "A"],
            "consequent_description": ["Bowl", "Apple", None, "Apple"],
            "invoices_both": [10, 10, 4, 4],
            "antecedent_invoices": [20, 40, 20, 8],
            "consequent_invoices": [40, 20, 8, 20],
            "segment_invoices": [100] * 4,
            "support": [0.1, 0.1, 0.04, 0.04],
            "confidence": [0.5, 0.25, 0.2, 0.5],
            "lift": [1.25, 1.25, 2.5, 2.5],
        }
    )
    once = deeper_model.pairs_once(rules)
    assert once["product_a"].to_list() == ["A · Apple", "A · Apple"]
    assert once["product_b"].to_list() == ["B · Bowl", "C · –"]
    assert once["a_with_b"].to_list() == [0.5, 0.2] and once["b_with_a"].to_list() == [0.25, 0.5]
    assert not {"antecedent", "consequent"} & set(app_text.words(once, app_text.DEEPER_TERMS).columns)


def test_a_load_says_what_it_replaced(tmp_path: Path, sample_csv: Path) -> None:
    from lgs_core.sources.demo import load_demo
    from lgs_core.sources.ingest import load_file

    db = tmp_path / "store.duckdb"
    load_demo(db, rows=20_000, seed=1)
    con = store.connect(db)
    before = store.store_info(con)
    con.close()
    assert data_model.is_demo_data(before)
    result = load_file(sample_csv, db)
    message = data_model.load_message(before, result)
    assert message == (
        f"{sample_csv.name}: {result.rows_loaded:,} lines loaded, {result.rows_quarantined:,} quarantined; "
        "replaced the 20,000 lines of demo data."
    )
    con = store.connect(db)
    after = store.store_info(con)
    con.close()
    assert not data_model.is_demo_data(after)  # the first-run banner goes
    from lgs_core.errors import AlreadyLoadedError

    with pytest.raises(AlreadyLoadedError):  # the Data page restates it in terms of its checkbox
        load_file(sample_csv, db, append=True)
    again = load_file(sample_csv, db)
    assert data_model.load_message(after, again).endswith(
        f"replaced the {after.lines:,} lines of {sample_csv.name}."
    )


def test_the_data_status_counts_the_customers_in_the_quarantine(tmp_path: Path) -> None:
    """The quarantine's download is personal data: the Data page logs it with how many customers it names."""
    source = tmp_path / "bad.csv"
    source.write_text(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
        "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
        "536366,85123A,HEART,many,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
        "536367,85123A,HEART,6,not a date,2.55,17850,United Kingdom\n"
        "536368,85123A,HEART,6,2010-12-01 08:26:00,two,13047,United Kingdom\n"
        "536369,85123A,HEART,x,2010-12-01 08:26:00,2.55,,United Kingdom\n"
    )
    db = tmp_path / "store.duckdb"
    result = load_file(source, db)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 4)
    con = store.connect(db, read_only=True)
    try:
        status = data_model.data_status(con, str(db))
    finally:
        con.close()
    assert status.quarantine_customers == 2  # 17850 twice, 13047 once, one line with none


def test_a_change_that_rounds_to_nothing_is_flat_neither_good_nor_bad_news() -> None:
    """A card whose change rounds to 0.0% shows "0%" with no arrow and no colour (not a green ↑ +0.0%)."""
    same = overview_model.Kpi("orders", "Orders", 20_001, 20_000, False, "def")  # +0.005%
    assert same.flat and same.delta_text == "0%"  # one formatter (issue #17): as the report's cards
    down = overview_model.Kpi("orders", "Orders", 19_000, 20_000, False, "def")
    assert not down.flat and down.delta_text == "-5.0%"
    assert not overview_model.Kpi("orders", "Orders", 5, None, False, "def").flat
