"""The invoice summary (issue #3): every analysis reads `invoice_summary` instead of the lines, and must give
exactly what the lines give. Proved three ways, on the real sample and on demo data, over several windows:

1. each query in sql/analytics/ equals, row for row, the line-level query it replaced (tests/lines_sql/);
2. the vectorised statistics and scores equal the exact Fraction rule they replaced (AmountStats.of,
   linear_quantile, DimensionCuts.score), customer by customer;
3. the summary is current after every kind of load, and a store whose summary is not current (written
   before summaries existed, or by a writer that did not refresh) still gives the lines' results.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from fixtures.helpers import Line, assert_summaries_equal_a_rebuild, make_store
from polars.testing import assert_frame_equal

from lgs_core.analyses import analytics, rfm
from lgs_core.query.run import run
from lgs_core.query.window import Window, bind, query
from lgs_core.sources.demo import load_demo
from lgs_core.sources.ingest import load_file
from lgs_core.store import store

LINES_SQL = Path(__file__).resolve().parents[1] / "lines_sql"

# (query file, extra parameters, the key that orders its rows)
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("totals", {}, "lines"),
    ("invoice_amounts", {}, "invoice"),
    ("periods", {"period": "month", "step": "1 month", "classic": True}, "period_start"),
    ("periods", {"period": "month", "step": "1 month", "classic": False}, "period_start"),
    ("periods", {"period": "week", "step": "7 days", "classic": False}, "period_start"),
    ("rfm_base", {"classic": True, "reference": datetime(2012, 1, 1)}, "customer_id"),
    ("rfm_base", {"classic": False, "reference": None}, "customer_id"),
]
CASE_IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]

SAMPLE_WINDOWS = [
    Window(),
    Window(date(2010, 3, 15), date(2011, 2, 10)),
    Window(countries=("France", "Spain"), products_only=True),
    Window(date(2011, 1, 1), date(2011, 12, 31), ("Belgium",)),
    Window(products_only=True),
    Window(date(2011, 1, 20), date(2011, 1, 20)),  # the day of invoice 541631, whose lines span two minutes
    Window(date(2015, 1, 1)),  # empty
]
DEMO_WINDOWS = [
    Window(),
    Window(date(2010, 6, 3), date(2011, 3, 17)),
    Window(countries=("Germany", "EIRE"), products_only=True),
    Window(date(2011, 9, 1), None, ("United Kingdom",)),
    Window(products_only=True),
]


def _line_level(con: duckdb.DuckDBPyConnection, name: str, window: Window, **extra: Any) -> pl.DataFrame:
    sql, params = bind(
        (LINES_SQL / f"{name}.sql").read_text(encoding="utf-8"), {**window.params(), **extra}, name=name
    )
    return con.sql(sql, params=params).pl()


def _summary_level(con: duckdb.DuckDBPyConnection, name: str, window: Window, **extra: Any) -> pl.DataFrame:
    assert store.summaries_are_current(con), "the test store's summary is current"
    sql, params = query(name, window, **extra)
    return con.sql(sql, params=params).pl()


@pytest.fixture(scope="module")
def _built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"folder": tmp_path_factory.mktemp("summaries")}


@pytest.fixture
def sample(sample_csv: Path, _built: dict[str, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The real sample, loaded once per module through the real ingest (the summary refreshed by it)."""
    if "sample" not in _built:
        _built["sample"] = _built["folder"] / "sample.duckdb"
        load_file(sample_csv, db=_built["sample"])
    con = store.connect(_built["sample"], read_only=True)
    yield con
    con.close()


