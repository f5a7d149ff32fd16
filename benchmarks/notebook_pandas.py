"""The original notebook's way, in pandas, for the speed comparison (DOMAIN.md §2): all seed analyses
over an in-memory DataFrame of the same lines the engine reads from its store."""

from __future__ import annotations

import pandas as pd

SEGMENTS = {
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


def all_seed_analyses(df: pd.DataFrame) -> dict[str, object]:
    """df: Invoice, Quantity, InvoiceDate, Price, Customer ID (as the notebook read the workbook)."""
    df = df.copy()
    df["Amount"] = df["Quantity"] * df["Price"]
    # 1. invoice amount distribution, and trimmed at the 85th percentile
    amounts = df.groupby("Invoice")["Amount"].sum()
    positive = amounts[amounts > 0]
    trimmed = positive[positive <= positive.quantile(0.85)]
    stats = [s.describe() for s in (positive, trimmed)] + [positive.mode(), trimmed.mode()]
    # 2-6. monthly placed/canceled, sales, growth, active, new/existing
    df["YearMonth"] = df["InvoiceDate"].dt.year * 100 + df["InvoiceDate"].dt.month
    invoices = df.groupby("YearMonth")["Invoice"].nunique()
    canceled = df[df["Invoice"].str.startswith("C")].groupby("YearMonth")["Invoice"].nunique()
    placed = invoices - 2 * canceled.reindex(invoices.index, fill_value=0)
    sales = df.groupby("YearMonth")["Amount"].sum()
    growth = sales.pct_change() * 100
    known = df.dropna(subset=["Customer ID"])
    active = known.groupby("YearMonth")["Customer ID"].nunique()
    first = known.groupby("Customer ID")["YearMonth"].min()
    new = first.value_counts().reindex(invoices.index, fill_value=0)
    existing = active - new
    # 7. RFM, the notebook's way
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
    table["segment"] = (table["R"].astype(str) + table["F"].astype(str)).replace(SEGMENTS, regex=True)
    return {
        "stats": stats,
        "monthly": (placed, sales, growth, active, existing),
        "segments": table["segment"].value_counts(),
    }
