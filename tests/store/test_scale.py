"""The store-scaling function of the 100M benchmark (benchmarks.scale.scale_store, issue #7).

A 5k-line demo store ×3 must be three disjoint copies of itself: lines, invoices, customers and Σ sales
exactly ×3, every copy's customers with the original's recency, frequency and monetary value, the summaries
current. What does *not* hold exactly: segment counts under quintile scoring. The cut points of the tripled
population are pandas-style linear quantiles at position q·(3n−1) instead of q·(n−1), which can land on the
next distinct value, and classic frequency is scored on rank(method="first") over 3n customers; so a customer
near a cut can change score. With fixed cut points the score depends on the value alone: counts are exactly ×3.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from benchmarks.scale import CUSTOMER_STRIDE, scale_store
from lgs_core.analyses import analytics, rfm
from lgs_core.query.window import Window
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

CLASSIC = date(2012, 1, 1)  # the notebook's reference date (DOMAIN.md §2.7), the same for both stores
FIXED = rfm.FixedCuts.parse("r=30,90,180,365;f=1,2,5,10;m=100,500,1000,5000")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("scale") / "base.duckdb"
    load_demo(base, rows=5_000, seed=42)
    scaled = base.with_name("scaled.duckdb")
    scaled.write_bytes(base.read_bytes())
    con = store.connect(scaled)
    try:
        assert scale_store(con, 3) == 10_000
    finally:
        con.close()
    return base, scaled


def _counts(path: Path) -> tuple[list[int], object]:
    con = store.connect(path, read_only=True)
    try:
        row = con.sql(
            "select count(*), count(distinct invoice), count(distinct customer_id), "
            "count(distinct invoice) filter (where is_cancellation), sum(line_amount) from lines"
        ).fetchall()[0]
    finally:
        con.close()
    return [int(v) for v in row[:4]], row[4]


def test_counts_and_sales_times_three(stores: tuple[Path, Path]) -> None:
    base, scaled = stores
    (lines, invoices, customers, cancelled), sales = _counts(base)
    (lines3, invoices3, customers3, cancelled3), sales3 = _counts(scaled)
    assert (lines3, invoices3, customers3, cancelled3) == (
        3 * lines,
        3 * invoices,
        3 * customers,
        3 * cancelled,
    )
    assert sales3 == 3 * sales  # exact: DECIMAL pounds


def test_copies_are_disjoint_and_keep_prefixes(stores: tuple[Path, Path]) -> None:
    _, scaled = stores
    con = store.connect(scaled, read_only=True)
    try:
        rows = con.sql(
            f"""
            select customer_id // {CUSTOMER_STRIDE} as copy,
                   count(distinct customer_id), count(*) filter (where invoice like 'C%'),
                   bool_and(is_cancellation = starts_with(invoice, 'C')),
                   bool_and(is_adjustment = starts_with(invoice, 'A')),
                   min(invoice_date), max(invoice_date)
            from lines where customer_id is not null group by copy order by copy
            """
        ).fetchall()
        duplicated = store.scalar(con, "select count(*) - count(distinct (load_id, source_row)) from lines")
    finally:
        con.close()
    assert [r[0] for r in rows] == [0, 1, 2]
    assert len({r[1:] for r in rows}) == 1  # every copy alike: customers, C lines, flags, dates
    assert all(r[3] and r[4] for r in rows)
    assert duplicated == 0


def test_summaries_current_and_analyses_times_three(stores: tuple[Path, Path]) -> None:
    base, scaled = stores
    results = {}
    for path in (base, scaled):
        con = store.connect(path, read_only=True)
        try:
            assert store.summaries_are_current(con)
            monthly = analytics.monthly(con, Window(), "classic")
            classic = rfm.rfm(con, Window(), rfm.RfmParams(preset="classic", reference_date=CLASSIC))
            fixed = rfm.rfm(con, Window(), rfm.RfmParams(reference_date=CLASSIC, scoring="fixed", cuts=FIXED))
        finally:
            con.close()
        results[path] = (monthly, classic, fixed)
    (monthly, classic, fixed), (monthly3, classic3, fixed3) = results[base], results[scaled]
    assert monthly3["sales"].to_list() == [3 * s for s in monthly["sales"].to_list()]

    # Each copy's customers have the original's values...
    values = ["recency_days", "frequency", "monetary"]
    original = classic.customers.select("customer_id", *values).sort("customer_id")
    for k in (1, 2):
        copy = (
            classic3.customers.filter(pl.col("customer_id") // CUSTOMER_STRIDE == k)
            .select(pl.col("customer_id") - k * CUSTOMER_STRIDE, *values)
            .sort("customer_id")
        )
        assert copy.equals(original)
    # ... so with fixed cut points every segment has exactly three times the customers,
    segments = dict(fixed.summary().select("segment", "customers").iter_rows())
    segments3 = dict(fixed3.summary().select("segment", "customers").iter_rows())
    assert segments3 == {name: 3 * n for name, n in segments.items()}
    # and with quintiles the total is exactly ×3 (the split near a cut point may move: see the docstring).
    assert classic3.customers.height == 3 * classic.customers.height
