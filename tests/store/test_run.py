"""The one query runner (lgs_core.query.run): which files read a summary, parameters, and a real store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from fixtures.helpers import Line, make_store

from lgs_core.query.run import reads_summary, rows, run, scalar, tables_in
from lgs_core.query.window import Window
from lgs_core.store import store

LINES: list[Line] = [
    ("536365", "85123A", 6, "2010-12-01 08:26", "2.55", 17850, "United Kingdom"),
    ("536366", "22633", 2, "2010-12-03 09:00", "1.85", 17850, "United Kingdom"),
    ("536367", "84879", 4, "2011-01-05 10:30", "1.69", 13047, "France"),
]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    # make_store does not refresh the summaries: the store has none, as one written before they existed.
    with make_store(tmp_path / "store.duckdb", LINES) as opened:
        yield opened


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ("select * from lines", {"lines"}),
        (
            "select 1 from main.invoice_summary as s join customer_first c on true",
            {"invoice_summary", "customer_first"},
        ),
        ("SELECT x FROM Invoice_Summary", {"invoice_summary"}),
        ("-- reads invoice_summary? no: from invoice_summary in a comment\nselect 1 from lines", {"lines"}),
        ("select extract(year from invoice_date) from lines", {"invoice_date", "lines"}),
        ("select 1", set()),
    ],
)
def test_the_tables_a_query_reads(sql: str, tables: set[str]) -> None:
    assert tables_in(sql) == tables


@pytest.mark.parametrize(
    ("name", "reads"),
    [
        ("analytics/totals", True),
        ("analytics/rfm_base", True),
        ("views/kpis", True),
        ("segments/segment_facts", True),
        ("segments/segment_reference", True),
        ("views/quarantine_lines", False),
        ("segments/cohort_activity", False),
        ("store/bounds", False),
        ("store/summaries", False),  # it computes the summary from the lines
    ],
)
def test_which_files_read_a_summary(name: str, reads: bool) -> None:
    assert reads_summary(name) is reads


def test_a_summary_query_runs_on_a_store_without_summaries(con: duckdb.DuckDBPyConnection) -> None:
    assert not store.summaries_are_current(con)
    totals = run(con, "analytics/totals", Window().params()).row(0, named=True)
    assert totals["lines"] == len(LINES)


def test_only_the_parameters_a_file_uses_are_bound(con: duckdb.DuckDBPyConnection) -> None:
    params = {**Window(countries=("France",)).params(), "unused": 1}
    assert run(con, "analytics/totals", params)["lines"].to_list() == [1]
    with pytest.raises(ValueError, match=r"\$countries"):
        run(con, "analytics/totals", {"start": datetime(2010, 1, 1)})


def test_rows_and_scalar(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(con, "store/bounds") == [(datetime(2010, 12, 1, 8, 26), datetime(2011, 1, 5, 10, 30))]
    assert sorted(r[0] for r in rows(con, "store/countries")) == ["France", "United Kingdom"]
    assert scalar(con, "store/saved_segments_table") == 0
