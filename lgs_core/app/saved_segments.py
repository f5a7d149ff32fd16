"""The Saved segments page's model: the saved segments, the customer facts every rule reads, a rule's
customers now, at each month's end and between two dates, and the behaviour clusters.

Each call takes an open DuckDB connection first, as every page model does (``pages/_common.model`` opens one
per call and caches the result). A rule arrives as its text (``Group.to_text``: hashable, and what the link
holds). The calls that build on the customer facts (or on the RFM and value frames) take them as arguments
(``given`` in ``pages/_common.model``): computed once per window and preset, they serve every rule evaluated
on them. The figures are lgs_core.analyses.saved_segments' and clusters' (tested there). Imports no streamlit
(STYLE.md §2).
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from lgs_core.analyses import clusters, saved_segments
from lgs_core.analyses.segment_rules import rule_from_text
from lgs_core.query.window import Window


def saved(con: duckdb.DuckDBPyConnection) -> list[saved_segments.SavedSegment]:
    """The saved segments, as the page's picker lists them."""
    return saved_segments.list_segments(con)


def facts(con: duckdb.DuckDBPyConnection, window: Window, preset: str) -> saved_segments.Facts:
    """Every customer's facts in the window (what a rule's conditions read)."""
    return saved_segments.customer_facts(con, window, preset)


def rfm_frame(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    preset: str,
    maps: tuple[str, ...],
    *,
    facts: saved_segments.Facts,
) -> pl.DataFrame:
    """The customers' RFM segments on ``maps`` (for a rule with an RFM condition)."""
    return saved_segments.rfm_segments(con, facts, maps)


def value_frame(
    con: duckdb.DuckDBPyConnection, window: Window, preset: str, *, facts: saved_segments.Facts
) -> pl.DataFrame:
    """The customers' lifetime-value tiers (for a rule with a value-tier condition)."""
    return saved_segments.value_tiers(con, facts)


def evaluate(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    preset: str,
    rule_text: str,
    name: str,
    *,
    facts: saved_segments.Facts,
    rfm_frame: pl.DataFrame | None = None,
    value_frame: pl.DataFrame | None = None,
) -> saved_segments.SegmentResult:
    """The rule's customers now (the Build and save tab). On the store's connection even when the rule reads
    only the facts: 6 ms a rule at 100k lines, against 20 ms without it (``con`` None; measured 2026-12-02)."""
    return saved_segments.evaluate(
        con, facts, rule_from_text(rule_text), name=name, rfm_frame=rfm_frame, value_frame=value_frame
    )


def history(
    con: duckdb.DuckDBPyConnection, window: Window, preset: str, rule_text: str
) -> saved_segments.SegmentHistory:
    """The rule evaluated at each month's end (the Over time tab)."""
    return saved_segments.history(con, window, rule_from_text(rule_text), preset)


def migration(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    preset: str,
    rule_text: str,
    first: date,
    second: date,
    name: str,
) -> saved_segments.SegmentMigration:
    """Who joined and who left the segment between the two dates (the Over time tab)."""
    return saved_segments.segment_migration(
        con, window, rule_from_text(rule_text), first, second, preset, name=name
    )


def migration_dates(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[date, date]:
    """The two dates the Over time tab's comparison starts with."""
    return saved_segments.default_migration_dates(con, window)


def behaviour_clusters(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    preset: str,
    k_range: tuple[int, int],
    *,
    facts: saved_segments.Facts,
) -> clusters.Clusters:
    """The customers clustered by behaviour (k-means for each number of clusters in ``k_range``)."""
    return clusters.cluster_customers(
        facts.frame, facts.window, preset=preset, k_range=k_range, data_version=facts.data_version
    )
