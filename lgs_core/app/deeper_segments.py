"""The Deeper segments page's model: cohorts, segment migration, lifetime value and product affinity, each tab's
one call. Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

import polars as pl


def pairs_once(pairs: pl.DataFrame) -> pl.DataFrame:
    """Affinity rules (A → B and B → A, each its own row) as pairs listed once: product_a, product_b (code ·
    description), invoices_both, support, a_with_b (confidence of A → B), b_with_a (of B → A), lift (the
    same both ways); in the rules' order (highest lift first)."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for r in pairs.iter_rows(named=True):
        key = (min(r["antecedent"], r["consequent"]), max(r["antecedent"], r["consequent"]))
        if key in seen:
            continue
        seen.add(key)
        both = r["invoices_both"]
        rows.append(
            {
                "product_a": f"{r['antecedent']} · {r['antecedent_description'] or '–'}",
                "product_b": f"{r['consequent']} · {r['consequent_description'] or '–'}",
                "invoices_both": both,
                "support": r["support"],
                "a_with_b": both / r["antecedent_invoices"] if r["antecedent_invoices"] else None,
                "b_with_a": both / r["consequent_invoices"] if r["consequent_invoices"] else None,
                "lift": r["lift"],
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "product_a": pl.String,
            "product_b": pl.String,
            "invoices_both": pl.Int64,
            "support": pl.Float64,
            "a_with_b": pl.Float64,
            "b_with_a": pl.Float64,
            "lift": pl.Float64,
        },
        orient="row",
    )
