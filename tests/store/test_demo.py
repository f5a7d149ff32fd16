"""The demo generator: deterministic, exact in shape, and shaped like the real data set (DOMAIN.md §1).

Realism is checked with SQL on a real DuckDB store after `load_demo`, the way the app will read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from lgs_core.errors import LgsError
from lgs_core.sources.demo import SCHEMA, demo_fingerprint, generate_lines, load_demo
from lgs_core.store.store import connect

REALISM_ROWS = 100_000
SPAN_START = datetime(2009, 12, 1)
SPAN_END = datetime(2011, 12, 10)  # exclusive: the default span ends on 2011-12-09


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "store.duckdb"
    load_demo(path, rows=REALISM_ROWS, seed=42)
    return path


@pytest.fixture
def con(demo_store: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(demo_store, read_only=True)
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The single row a query returns (fetchall drains the result: DuckDB 2.0 results stream)."""
    rows = con.sql(sql).fetchall()
    assert len(rows) == 1
    return rows[0]


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return one(con, sql)[0]


# --- determinism and shape -------------------------------------------------------------------------


def test_same_seed_gives_the_same_frame_and_another_seed_another() -> None:
    first = generate_lines(20_000, seed=7)
    assert first.equals(generate_lines(20_000, seed=7))
    assert not first.equals(generate_lines(20_000, seed=8))


@pytest.mark.parametrize("rows", [0, 1, 2, 37, 1_000, 20_000])
def test_exact_row_count_dtypes_and_order(rows: int) -> None:
    frame = generate_lines(rows, seed=3)
    assert frame.height == rows
    assert frame.schema == SCHEMA
    assert frame["source_row"].to_list() == list(range(1, rows + 1))
    assert frame.equals(frame.sort(["invoice_date", "invoice"], maintain_order=True))
    assert frame.select(pl.exclude("description", "customer_id").null_count()).sum_horizontal().sum() == 0


def test_invoice_numbers_are_six_digits_from_489434_increasing_with_date() -> None:
    invoices = (
        generate_lines(20_000, seed=5)
        .group_by("invoice", maintain_order=True)
        .agg(pl.col("invoice_date").first())
        .with_columns(number=pl.col("invoice").str.extract(r"^[AC]?(\d{6})$").cast(pl.Int64))
    )
    assert invoices["number"].null_count() == 0
    assert invoices["number"].min() == 489434
    assert invoices["number"].is_sorted()
    assert invoices["invoice_date"].is_sorted()
    assert invoices["number"].is_unique().all()


def test_start_and_end_are_honoured_with_business_days_and_hours() -> None:
    frame = generate_lines(5_000, seed=1, start=date(2010, 6, 1), end=date(2010, 6, 30))
    assert frame["invoice_date"].min() >= datetime(2010, 6, 1)
    assert frame["invoice_date"].max() < datetime(2010, 7, 1)
    assert frame.filter(pl.col("invoice_date").dt.weekday() == 6).height == 0  # no Saturdays
    minutes = frame.select(
        pl.col("invoice_date").dt.hour().cast(pl.Int32) * 60 + pl.col("invoice_date").dt.minute()
    )
    assert minutes.min().item() >= 7 * 60
    assert minutes.max().item() <= 20 * 60
    assert (frame["invoice_date"].dt.second() == 0).all()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(LgsError, match="ask for 0 to 15,000,000 lines"):
        generate_lines(-1)
    with pytest.raises(LgsError, match="before it starts"):
        generate_lines(10, start=date(2011, 1, 2), end=date(2011, 1, 1))


# --- realism, read back from the store -------------------------------------------------------------


def test_lines_per_invoice(con: duckdb.DuckDBPyConnection) -> None:
    per_invoice = scalar(con, "select count(*) / count(distinct invoice) from lines")
    assert 10 <= per_invoice <= 30