@pytest.fixture
def demo(_built: dict[str, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    """60,000 demo lines, generated once per module (the summary refreshed by the generation)."""
    if "demo" not in _built:
        _built["demo"] = _built["folder"] / "demo.duckdb"
        load_demo(_built["demo"], rows=60_000, seed=11)
    con = store.connect(_built["demo"], read_only=True)
    yield con
    con.close()


def _assert_same_rows(ours: pl.DataFrame, theirs: pl.DataFrame, key: str) -> None:
    assert ours.columns == theirs.columns
    assert ours.height == theirs.height
    assert_frame_equal(ours.sort(key), theirs.sort(key), check_exact=True)


# --- 1. the queries equal the line-level queries ------------------------------------------------------------


@pytest.mark.parametrize("window", SAMPLE_WINDOWS, ids=lambda w: w.label)
@pytest.mark.parametrize(("name", "extra", "key"), CASES, ids=CASE_IDS)
def test_sample_queries_equal_the_line_level_queries(
    sample: duckdb.DuckDBPyConnection, window: Window, name: str, extra: dict[str, Any], key: str
) -> None:
    ours = _summary_level(sample, name, window, **extra)
    theirs = _line_level(sample, name, window, **extra)
    _assert_same_rows(ours, theirs, key)


@pytest.mark.parametrize("window", DEMO_WINDOWS, ids=lambda w: w.label)
@pytest.mark.parametrize(("name", "extra", "key"), CASES, ids=CASE_IDS)
def test_demo_queries_equal_the_line_level_queries(
    demo: duckdb.DuckDBPyConnection, window: Window, name: str, extra: dict[str, Any], key: str
) -> None:
    ours = _summary_level(demo, name, window, **extra)
    theirs = _line_level(demo, name, window, **extra)
    assert theirs.height > 0
    _assert_same_rows(ours, theirs, key)


def test_the_summary_is_much_smaller_than_the_lines(demo: duckdb.DuckDBPyConnection) -> None:
    lines = store.scalar(demo, "select count(*) from lines")
    rows = store.scalar(demo, "select count(*) from invoice_summary")
    invoices = store.scalar(demo, "select count(distinct invoice) from lines")
    assert isinstance(lines, int) and isinstance(rows, int) and isinstance(invoices, int)
    assert invoices <= rows < 2 * invoices and rows * 10 < lines


# Lines that cross every edge of the summary's grain: an invoice over midnight at a month's end, one with
# product and postage lines, one with two customers, an invoice in two countries, zero and negative lines.
EDGE_LINES: list[Line] = [
    ("500001", "22111", 2, "2011-01-31 23:59", "2.50", 1, "France"),
    ("500001", "POST", 1, "2011-02-01 00:00", "15.00", 1, "France"),
    ("500001", "22112", 3, "2011-02-01 00:00", "1.25", 1, "France"),
    ("500002", "22113", 1, "2011-02-03 10:00", "0.00", 2, "Spain"),
    ("500002", "22114", -1, "2011-02-03 10:00", "4.00", 2, "Spain"),
    ("500002", "22115", 5, "2011-02-03 10:00", "1.001", None, "Spain"),
    ("500003", "M", 1, "2011-02-04 11:00", "9.99", 3, "Spain"),
    ("500003", "22111", 1, "2011-02-04 11:00", "2.50", 3, "Portugal"),
    ("C500004", "22111", -2, "2011-02-05 12:00", "2.50", 1, "France"),
    ("A500005", "B", 1, "2011-02-06 12:00", "-50.00", None, "United Kingdom"),
    ("500006", "22116", 4, "2011-03-01 09:00", "3.00", 2, "Spain"),
]
EDGE_WINDOWS = [
    Window(),
    Window(date(2011, 2, 1), None),
    Window(None, date(2011, 1, 31)),
    Window(countries=("Spain",)),
    Window(countries=("Portugal", "France"), products_only=True),
    Window(date(2011, 2, 1), date(2011, 2, 28), products_only=True),
]


@pytest.mark.parametrize("window", EDGE_WINDOWS, ids=lambda w: w.label)
@pytest.mark.parametrize(("name", "extra", "key"), CASES, ids=CASE_IDS)
def test_edges_of_the_grain(
    tmp_path: Path, window: Window, name: str, extra: dict[str, Any], key: str
) -> None:
    con = make_store(tmp_path / "edges.duckdb", EDGE_LINES)
    try:
        store.refresh_summaries(con)
        _assert_same_rows(
            _summary_level(con, name, window, **extra), _line_level(con, name, window, **extra), key
        )
    finally:
        con.close()


# --- 2. the vectorised statistics and scores equal the exact rule -----------------------------------------------


def _check_invoice_statistics(con: duckdb.DuckDBPyConnection, window: Window, preset: str) -> None:
    dist = analytics.invoice_distribution(con, window, preset)
    values = dist.amounts["amount"].to_list()
    assert values == sorted(values)
    assert dist.positive == analytics.AmountStats.of(values)
    if not values:
        assert dist.p85 is None and dist.trimmed_85.count == 0
        return
    exact_p85 = analytics.linear_quantile([Fraction(v) for v in values], analytics.TRIM_QUANTILE)
    assert dist.p85 == analytics.to_decimal(exact_p85)
    trimmed = [v for v in values if Fraction(v) <= exact_p85]
    assert dist.trimmed_85 == analytics.AmountStats.of(trimmed)
    assert dist.trimmed_amounts()["amount"].to_list() == trimmed
    for bins in (1, 7, 30):
        assert_frame_equal(dist.histogram(bins), analytics.histogram(values, bins))
        assert_frame_equal(dist.histogram(bins, trimmed=True), analytics.histogram(trimmed, bins))


@pytest.mark.parametrize("window", SAMPLE_WINDOWS, ids=lambda w: w.label)
@pytest.mark.parametrize("preset", analytics.PRESETS)
def test_sample_invoice_statistics_are_exact(
    sample: duckdb.DuckDBPyConnection, window: Window, preset: str
) -> None:
    _check_invoice_statistics(sample, window, preset)


@pytest.mark.parametrize("window", DEMO_WINDOWS, ids=lambda w: w.label)
def test_demo_invoice_statistics_are_exact(demo: duckdb.DuckDBPyConnection, window: Window) -> None:
    _check_invoice_statistics(demo, window, "standard")


RFM_PARAMS = [
    rfm.RfmParams(preset="classic"),
    rfm.RfmParams(),
    rfm.RfmParams(segment_map="rfm11"),
    rfm.RfmParams(preset="classic", segment_map="rfm11"),
    rfm.RfmParams(scoring="fixed", cuts=rfm.FixedCuts.parse(rfm.EXAMPLE_FIXED_CUTS)),
    rfm.RfmParams(  # cut points between the integers the scores compare
        scoring="fixed",
        cuts=rfm.FixedCuts.parse("r=30.5,90,180,364.999;f=1.5,2,5,10;m=100.0004,500.9995,1000,4999.9999"),
    ),
    rfm.RfmParams(bins=3, segment_map={f"{r}{f}": f"cell {r}{f}" for r in range(1, 4) for f in range(1, 4)}),
    rfm.RfmParams(bins=4, segment_map={f"{r}{f}": "all" for r in range(1, 5) for f in range(1, 5)}),
]
RFM_IDS = [f"{p.preset}-{p.scoring}-{p.bins}-{p.segments.name}-{i}" for i, p in enumerate(RFM_PARAMS)]


def _check_rfm_scores(con: duckdb.DuckDBPyConnection, window: Window, params: rfm.RfmParams) -> None:
    result = rfm.rfm(con, window, params)
    customers = result.customers
    cp = result.cut_points
    if params.scoring == "quantile":
        classic = params.preset == "classic"
        ranks = [Fraction(result.frequency_rank[c]) for c in customers["customer_id"].to_list()]
        assert cp.recency.cuts == rfm.quantile_cuts(
            [Fraction(v) for v in customers["recency_days"]], params.bins
        )
        assert cp.frequency.cuts == rfm.quantile_cuts(
            ranks if classic else [Fraction(v) for v in customers["frequency"]], params.bins
        )
        assert cp.monetary.cuts == rfm.quantile_cuts(
            [Fraction(v) for v in customers["monetary"].to_list()], params.bins
        )
    # rank(method="first"): by frequency, ties by customer id
    order = sorted(customers.select("frequency", "customer_id").rows())
    assert {c: i for i, (_, c) in enumerate(order, start=1)} == result.frequency_rank
    assert cp.fm.cuts == rfm.quantile_cuts(
        [Fraction(f + m, 2) for f, m in customers.select("f", "m").iter_rows()], params.bins_of("frequency")
    )
    lookup = params.segments.lookup()
    for row in customers.iter_rows(named=True):
        f_value = result.frequency_rank[row["customer_id"]] if cp.frequency.on == "rank" else row["frequency"]
        expected = (
            cp.recency.score(row["recency_days"]),
            cp.frequency.score(f_value),
            cp.monetary.score(row["monetary"]),
            cp.fm.score(Fraction(row["f"] + row["m"], 2)),
        )
        assert (row["r"], row["f"], row["m"], row["fm"]) == expected, row
        x = row["fm"] if params.segments.axis == "fm" else row["f"]
        assert row["segment"] == lookup[f"{row['r']}{x}"]
        assert row["rfm"] == f"{row['r']}{row['f']}{row['m']}"


@pytest.mark.parametrize("window", SAMPLE_WINDOWS[:4], ids=lambda w: w.label)
@pytest.mark.parametrize("params", RFM_PARAMS, ids=RFM_IDS)
def test_sample_rfm_scores_follow_the_exact_rule(
    sample: duckdb.DuckDBPyConnection, window: Window, params: rfm.RfmParams
) -> None:
    _check_rfm_scores(sample, window, params)


@pytest.mark.parametrize("window", DEMO_WINDOWS[:3], ids=lambda w: w.label)
@pytest.mark.parametrize("params", RFM_PARAMS[:5], ids=RFM_IDS[:5])
def test_demo_rfm_scores_follow_the_exact_rule(
    demo: duckdb.DuckDBPyConnection, window: Window, params: rfm.RfmParams
) -> None:
    _check_rfm_scores(demo, window, params)


# --- 3. when the summary is current, and when it is not ----------------------------------------------------------


def _meta(con: duckdb.DuckDBPyConnection) -> object:
    return store.scalar(con, "select value from store_meta where key = $k", {"k": store.SUMMARY_KEY})


def test_every_load_leaves_the_summary_current(sample_csv: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    load_file(sample_csv, db=db)
    with store.connect(db, read_only=True) as con:
        assert store.summaries_are_current(con) and _meta(con) == "34766"
    load_demo(db, rows=5_000, seed=1)
    with store.connect(db, read_only=True) as con:
        assert store.summaries_are_current(con) and _meta(con) == "5000"
    load_file(sample_csv, db=db, append=True)
    with store.connect(db, read_only=True) as con:
        assert store.summaries_are_current(con) and _meta(con) == str(5000 + 34766)
        assert analytics.totals(con, Window()).lines == 5000 + 34766


def test_writes_without_a_refresh_mark_the_summary_stale(tmp_path: Path) -> None:
    con = make_store(tmp_path / "s.duckdb", EDGE_LINES)
    assert not store.summaries_are_current(con)  # written by insert_staged_lines, never refreshed
    store.refresh_summaries(con)
    assert store.summaries_are_current(con)
    with store.transaction(con):
        store.clear_data(con)
        assert not store.summaries_are_current(con)
    assert analytics.totals(con, Window()).is_empty  # read from the (empty) lines, not the old summary
    store.refresh_summaries(con)
    assert store.summaries_are_current(con) and _meta(con) == "0"
    con.close()


def test_a_stale_summary_is_never_read(tmp_path: Path) -> None:
    con = make_store(tmp_path / "s.duckdb", EDGE_LINES)
    store.refresh_summaries(con)
    current = analytics.monthly(con, Window())
    # A writer that bypasses the store adds lines: the count no longer matches, so the lines are read.
    con.execute("insert into lines select * from lines where invoice = '500006'")
    assert not store.summaries_are_current(con)
    doubled = analytics.monthly(con, Window())
    assert doubled["sales"].to_list()[-1] == 2 * current["sales"].to_list()[-1]
    temp_views = (
        "select count(*) from duckdb_views() "
        "where view_name in ('invoice_summary', 'customer_first') and temporary"
    )
    assert store.scalar(con, temp_views) == 2
    # Refreshed, the table is read again (the temporary view is gone).
    store.refresh_summaries(con)
    assert_frame_equal(analytics.monthly(con, Window()), doubled)
    assert store.scalar(con, temp_views) == 0
    con.close()


def test_a_store_without_a_summary_is_read_from_its_lines_read_only(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    make_store(db, EDGE_LINES).close()  # as a store written before summaries existed: no table at all
    with store.connect(db, read_only=True) as con:
        assert not store.summaries_are_current(con)
        for name, extra, key in CASES:
            sql, params = query(name, Window(), **extra)
            run(con, "analytics/totals", Window().params())  # puts the temporary view in place
            _assert_same_rows(
                con.sql(sql, params=params).pl(), _line_level(con, name, Window(), **extra), key
            )
        assert analytics.totals(con, Window()).lines == len(EDGE_LINES)


# --- customer_first: who is new, whatever the window ------------------------------------------------------------


def _first_lines_from_lines(con: duckdb.DuckDBPyConnection) -> list[tuple[int, datetime]]:
    return con.sql(
        "select customer_id, min(invoice_date) from lines where customer_id is not null group by 1 order by 1"
    ).fetchall()


def test_customer_first_holds_each_customers_first_line(sample_csv: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    load_file(sample_csv, db=db)
    load_demo(tmp_path / "d.duckdb", rows=20_000, seed=3)
    for path in (db, tmp_path / "d.duckdb"):
        with store.connect(path, read_only=True) as con:
            table = con.sql("select customer_id, first_line_at from customer_first order by 1").fetchall()
            assert table == _first_lines_from_lines(con)
            assert len(table) == store.scalar(con, "select count(distinct customer_id) from lines") > 100


def test_an_earlier_line_makes_a_customer_new_earlier(tmp_path: Path) -> None:
    con = make_store(tmp_path / "s.duckdb", EDGE_LINES)
    store.refresh_summaries(con)
    before = analytics.monthly(con, Window(date(2011, 2, 1), None))
    # Customer 2's first line moves from February to January, in another country: February loses a new customer.
    with store.transaction(con):
        con.execute(
            "insert into lines select * replace (timestamp '2011-01-10 10:00' as invoice_date, "
            "'Italy' as country, '500099' as invoice) from lines where invoice = '500006'"
        )
        store.refresh_summaries(con)
    after = analytics.monthly(con, Window(date(2011, 2, 1), None))
    assert before.filter(pl.col("month") == date(2011, 2, 1))["new_customers"].item() == 2
    assert after.filter(pl.col("month") == date(2011, 2, 1))["new_customers"].item() == 1
    assert after["active_customers"].to_list() == before["active_customers"].to_list()
    con.close()


def test_a_store_from_before_customer_first_is_read_exactly(tmp_path: Path) -> None:
    """A store written by the version before `customer_first`: an invoice summary marked current under the old
    key, no customer_first table. It is read from its lines (exact) until the next load refreshes it."""
    db = tmp_path / "old.duckdb"
    con = make_store(db, EDGE_LINES)
    store.refresh_summaries(con)
    expected = analytics.monthly(con, Window())
    con.execute("drop table customer_first")
    con.execute("delete from store_meta")
    con.execute("insert into store_meta select 'invoice_summary_lines', cast(count(*) as varchar) from lines")
    con.close()
    with store.connect(db, read_only=True) as old:
        assert not store.summaries_are_current(old)
        assert_frame_equal(analytics.monthly(old, Window()), expected)


def test_an_append_refreshes_only_what_it_touched_and_equals_a_rebuild(
    sample_csv: Path, tmp_path: Path
) -> None:
    """An append recomputes only the invoices and customers of its lines (their other lines included): a line
    joining an invoice already in the store, a customer whose first line moves earlier, a new customer."""
    db = tmp_path / "s.duckdb"
    load_file(sample_csv, db=db)
    with store.connect(db, read_only=True) as con:
        invoice, at, customer, country = con.sql(
            "select invoice, invoice_date, customer_id, country from lines "
            "where customer_id is not null and not is_cancellation order by invoice_date desc limit 1"
        ).fetchall()[0]
        old_customer = con.sql(
            "select customer_id from customer_first order by first_line_at desc limit 1"
        ).fetchall()
        before = con.sql(
            "select amount from invoice_summary where invoice = $i and is_product", params={"i": invoice}
        ).fetchall()
    extra = tmp_path / "extra.csv"
    pl.DataFrame(
        {
            "Invoice": [invoice, "999001", "999002"],
            "StockCode": ["22111", "22112", "22113"],
            "Description": ["JOINS AN INVOICE", "EARLIER FIRST LINE", "NEW CUSTOMER"],
            "Quantity": [2, 1, 3],
            "InvoiceDate": [f"{at:%Y-%m-%d %H:%M:%S}", "2009-01-05 10:00:00", "2009-01-06 11:00:00"],
            "Price": ["1.50", "2.00", "0.50"],
            "Customer ID": [float(customer), float(old_customer[0][0]), 99999.0],
            "Country": [country, "France", "Spain"],
        }
    ).write_csv(extra)
    load_file(extra, db=db, append=True)
    with store.connect(db, read_only=True) as con:
        assert_summaries_equal_a_rebuild(con)
        after = con.sql(
            "select amount from invoice_summary where invoice = $i and is_product", params={"i": invoice}
        ).fetchall()
        assert after[0][0] == before[0][0] + Decimal("3.00")
        first = con.sql(
            "select first_line_at from customer_first where customer_id in ($a, 99999) order by customer_id",
            params={"a": old_customer[0][0]},
        ).fetchall()
        assert first == [(datetime(2009, 1, 5, 10, 0),), (datetime(2009, 1, 6, 11, 0),)]
