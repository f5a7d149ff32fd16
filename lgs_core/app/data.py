"""The Data page's model: what the store holds, where it came from, what was quarantined and why, and what a
load did in one line. ``data_status(con, path)`` is the page's one call; ``quarantine_csv(con)`` its download.
Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from lgs_core.analyses import export
from lgs_core.app.figures import run_view
from lgs_core.store import store

QUARANTINE_SAMPLE_ROWS = 1_000


@dataclass(frozen=True)
class DataStatus:
    """The Data page: what the store holds, where it came from, and what was quarantined and why."""

    info: store.StoreInfo
    reasons: pl.DataFrame  # reason, lines, first_source, first_row (most lines first)
    quarantine_sample: pl.DataFrame  # the first QUARANTINE_SAMPLE_ROWS quarantined lines
    quarantine_customers: int = 0  # distinct customer numbers in the quarantine (its download is logged)

    @property
    def source_text(self) -> str:
        latest = self.info.loads[-1] if self.info.loads else None
        if latest is None:
            return "nothing loaded yet"
        return f"{latest['source']} ({latest['kind']}, loaded {latest['loaded_at']})"


def is_demo_data(info: store.StoreInfo) -> bool:
    """Whether the data set holds generated demo lines (the first-run banner says so until a real load)."""
    return any(load.get("kind") == "demo" for load in info.loads)


def _held(info: store.StoreInfo) -> str:
    if is_demo_data(info) and all(load.get("kind") == "demo" for load in info.loads):
        return "demo data"
    sources = list(dict.fromkeys(str(load.get("source")) for load in info.loads))
    if len(sources) > 2:
        return f"{len(sources)} loads"
    return " and ".join(sources) or "the data set"


def load_message(before: store.StoreInfo, result: store.LoadResult) -> str:
    """What a load did, in one line: "online_retail_II.xlsx: 1,067,368 lines loaded, 3 quarantined; replaced
    the 1,000,000 lines of demo data." (``before``: the store just before the load)."""
    text = f"{result.source}: {result.rows_loaded:,} lines loaded, {result.rows_quarantined:,} quarantined"
    if before.lines == 0:
        return f"{text}; the store was empty."
    if result.mode == "append":
        return f"{text}; added to the {before.lines:,} lines of {_held(before)}."
    return f"{text}; replaced the {before.lines:,} lines of {_held(before)}."


def data_status(con: duckdb.DuckDBPyConnection, path: str = "") -> DataStatus:
    info = store.store_info(con, path)
    reasons = run_view(con, "quarantine_reasons", {}).sort(["lines", "reason"], descending=[True, False])
    sample = run_view(con, "quarantine_lines", {}).sort(
        "load_id", "source", "sheet", "source_row", nulls_last=True
    )
    customers = int(run_view(con, "quarantine_customers", {})["customers"][0])
    return DataStatus(info, reasons, sample.head(QUARANTINE_SAMPLE_ROWS), customers)


def quarantine_csv(con: duckdb.DuckDBPyConnection) -> bytes:
    """Every quarantined line with its reason, as CSV (formulas neutralised)."""
    frame = run_view(con, "quarantine_lines", {}).sort(
        "load_id", "source", "sheet", "source_row", nulls_last=True
    )
    return export.frame_to_csv(frame)