def test_cancellations_are_small_invoices(con: duckdb.DuckDBPyConnection) -> None:
    # The real data set: ~2% of the lines are on C invoices, but C invoices are small (median 1 line),
    # so they are ~15% of the invoices (the real sample: 303 of 1,742 invoices, 761 of 34,766 lines).
    line_share, invoice_share = one(
        con,
        """
        select avg(is_cancellation::int),
               count(distinct invoice) filter (where is_cancellation) / count(distinct invoice)
        from lines
        """,
    )
    assert 0.01 <= line_share <= 0.035
    assert 0.10 <= invoice_share <= 0.22


def test_cancellation_lines_have_negative_quantity(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "select count(*) from lines where is_cancellation and quantity >= 0") == 0
    assert scalar(con, "select count(*) from lines where is_cancellation") > 0


def test_cancellations_copy_an_earlier_line_of_the_same_customer(con: duckdb.DuckDBPyConnection) -> None:
    # D, M, S and BANK CHARGES on C invoices are refunds of their own; AMAZONFEE has no customer.
    orphans = scalar(
        con,
        """
        select count(*) from lines c
        where c.is_cancellation and c.customer_id is not null
          and c.stock_code not in ('D', 'M', 'S', 'BANK CHARGES')
          and not exists (
              select 1 from lines o
              where not o.is_cancellation and o.customer_id = c.customer_id
                and o.stock_code = c.stock_code and o.unit_price = c.unit_price
                and o.invoice_date <= c.invoice_date and o.quantity >= -c.quantity)
        """,
    )
    assert orphans == 0


def test_lines_without_customer(con: duckdb.DuckDBPyConnection) -> None:
    share = scalar(con, "select avg((customer_id is null)::int) from lines")
    assert 0.18 <= share <= 0.28
    guest, known = one(
        con,
        """
        select avg(n) filter (where not has_customer), avg(n) filter (where has_customer)
        from (select invoice, count(*) as n, bool_or(customer_id is not null) as has_customer
              from lines where not is_cancellation group by invoice)
        """,
    )
    assert guest > known  # guest (dotcom) invoices are the larger ones


def test_countries(con: duckdb.DuckDBPyConnection) -> None:
    uk_share, countries = one(
        con, "select avg((country = 'United Kingdom')::int), count(distinct country) from lines"
    )
    assert 0.85 <= uk_share <= 0.94
    assert countries >= 35


def test_non_product_lines_present(con: duckdb.DuckDBPyConnection) -> None:
    codes = {
        row[0] for row in con.sql("select distinct stock_code from lines where not is_product").fetchall()
    }
    assert {"POST", "M", "D", "DOT"} <= codes
    non_product_share = scalar(con, "select avg((not is_product)::int) from lines")
    assert non_product_share < 0.02
    # POST is mostly for customers abroad; D (discount) only on cancellations.
    assert (
        scalar(con, "select avg((country <> 'United Kingdom')::int) from lines where stock_code = 'POST'")
        > 0.5
    )
    assert scalar(con, "select bool_and(is_cancellation) from lines where stock_code = 'D'")


def test_stock_corrections_and_adjustments(con: duckdb.DuckDBPyConnection) -> None:
    corrections, with_customer_or_price = one(
        con,
        """
        select count(*), count(*) filter (where customer_id is not null or unit_price <> 0)
        from lines where quantity < 0 and not is_cancellation
        """,
    )
    assert 0.001 <= corrections / REALISM_ROWS <= 0.005
    assert with_customer_or_price == 0
    assert scalar(
        con, "select bool_and(stock_code = 'B' and customer_id is null) from lines where is_adjustment"
    )


def test_products_and_prices(con: duckdb.DuckDBPyConnection) -> None:
    products, median_price, price_zero = one(
        con,
        """
        select count(distinct stock_code) filter (where is_product),
               median(unit_price) filter (where is_product),
               count(*) filter (where unit_price = 0)
        from lines
        """,
    )
    assert 2_500 <= products <= 4_000
    assert 0.85 <= median_price <= 4
    assert price_zero > 0
    assert (
        scalar(con, "select count(*) from lines where is_product and stock_code similar to '[0-9]{5}[A-Z]'")
        > 0
    )


