"""Property-based tests: whatever the input, ingestion never crashes and every line is accounted for; whatever
the data, the analyses reconcile (Σ segment customers = customers, scores in range, Σ monthly sales = total).

Examples per property: 1,000 under CI=true (the `ci` profile in conftest.py), fewer locally.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgs_core import analytics, ingest, rfm, store
from lgs_core.errors import LgsError
from lgs_core.window import Window

HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]

# Cells a real export could hold, and plenty it should not.
junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
invoice = st.one_of(st.from_regex(r"[CA]?[0-9]{6}", fullmatch=True), junk, st.just(""))
stock = st.one_of(
    st.from_regex(r"[0-9]{5}[A-Z]?", fullmatch=True), st.sampled_from(["POST", "M", "D", "DOT"]), junk
)
quantity = st.one_of(st.integers(-80995, 80995).map(str), st.floats(allow_nan=True).map(str), junk)
when = st.one_of(
    st.datetimes(datetime(2009, 12, 1), datetime(2011, 12, 9)).map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.datetimes(datetime(2009, 12, 1), datetime(2011, 12, 9)).map(lambda d: d.strftime("%d/%m/%Y %H:%M")),
    junk,
)
price = st.one_of(st.decimals(-60000, 40000, places=3, allow_nan=False).map(str), junk, st.just("£1,234.50"))
customer = st.one_of(st.integers(10000, 99999).map(lambda c: f"{c}.0"), st.just(""), junk)
country = st.one_of(st.sampled_from(["United Kingdom", "France", "EIRE", "Unspecified"]), junk)
row = st.tuples(invoice, stock, junk, quantity, when, price, customer, country)


def csv_bytes(rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(row, min_size=1, max_size=30))
def test_validation_never_crashes_and_accounts_for_every_line(rows: list[tuple[str, ...]]) -> None:
    raw = pl.DataFrame(
        {name: [r[i] for r in rows] for i, name in enumerate(ingest.CANONICAL)},
        schema=dict.fromkeys(ingest.CANONICAL, pl.String),
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("sheet"),
        pl.lit(None, dtype=pl.String).alias(ingest.ROW_PROBLEM),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
    )
    con = duckdb.connect()
    try:
        ingest.validate(con, raw)
        checked = con.sql("select reason, quantity, invoice_date, unit_price from validated").fetchall()
    finally:
        con.close()
    assert len(checked) == len(rows)
    for reason, qty, day, unit_price in checked:
        if reason is None:  # a loaded line is fully typed
            assert isinstance(qty, int) and isinstance(day, datetime) and isinstance(unit_price, Decimal)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(row, min_size=1, max_size=20))
def test_loading_any_csv_is_a_load_or_a_one_line_refusal(rows: list[tuple[str, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.csv"
        path.write_bytes(csv_bytes(rows))
        try:
            result = ingest.load_file(path, Path(tmp) / "store.duckdb")
        except LgsError as exc:
            assert "\n" not in str(exc)
            return
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
        assert sum(result.quarantine_reasons.values()) == result.rows_quarantined


# --- analyses on arbitrary (valid) data ---------------------------------------------------------------

valid_line = st.tuples(
    st.integers(0, 40),  # invoice number offset (shared invoices)
    st.booleans().map(lambda c: "C" if c else ""),
    st.sampled_from(["85123A", "22423", "POST", "M"]),
    st.integers(-12, 48).filter(lambda q: q != 0),
    st.integers(0, 700),  # days after 2010-01-01
    st.sampled_from([Decimal("0"), Decimal("0.42"), Decimal("2.55"), Decimal("12.75"), Decimal("165.00")]),
    st.one_of(st.none(), st.integers(12346, 12360)),
    st.sampled_from(["United Kingdom", "France"]),
)


def store_of(lines: list[tuple[object, ...]], tmp: Path) -> duckdb.DuckDBPyConnection:
    rows = []
    for inv, c, code, qty, day, unit_price, cust, ctry in lines:
        quantity = -abs(int(qty)) if c else int(qty)  # type: ignore[call-overload]
        date_text = (datetime(2010, 1, 1) + timedelta(days=int(day))).strftime("%Y-%m-%d 10:00")  # type: ignore[call-overload]
        rows.append(
            (
                f"{c}{536000 + int(inv)}",
                code,
                "x",
                str(quantity),
                date_text,
                str(unit_price),  # type: ignore[call-overload]
                "" if cust is None else str(cust),
                ctry,
            )
        )
    path = tmp / "in.csv"
    path.write_bytes(csv_bytes(rows))  # type: ignore[arg-type]
    ingest.load_file(path, tmp / "store.duckdb")
    return store.connect(tmp / "store.duckdb", read_only=True)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(valid_line, min_size=1, max_size=40), st.sampled_from(["classic", "standard"]))
def test_analyses_reconcile_on_any_data(lines: list[tuple[object, ...]], preset: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        con = store_of(lines, Path(tmp))
        try:
            _check_reconciles(con, preset)
        finally:
            con.close()


def _check_reconciles(con: duckdb.DuckDBPyConnection, preset: str) -> None:
    window = Window()
    monthly = analytics.monthly(con, window, preset)
    total = con.sql("select coalesce(sum(line_amount), 0) from lines").fetchall()[0][0]
    assert sum(monthly["sales"].to_list(), Decimal(0)) == total
    assert (monthly["new_customers"] + monthly["existing_customers"] == monthly["active_customers"]).all()
    result = rfm.rfm(con, window, rfm.RfmParams(preset=preset))
    customers = result.customers
    summary = result.summary()
    assert int(summary["customers"].sum()) == customers.height
    assert customers["customer_id"].n_unique() == customers.height
    for score in ("r", "f", "m"):
        assert customers[score].is_between(1, 5).all()
    assert set(customers["segment"].to_list()) <= set(summary["segment"].to_list())
