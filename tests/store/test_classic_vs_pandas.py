"""An independent check of the classic preset: the seed notebook's pandas method, re-implemented here from
DOMAIN.md §2 on the real sample workbook (both sheets), must give exactly our figures (money to the penny).

Our side loads the sample's CSV dump through the real ingest; this side reads the workbook with pandas
semantics, so the two paths share nothing but the data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

from lgs_core.analyses import analytics, rfm
from lgs_core.query.window import Window
from lgs_core.sources.ingest import load_file
from lgs_core.store import store

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
PENNY = 0.005

# The notebook's segment regexes on the R+F string (DOMAIN.md §2.7), applied with Series.replace(regex=True).
SEGMENT_REGEX = {
    r"[1-2][1-2]": "Hibernating",
    r"[1-2][3-4]": "At Risk",
    r"[1-2]5": "Can't Lose",
    r"3[1-2]": "About to Sleep",
    r"33": "Need Attention",
    r"[3-4][4-5]": "Loyal Customers",
    r"41": "Promising",
    r"51": "New Customers",
    r"[4-5][2-3]": "Potential Loyalists",
    r"5[4-5]": "Champions",
}


def _sample(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real sample missing at {path}: CI must have ../shared/data beside the clone")
        pytest.skip(f"real sample not found at ../shared/data (a user's clone): {path}")
    return path


@pytest.fixture(scope="module")
def notebook_frame() -> pd.DataFrame:
    """Both sheets of the workbook, concatenated as the notebook did, with Amount = Quantity × Price."""
    sheets = pl.read_excel(_sample("online_retail_II_sample.xlsx"), sheet_id=0)
    assert len(sheets) == 2, "the UCI layout has two sheets"
    df = pd.concat([frame.to_pandas() for frame in sheets.values()], ignore_index=True)
    df["Invoice"] = df["Invoice"].astype(str)
    df["Amount"] = df["Quantity"] * df["Price"]
    return df


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    db = tmp_path_factory.mktemp("classic") / "store.duckdb"
    load_file(_sample("online_retail_II_sample.csv"), db=db)
    connection = store.connect(db, read_only=True)
    yield connection
    connection.close()


ALL = Window()


def _penny(ours: Decimal | None, theirs: float) -> bool:
    return ours is not None and abs(float(ours) - float(theirs)) < PENNY


def test_invoice_statistics_match_the_notebook(
    notebook_frame: pd.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    amounts = notebook_frame.groupby("Invoice")["Amount"].sum()
    positive = amounts[amounts > 0]
    trimmed = positive[positive <= positive.quantile(0.85)]
    ours = analytics.invoice_distribution(con, ALL, "classic")
    assert _penny(ours.p85, positive.quantile(0.85))
    for theirs, mine in ((positive, ours.positive), (trimmed, ours.trimmed_85)):
        assert mine.count == len(theirs)
        assert _penny(mine.min, theirs.min())
        assert _penny(mine.max, theirs.max())
        assert _penny(mine.median, theirs.median())
        assert _penny(mine.mean, theirs.mean())
        # mode over amounts rounded to the data's 3 decimals: float sums of equal amounts may differ in the
        # last bit (on this sample the unrounded mode is the same, £180.00)
        assert _penny(mine.mode, theirs.round(3).mode().iloc[0])
    # The invoices themselves, one by one.
    mine_amounts = dict(zip(ours.amounts["invoice"].to_list(), ours.amounts["amount"].to_list(), strict=True))
    assert set(mine_amounts) == set(positive.index)
    assert all(_penny(mine_amounts[k], v) for k, v in positive.items())


def test_monthly_figures_match_the_notebook(
    notebook_frame: pd.DataFrame, con: duckdb.DuckDBPyConnection
) -> None:
    df = notebook_frame.copy()
    df["YearMonth"] = df["InvoiceDate"].dt.year * 100 + df["InvoiceDate"].dt.month
    invoices = df.groupby("YearMonth")["Invoice"].nunique()
    canceled = df[df["Invoice"].str.startswith("C")].groupby("YearMonth")["Invoice"].nunique()
    canceled = canceled.reindex(invoices.index, fill_value=0)
    placed = invoices - 2 * canceled  # the notebook's assumption (DOMAIN.md §2.2)
    sales = df.groupby("YearMonth")["Amount"].sum()
    growth = sales.pct_change() * 100
    known = df.dropna(subset=["Customer ID"])
    active = known.groupby("YearMonth")["Customer ID"].nunique()
    first_month = known.groupby("Customer ID")["YearMonth"].min()
    new = first_month.value_counts().reindex(invoices.index, fill_value=0)
    existing = active - new

    ours = analytics.monthly(con, ALL, "classic")
    keys = [d.year * 100 + d.month for d in ours["month"].to_list()]
    assert keys == list(invoices.index)
    rows = dict(zip(keys, ours.iter_rows(named=True), strict=True))
    for month in invoices.index:
        row = rows[month]
        assert row["invoices"] == invoices[month]
        assert row["canceled"] == canceled[month]
        assert row["placed"] == placed[month]
        assert _penny(row["sales"], sales[month]), month
        if pd.isna(growth[month]):
            assert row["growth_pct"] is None
        else:
            assert row["growth_pct"] == pytest.approx(growth[month], rel=1e-9)
        assert row["active_customers"] == active[month]
        assert row["new_customers"] == new[month]
        assert row["existing_customers"] == existing[month]


def _notebook_rfm(df: pd.DataFrame) -> pd.DataFrame:
    """The "customer-segmentation-with-rfm-score" notebook, step by step (DOMAIN.md §2.7)."""
    data = df[(df["Quantity"] > 0) & (df["Amount"] > 0)].dropna(subset=["Customer ID"])
    today = pd.Timestamp("2012-01-01")
    table = data.groupby("Customer ID").agg(
        recency=("InvoiceDate", lambda d: (today - d.max()).days),
        frequency=("Invoice", "nunique"),
        monetary=("Amount", "sum"),
    )
    table["R"] = pd.qcut(table["recency"], 5, labels=[5, 4, 3, 2, 1]).astype(int)
    table["F"] = pd.qcut(table["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    table["M"] = pd.qcut(table["monetary"], 5, labels=[1, 2, 3, 4, 5]).astype(int)
    table["RF"] = table["R"].astype(str) + table["F"].astype(str)
    table["segment"] = table["RF"].replace(SEGMENT_REGEX, regex=True)
    return table


def test_rfm_matches_the_notebook(notebook_frame: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
    theirs = _notebook_rfm(notebook_frame)
    result = rfm.rfm(con, ALL, rfm.RfmParams(preset="classic"))
    assert result.reference_date == date(2012, 1, 1)
    ours = result.customers
    assert ours["customer_id"].to_list() == [int(c) for c in theirs.index]
    for row, (customer, expected) in zip(ours.iter_rows(named=True), theirs.iterrows(), strict=True):
        assert row["customer_id"] == int(customer)
        assert row["recency_days"] == expected["recency"], customer
        assert row["frequency"] == expected["frequency"], customer
        assert _penny(row["monetary"], expected["monetary"]), customer
        assert (row["r"], row["f"], row["m"]) == (expected["R"], expected["F"], expected["M"]), customer
        assert row["segment"] == expected["segment"], customer
    counts = theirs["segment"].value_counts().to_dict()
    summary = result.summary()
    assert {s: n for s, n in summary.select("segment", "customers").iter_rows() if n} == counts