def test_november_peak(con: duckdb.DuckDBPyConnection) -> None:
    months = con.sql(
        "select strftime(invoice_date, '%Y-%m') as month, count(*) as n from lines group by month"
    ).pl()
    mean = months["n"].mean()
    novembers = months.filter(pl.col("month").str.ends_with("-11"))
    assert novembers.height == 2
    assert (novembers["n"] > 1.4 * mean).all()


def test_customers(con: duckdb.DuckDBPyConnection) -> None:
    customers, bad_ids, many_countries = one(
        con,
        """
        select count(*), count(*) filter (where customer_id not between 10000 and 99999),
               count(*) filter (where countries > 1)
        from (select customer_id, count(distinct country) as countries
              from lines where customer_id is not null group by customer_id)
        """,
    )
    assert REALISM_ROWS / 250 <= customers <= REALISM_ROWS / 130  # ~1 per 180 lines
    assert bad_ids == 0
    assert many_countries == 0


def test_repeat_customers_and_heavy_tail(con: duckdb.DuckDBPyConnection) -> None:
    repeat_share, most = one(
        con,
        """
        select avg((invoices >= 2)::int), max(invoices)
        from (select customer_id, count(distinct invoice) as invoices
              from lines where customer_id is not null and not is_cancellation group by customer_id)
        """,
    )
    assert 0.50 <= repeat_share <= 0.85
    assert most >= 50


def test_new_customers_arrive_every_month(con: duckdb.DuckDBPyConnection) -> None:
    new_per_month = con.sql(
        """
        select strftime(first_seen, '%Y-%m') as month, count(*) as new
        from (select customer_id, min(invoice_date) as first_seen from lines
              where customer_id is not null group by customer_id)
        group by month order by month
        """
    ).pl()
    assert new_per_month.height >= 24
    # The first month holds the existing customer base, but most customers arrive later.
    assert new_per_month["new"][0] < 0.35 * new_per_month["new"].sum()


def test_dates_inside_the_span(con: duckdb.DuckDBPyConnection) -> None:
    first, last, saturdays = one(
        con,
        "select min(invoice_date), max(invoice_date), count(*) filter (where dayofweek(invoice_date) = 6) "
        "from lines",
    )
    assert first >= SPAN_START and last < SPAN_END
    assert saturdays == 0


# --- load_demo -------------------------------------------------------------------------------------


def test_load_demo_replaces_the_data_and_logs_the_load(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    calls: list[tuple[float, str]] = []
    first = load_demo(db, rows=2_000, seed=1)
    second = load_demo(
        db, rows=3_000, seed=2, progress=lambda fraction, message: calls.append((fraction, message))
    )

    assert (second.rows_read, second.rows_loaded, second.rows_quarantined) == (3_000, 3_000, 0)
    assert (second.kind, second.mode) == ("demo", "replace")
    assert second.source == "demo data (3,000 lines, seed 2)"
    assert second.fingerprint == demo_fingerprint(3_000, 2) != first.fingerprint
    assert second.load_id > first.load_id
    assert [fraction for fraction, _ in calls] == sorted(fraction for fraction, _ in calls)
    assert calls[-1][0] == 1.0 and len(calls) >= 2

    con = connect(db, read_only=True)
    try:
        assert one(con, "select count(*), min(load_id), max(load_id) from lines") == (
            3_000,
            second.load_id,
            second.load_id,
        )
        log = con.sql("select * from load_log order by load_id").pl()
        watermark = scalar(con, "select max(invoice_date) from lines")
    finally:
        con.close()
    assert log.height == 2
    last = log.row(-1, named=True)
    assert last["load_id"] == second.load_id
    assert (last["kind"], last["mode"], last["source"]) == ("demo", "replace", second.source)
    assert last["fingerprint"] == second.fingerprint
    assert (last["rows_read"], last["rows_loaded"], last["rows_quarantined"]) == (3_000, 3_000, 0)
    assert last["watermark"] == watermark
