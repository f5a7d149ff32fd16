"""The window, the query builders and the analyses (invoices, monthly, weekly): builders with parametrized
tables and no database; analyses against real DuckDB stores in tmp_path, with data contracts on each query.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from fixtures.helpers import Line, make_store

from lgs_core import glossary
from lgs_core.analyses import analytics
from lgs_core.errors import LgsError
from lgs_core.query.window import EARLIEST, LATEST, Window, bind, query, sql_parameters
from lgs_core.sqlfiles import SQL_DIR, read_sql

pytest_plugins = [
    "fixtures.pg_fixtures"
]  # pg_server: one PostgreSQL per session (tests/fixtures/pg_fixtures.py)

ANALYTICS_SQL = sorted((SQL_DIR / "analytics").glob("*.sql"))
WINDOW_FILTER = """\
    where invoice_date >= $start
        and invoice_date < $end_excl
        and ($all_countries or country = any(cast($countries as varchar[])))
        and (not $products_only or is_product)"""

# --- a tiny store built line by line -------------------------------------------------------------------------


# --- Window.params: parametrized tables, no database -----------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "bounds", "expected"),
    [
        (
            Window(date(2010, 1, 1), date(2010, 1, 31)),
            None,
            {"start": datetime(2010, 1, 1), "end_excl": datetime(2010, 2, 1)},
        ),
        (Window(), None, {"start": EARLIEST, "end_excl": LATEST}),
        (
            Window(),
            (datetime(2009, 12, 1, 9, 28), datetime(2011, 12, 9, 12, 50)),
            {"start": datetime(2009, 12, 1), "end_excl": datetime(2011, 12, 10)},
        ),
        (
            Window(None, date(2010, 12, 31)),
            (date(2009, 12, 1), date(2011, 12, 9)),
            {"start": datetime(2009, 12, 1), "end_excl": datetime(2011, 1, 1)},
        ),
        (
            Window(date(2011, 2, 28), date(2011, 2, 28)),
            None,
            {"start": datetime(2011, 2, 28), "end_excl": datetime(2011, 3, 1)},
        ),
        (Window(date(2012, 2, 29), None), (None, None), {"start": datetime(2012, 2, 29), "end_excl": LATEST}),
    ],
)
def test_window_dates(window: Window, bounds: Any, expected: dict[str, datetime]) -> None:
    params = window.params(bounds)
    assert {k: params[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("countries", "products_only", "expected"),
    [
        ((), False, {"countries": [], "all_countries": True, "products_only": False}),
        (
            ("Spain", "France", "Spain"),
            True,
            {"countries": ["France", "Spain"], "all_countries": False, "products_only": True},
        ),
        (("France",), False, {"countries": ["France"], "all_countries": False, "products_only": False}),
    ],
)
def test_window_filters(countries: tuple[str, ...], products_only: bool, expected: dict[str, Any]) -> None:
    params = Window(countries=countries, products_only=products_only).params()
    assert {k: params[k] for k in expected} == expected


def test_window_is_normalised_and_checked() -> None:
    assert Window(countries=("b", "a")) == Window(countries=("a", "b", "a"))
    assert Window(datetime(2011, 1, 1, 13, 0)).start == date(2011, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(LgsError, match="ends .* before it starts"):
        Window(date(2011, 2, 1), date(2011, 1, 1))
    with pytest.raises(TypeError):
        Window(countries="France")  # type: ignore[arg-type]
    resolved = Window(None, date(2010, 6, 30)).resolved((datetime(2009, 12, 1, 9, 0), datetime(2011, 12, 9)))
    assert (resolved.start, resolved.end) == (date(2009, 12, 1), date(2010, 6, 30))


# --- query builders: parametrized tables, no database ----------------------------------------------------------

WINDOW_PARAMS = {"start", "end_excl", "countries", "all_countries", "products_only"}


@pytest.mark.parametrize(
    ("name", "extra", "expected_params"),
    [
        ("totals", {}, WINDOW_PARAMS),
        ("invoice_amounts", {}, WINDOW_PARAMS),
        (
            "periods",
            {"period": "month", "step": "1 month", "classic": True},
            WINDOW_PARAMS | {"period", "step", "classic"},
        ),
        ("rfm_base", {"classic": False, "reference": None}, WINDOW_PARAMS | {"classic", "reference"}),
    ],
)
def test_query_returns_exactly_the_parameters_used(
    name: str, extra: dict[str, Any], expected_params: set[str]
) -> None:
    window = Window(date(2010, 1, 1), date(2010, 12, 31), ("France",), True)
    sql, params = query(name, window, **extra, unused="ignored")
    assert set(params) == expected_params
    assert params["start"] == datetime(2010, 1, 1)
    assert params["countries"] == ["France"]
    pg_sql, pg_params = query(name, window, dialect="postgres", **extra)
    assert pg_params == params
    assert "$" not in pg_sql
    assert {m for m in re.findall(r"%\((\w+)\)s", pg_sql)} == expected_params
    assert "--" not in pg_sql  # comments dropped: psycopg would read placeholders in them


@pytest.mark.parametrize(
    ("sql", "available", "expected"),
    [
        ("select $a, $b, $a", {"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2}),
        ("-- uses $c in a comment only\nselect $a", {"a": 1, "c": 3}, {"a": 1}),
        ("select 1", {"a": 1}, {}),
    ],
)
def test_bind_keeps_used_parameters(sql: str, available: dict[str, int], expected: dict[str, int]) -> None:
    assert bind(sql, available)[1] == expected


def test_bind_refuses_a_missing_parameter() -> None:
    with pytest.raises(ValueError, match=r"\$b"):
        bind("select $a, $b", {"a": 1})


@pytest.mark.parametrize("path", ANALYTICS_SQL, ids=lambda p: p.name)
def test_sql_files_follow_the_conventions(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("--")]
    assert header and text.startswith("--"), "a header comment first"
    assert any("grain" in line.lower() for line in header), "the header names the grain"
    assert any(("units" in line.lower()) or ("pounds" in line.lower()) for line in header), "and the units"
    assert text.rstrip().endswith("select * from final")
    assert WINDOW_FILTER in text, "every query filters the window the same way"
    # SQL both DuckDB and PostgreSQL speak (the same files run on PostgreSQL).
    body = "\n".join(line.split("--", 1)[0] for line in text.splitlines()).lower()
    for duckdb_only in ("date_diff", "datediff", "strftime", "list_", "qualify", "::", "epoch_ms", "struct"):
        assert duckdb_only not in body, f"{duckdb_only!r} is DuckDB-only"
    assert set(sql_parameters(text)) >= WINDOW_PARAMS


# --- exact statistics -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q", [Fraction(1, 2), Fraction(85, 100), Fraction(1, 5), Fraction(4, 5), Fraction(0), Fraction(1)]
)
@pytest.mark.parametrize("values", [[5], [1, 2], [3, 1, 2, 10], list(range(17)), [1, 1, 1, 7, 7, 8, 100, 2]])
def test_linear_quantile_is_numpys_linear_quantile(values: list[int], q: Fraction) -> None:
    ours = analytics.linear_quantile(sorted(Fraction(v) for v in values), q)
    assert float(ours) == pytest.approx(float(np.quantile(values, float(q))), abs=1e-9)


def test_amount_stats_mode_takes_the_smallest_among_ties() -> None:
    stats = analytics.AmountStats.of([Decimal(x) for x in ("1", "2", "2", "3", "3", "9")])
    assert (stats.count, stats.min, stats.max, stats.mode) == (6, Decimal(1), Decimal(9), Decimal(2))
    assert stats.median == Decimal("2.5")
    assert stats.mean == Decimal("3.333333")  # 20 / 6, rounded to 6 decimals


def test_histogram_bins_are_equal_width_and_count_everything() -> None:
    values = [Decimal(v) for v in ("0", "1", "2.5", "5", "9.999", "10")]
    hist = analytics.histogram(values, bins=4)
    assert hist["invoices"].to_list() == [2, 1, 1, 2]
    assert hist["bin_start"].to_list() == [0.0, 2.5, 5.0, 7.5]
    assert analytics.histogram([Decimal(3)] * 4, 10).rows() == [(3.0, 3.0, 4)]
    assert analytics.histogram([], 10).is_empty()


# --- contracts on the real sample -------------------------------------------------------------------------------

SAMPLE_WINDOWS = [
    Window(),
    Window(date(2010, 3, 15), date(2011, 2, 10)),
    Window(countries=("France", "Spain"), products_only=True),
    Window(date(2011, 1, 1), date(2011, 12, 31), ("Belgium",)),
]


@pytest.mark.parametrize("window", SAMPLE_WINDOWS, ids=lambda w: w.label)
@pytest.mark.parametrize("preset", analytics.PRESETS)
def test_monthly_contracts(sample: duckdb.DuckDBPyConnection, window: Window, preset: str) -> None:
    frame = analytics.monthly(sample, window, preset)
    totals = analytics.totals(sample, window)
    assert frame.columns == ["month", *analytics.PERIOD_COLUMNS]
    assert frame["month"].is_unique().all()
    assert frame["month"].is_sorted()
    assert all(d.day == 1 for d in frame["month"].to_list())
    required = [c for c in frame.columns if c != "growth_pct"]
    assert frame.select(pl.col(required).null_count().sum()).row(0) == (0,) * len(required)
    assert sum(frame["sales"].to_list(), Decimal(0)) == totals.sales  # Σ monthly sales = window total
    assert frame["canceled"].sum() == totals.canceled
    assert (frame["new_customers"] + frame["existing_customers"] == frame["active_customers"]).all()
    assert frame["growth_pct"][0] is None
    assert (frame["new_customers"] >= 0).all() and (frame["existing_customers"] >= 0).all()
    if preset == "standard":
        assert frame["placed"].sum() == totals.not_canceled
    else:
        assert (frame["placed"] == frame["invoices"] - 2 * frame["canceled"]).all()
    months = frame["month"].to_list()
    assert len(months) == (months[-1].year - months[0].year) * 12 + months[-1].month - months[0].month + 1


@pytest.mark.parametrize("window", SAMPLE_WINDOWS[:2], ids=lambda w: w.label)
def test_weekly_contracts(sample: duckdb.DuckDBPyConnection, window: Window) -> None:
    frame = analytics.weekly(sample, window)
    totals = analytics.totals(sample, window)
    assert frame["week_start"].is_unique().all() and frame["week_start"].is_sorted()
    assert all(d.isoweekday() == 1 for d in frame["week_start"].to_list())
    assert all(
        d.isocalendar()[:2] == (y, w)
        for d, y, w in frame.select("week_start", "iso_year", "iso_week").iter_rows()
    )
    assert sum(frame["sales"].to_list(), Decimal(0)) == totals.sales
    assert (frame["new_customers"] + frame["existing_customers"] == frame["active_customers"]).all()
    gaps = {(b - a).days for a, b in zip(frame["week_start"], frame["week_start"][1:], strict=False)}
    assert gaps == {7}


def test_new_customers_are_new_in_the_whole_store(sample: duckdb.DuckDBPyConnection) -> None:
    everything = analytics.monthly(sample, Window())
    # Over all the data, every customer is new exactly once.
    assert everything["new_customers"].sum() == analytics.totals(sample, Window()).customers
    # A window starting later does not make earlier customers new again.
    later = analytics.monthly(sample, Window(date(2011, 1, 1), None))
    first = later.row(0, named=True)
    assert first["existing_customers"] > 0
    same_month = everything.filter(pl.col("month") == date(2011, 1, 1)).row(0, named=True)
    assert first == same_month | {"growth_pct": None}


@pytest.mark.parametrize("preset", analytics.PRESETS)
def test_invoice_distribution_contracts(sample: duckdb.DuckDBPyConnection, preset: str) -> None:
    dist = analytics.invoice_distribution(sample, Window(), preset)
    amounts = dist.amounts
    assert amounts["invoice"].is_unique().all()
    assert amounts.select("invoice", "invoice_date", "country", "amount").null_count().row(0) == (0, 0, 0, 0)
    assert (amounts["amount"] > 0).all()
    values = amounts["amount"].to_list()
    assert dist.positive.count == len(values)
    assert dist.positive.min == min(values) and dist.positive.max == max(values)
    assert dist.p85 is not None
    assert dist.trimmed_85.count == sum(1 for v in values if v <= dist.p85)
    assert dist.trimmed_85.max is not None and dist.trimmed_85.max <= dist.p85
    assert dist.histogram(30)["invoices"].sum() == dist.positive.count
    assert dist.histogram(30, trimmed=True)["invoices"].sum() == dist.trimmed_85.count
    if preset == "standard":
        assert not amounts["invoice"].str.starts_with("A").any()
        assert not amounts["invoice"].str.starts_with("C").any()


def test_definitions_cover_every_output_column(sample: duckdb.DuckDBPyConnection) -> None:
    columns = set(analytics.monthly(sample, Window()).columns) | set(
        analytics.weekly(sample, Window()).columns
    )
    columns |= {"positive", "trimmed_85", "p85", "count", "min", "max", "median", "mean", "mode", "histogram"}
    missing = sorted(c for c in columns if not glossary.definition(c))
    assert not missing
    assert glossary.definition("placed", "classic") != glossary.definition("placed")
    assert glossary.definition("sales", "classic") == glossary.definition("sales")  # falls back
    lines = glossary.DEFINITIONS_PATH.read_text(encoding="utf-8").splitlines()
    entries = [(names, key, preset) for names, key, preset, _ in glossary.entries()]
    assert len(entries) == sum(line.startswith("- `") for line in lines)  # every definition line is read
    assert len(entries) == len(set(entries))  # one line per (key, preset) in a section
    assert len(glossary.definitions()) == len({(key, preset) for _, key, preset in entries})


# --- edge cases on tiny stores ------------------------------------------------------------------------------------

LINES: list[Line] = [
    # customer 1: an order in January, another in March
    ("100001", "85123A", 2, "2011-01-05 10:00", "2.50", 1, "France"),
    ("100001", "POST", 1, "2011-01-05 10:00", "15.00", 1, "France"),
    ("100002", "22111", 10, "2011-03-02 09:30", "1.25", 1, "France"),
    # customer 2: an order in February, cancelled in February
    ("100003", "22112", 4, "2011-02-10 12:00", "3.00", 2, "Spain"),
    ("C100004", "22112", -4, "2011-02-11 12:00", "3.00", 2, "Spain"),
    # customer 3: only a cancellation (of an order before the store's data)
    ("C100005", "22113", -1, "2011-03-20 08:00", "9.95", 3, "Spain"),
    # a guest order: counts for sales, not for customers
    ("100006", "22114", 1, "2011-03-21 08:00", "4.00", None, "Spain"),
]


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = make_store(tmp_path / "tiny.duckdb", LINES)
    yield con
    con.close()


def test_tiny_monthly_by_hand(tiny: duckdb.DuckDBPyConnection) -> None:
    frame = analytics.monthly(tiny, Window())
    assert frame["month"].to_list() == [date(2011, 1, 1), date(2011, 2, 1), date(2011, 3, 1)]
    assert frame["invoices"].to_list() == [1, 2, 3]
    assert frame["canceled"].to_list() == [0, 1, 1]
    assert frame["placed"].to_list() == [1, 1, 2]
    assert analytics.monthly(tiny, Window(), "classic")["placed"].to_list() == [1, 0, 1]
    assert frame["sales"].to_list() == [Decimal("20.000"), Decimal("0.000"), Decimal("6.550")]
    assert frame["growth_pct"].to_list() == [None, pytest.approx(-100.0), None]  # after £0: no growth
    assert frame["active_customers"].to_list() == [1, 1, 2]
    assert frame["new_customers"].to_list() == [1, 1, 1]  # customer 3's only line is a cancellation: new
    assert frame["existing_customers"].to_list() == [0, 0, 1]


def test_growth_over_negative_sales(tmp_path: Path) -> None:
    con = make_store(
        tmp_path / "neg.duckdb",
        [
            ("C200001", "22111", -10, "2011-01-05 10:00", "10.00", 1, "France"),
            ("200002", "22111", 10, "2011-02-05 10:00", "10.00", 1, "France"),
        ],
    )
    assert analytics.monthly(con, Window())["growth_pct"].to_list() == [None, pytest.approx(200.0)]
    assert analytics.monthly(con, Window(), "classic")["growth_pct"].to_list() == [
        None,
        pytest.approx(-200.0),
    ]


def test_a_month_without_lines_is_a_row_of_zeros(tmp_path: Path) -> None:
    con = make_store(
        tmp_path / "gap.duckdb",
        [
            ("300001", "22111", 1, "2011-01-05 10:00", "10.00", 1, "France"),
            ("300002", "22111", 1, "2011-04-05 10:00", "30.00", 1, "France"),
        ],
    )
    frame = analytics.monthly(con, Window())
    assert frame["month"].to_list() == [date(2011, m, 1) for m in (1, 2, 3, 4)]
    assert frame["sales"].to_list() == [Decimal(10), Decimal(0), Decimal(0), Decimal(30)]
    assert frame["growth_pct"].to_list() == [None, pytest.approx(-100.0), None, None]
    assert frame["active_customers"].to_list() == [1, 0, 0, 1]


def test_country_and_product_filters(tiny: duckdb.DuckDBPyConnection) -> None:
    spain = analytics.totals(tiny, Window(countries=("Spain",)))
    assert (spain.lines, spain.invoices, spain.customers) == (4, 4, 2)
    products = analytics.totals(tiny, Window(products_only=True))
    assert products.sales == Decimal("11.55")  # the £15 postage line is gone
    assert analytics.totals(tiny, Window(countries=("Nowhere",))).is_empty


def test_empty_window_gives_empty_results(tiny: duckdb.DuckDBPyConnection) -> None:
    window = Window(date(2015, 1, 1), date(2015, 12, 31))
    for frame in (analytics.monthly(tiny, window), analytics.weekly(tiny, window)):
        assert frame.is_empty()
        assert "sales" in frame.columns
    dist = analytics.invoice_distribution(tiny, window)
    assert dist.positive.count == 0 and dist.p85 is None and dist.positive.median is None
    assert dist.histogram().is_empty()
    assert dist.to_json()["positive"]["count"] == 0
    totals = analytics.totals(tiny, window)
    assert totals.is_empty and totals.sales == 0


def test_empty_store(tmp_path: Path) -> None:
    con = make_store(tmp_path / "empty.duckdb", [])
    assert analytics.monthly(con, Window()).is_empty()
    assert analytics.invoice_distribution(con, Window(), "classic").positive.count == 0


def test_single_invoice(tmp_path: Path) -> None:
    con = make_store(
        tmp_path / "one.duckdb", [("400001", "22111", 3, "2011-05-05 10:00", "2.00", 7, "Italy")]
    )
    dist = analytics.invoice_distribution(con, Window())
    assert dist.positive.count == dist.trimmed_85.count == 1
    assert dist.p85 == dist.positive.median == dist.positive.mode == Decimal(6)
    frame = analytics.weekly(con, Window())
    assert frame.select("iso_year", "iso_week", "new_customers").row(0) == (2011, 18, 1)


def test_unknown_preset_is_a_user_error(tiny: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(LgsError, match="unknown preset"):
        analytics.monthly(tiny, Window(), "fancy")


# --- the same SQL on PostgreSQL ------------------------------------------------------------------------------------

PG_LINES_DDL = """
create table lines (
    load_id integer not null, source_row bigint not null, invoice varchar not null, stock_code varchar not null,
    description varchar, quantity integer not null, invoice_date timestamp not null,
    unit_price decimal(18, 3) not null, customer_id integer, country varchar not null,
    is_cancellation boolean not null, is_adjustment boolean not null, is_product boolean not null,
    line_amount decimal(18, 3) not null
)
"""

PG_CASES: list[tuple[str, dict[str, Any]]] = [
    ("totals", {}),
    ("invoice_amounts", {}),
    ("periods", {"period": "month", "step": "1 month", "classic": True}),
    ("periods", {"period": "week", "step": "7 days", "classic": False}),
    ("rfm_base", {"classic": True, "reference": datetime(2012, 1, 1)}),
    ("rfm_base", {"classic": False, "reference": None}),
]
PG_WINDOWS = [
    Window(),
    Window(date(2010, 3, 5), date(2011, 2, 7), ("France", "Spain"), True),
    Window(date(2015, 1, 1)),
]


@pytest.fixture(scope="module")
def postgres(sample: duckdb.DuckDBPyConnection, pg_server: Any) -> Iterator[Any]:
    """A throwaway PostgreSQL database holding the sample's `lines` (pg_fixtures: LGS_TEST_DSN or embedded),
    and the invoice summary the queries read, as a view over them (the same file the store materialises).
    """
    import psycopg

    name = pg_server.create_database()
    try:
        with psycopg.connect(pg_server.dsn_for(name), autocommit=True) as pg:
            pg.execute(PG_LINES_DDL)
            with pg.cursor() as cur, cur.copy("copy lines from stdin") as copy:
                for row in sample.sql("select * from lines").fetchall():
                    copy.write_row(row)
            pg.execute("create view invoice_summary as " + read_sql("store/summaries.sql"))
            pg.execute("create view customer_first as " + read_sql("store/customer_first.sql"))
            yield pg
    finally:
        pg_server.drop_database(name)


@pytest.mark.postgres
@pytest.mark.parametrize("window", PG_WINDOWS, ids=lambda w: w.label)
@pytest.mark.parametrize(("name", "extra"), PG_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PG_CASES)])
def test_sql_gives_the_same_rows_on_postgres(
    sample: duckdb.DuckDBPyConnection, postgres: Any, window: Window, name: str, extra: dict[str, Any]
) -> None:
    sql, params = query(name, window, **extra)
    ours = sample.sql(sql, params=params).pl()
    pg_sql, pg_params = query(name, window, dialect="postgres", **extra)
    cursor = postgres.execute(pg_sql, pg_params)
    columns = [c.name for c in cursor.description]
    theirs = pl.DataFrame(cursor.fetchall(), schema=columns, orient="row", infer_schema_length=None)
    assert columns == ours.columns
    assert theirs.height == ours.height
    ours, theirs = ours.sort(ours.columns[0]), theirs.sort(theirs.columns[0])
    for column in ours.columns:
        mine, other = ours[column].to_list(), theirs[column].to_list()
        if column == "growth_pct":
            assert other == [None if v is None else pytest.approx(v) for v in mine]
        else:
            assert other == mine, column
