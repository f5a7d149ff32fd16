"""The Deeper segments page's model: each tab's one call (cohort retention, segment migration, lifetime value
and its calibration, product affinity), and the affinity pairs as the tab lists them.

Each call takes an open DuckDB connection first, as every page model does (``pages/_common.model`` opens one
per call and caches the result); the figures themselves are the analyses' (lgs_core.analyses.cohorts,
migration, clv, affinity: tested there). Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from lgs_core.analyses import affinity, clv, cohorts, migration
from lgs_core.analyses.rfm import RfmParams
from lgs_core.query.window import Window


def cohort_retention(con: duckdb.DuckDBPyConnection, window: Window, preset: str) -> cohorts.CohortRetention:
    """The Cohort retention tab: each first-order month's customers, month by month."""
    return cohorts.cohort_retention(con, window, preset)


def reference_dates(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[date, date]:
    """The Segment migration tab's two dates to start with (``migration.default_reference_dates``)."""
    return migration.default_reference_dates(con, window)


def segment_migration(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    first: date,
    second: date,
    params: RfmParams,
    lapsed: bool,
) -> migration.Migration:
    """The Segment migration tab: who moved from which segment to which between the two dates."""
    return migration.migration(con, window, first, second, params, lapsed_as_state=lapsed)


def customer_value(con: duckdb.DuckDBPyConnection, window: Window, preset: str) -> clv.CustomerValue:
    """The Lifetime value tab: each customer's predicted future spend."""
    return clv.customer_value(con, window, preset=preset)


def calibration(con: duckdb.DuckDBPyConnection, window: Window, preset: str, months: int) -> clv.Calibration:
    """The Lifetime value tab's check: the last ``months`` held out and predicted by a refit."""
    return clv.calibrate(con, window, holdout_months=months, preset=preset)


def product_affinity(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    segment: str,
    params: RfmParams,
    options: affinity.AffinityOptions,
) -> affinity.Affinity:
    """The Product affinity tab: what the segment's customers buy more than others, and together."""
    return affinity.affinity(con, window, segment, params, options)


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
