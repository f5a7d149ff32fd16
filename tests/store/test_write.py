"""The one write path of the data set (``lgs_core.store.write``): a load, demo data and a sync all go through
``write_data_set``. What it promises, on a real store: the load logged with its counts, the replaced set kept,
the summaries current afterwards (only the new lines' invoices recomputed when adding to current ones), and
a failure anywhere leaves the store exactly as it was."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fixtures.helpers import assert_summaries_equal_a_rebuild

from lgs_core.sources.demo import generate_lines
from lgs_core.store import store
from lgs_core.store.write import DataSetWrite, write_data_set


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = store.connect(tmp_path / "store.duckdb")
    yield connection
    connection.close()


def _write_lines(w: DataSetWrite, frame: pl.DataFrame, load_id: int) -> None:
    w.con.register("staged_lines", frame)
    try:
        store.insert_staged_lines(w.con, load_id)
    finally:
        w.con.unregister("staged_lines")
    w.add(frame.height, frame.height, 0, {})


def _write(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, mode: str, source: str) -> store.LoadResult:
    started = time.perf_counter()
    with write_data_set(con, kind="demo", source=source, fingerprint=f"fp {source}", loaded_by="ann") as w:
        _write_lines(w, frame, w.start(mode))
    return w.result(started=started, notes=["a note"])


def _everything(con: duckdb.DuckDBPyConnection) -> list[object]:
    """All the store holds: equal lists mean an unchanged store."""
    tables = [
        str(r[0])
        for r in con.sql(
            "select table_name from duckdb_tables() where database_name = current_database() order by 1"
        ).fetchall()
    ]
    return [tables, *(con.sql(f"select * from main.{t} order by all").fetchall() for t in tables)]


def test_a_replace_and_an_append_are_logged_counted_and_keep_the_replaced_set(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first = _write(con, generate_lines(300, seed=1), "replace", "first")
    assert (first.mode, first.kind, first.source, first.rows_read, first.rows_loaded) == (
        "replace",
        "demo",
        "first",
        300,
        300,
    )
    assert first.loaded_at is not None and first.notes == ["a note"] and first.seconds >= 0
    second = _write(con, generate_lines(200, seed=2), "replace", "second")
    assert store.scalar(con, "select count(*) from kept_sets") == 1  # the first set, kept for a restore
    third = _write(con, generate_lines(50, seed=3), "append", "third")
    assert store.scalar(con, "select count(*) from lines") == 250
    assert_summaries_equal_a_rebuild(con)
    log = con.sql(
        "select load_id, kind, source, fingerprint, mode, rows_read, rows_loaded, rows_quarantined, loaded_by "
        "from load_log order by load_id"
    ).fetchall()
    assert log == [
        (first.load_id, "demo", "first", "fp first", "replace", 300, 300, 0, "ann"),
        (second.load_id, "demo", "second", "fp second", "replace", 200, 200, 0, "ann"),
        (third.load_id, "demo", "third", "fp third", "append", 50, 50, 0, "ann"),
    ]
    assert store.scalar(con, "select count(*) from lines where load_id = $id", {"id": third.load_id}) == 50


@pytest.mark.parametrize(
    ("mode", "stale_before", "recomputed"),
    [
        ("append", False, False),  # adding to current summaries: only the new lines' invoices
        ("incremental", False, False),
        ("append", True, True),  # summaries stale before: all rebuilt
    ],
)
def test_adding_to_current_summaries_recomputes_only_the_new_lines_invoices(
    con: duckdb.DuckDBPyConnection, mode: str, stale_before: bool, recomputed: bool
) -> None:
    _write(con, generate_lines(300, seed=1), "replace", "first")
    # An invoice the new lines do not touch (theirs all start with X), its summary row changed: the summaries
    # stay "current" (their freshness is a line count), so only a rebuild of that row puts it right again.
    untouched = store.scalar(con, "select min(invoice) from invoice_summary")
    con.execute("update invoice_summary set lines = 999 where invoice = $i", {"i": untouched})
    if stale_before:
        con.execute("delete from store_meta where key = $key", {"key": store.SUMMARY_KEY})
    new = generate_lines(40, seed=7).with_columns(("X" + pl.col("invoice")).alias("invoice"))
    _write(con, new, mode, "new")
    assert store.summaries_are_current(con)
    lines = store.scalar(con, "select sum(lines) from invoice_summary where invoice = $i", {"i": untouched})
    assert (lines != 999) == recomputed
    for name, key in (("invoice_summary", "invoice"), ("customer_first", "customer_id")):
        touched = f"{key} in (select {key} from lines where invoice like 'X%')"
        held = con.sql(f"select * from main.{name} where {touched} order by all").fetchall()
        rebuilt = con.sql(
            f"select * from ({store.summary_sql(name)}) where {touched} order by all"
        ).fetchall()
        assert held == rebuilt and len(held) > 0, name  # the new lines are summarised either way


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_a_failure_inside_the_write_leaves_the_store_as_it_was(
    con: duckdb.DuckDBPyConnection, mode: str
) -> None:
    _write(con, generate_lines(300, seed=1), "replace", "first")
    before = _everything(con)
    with (
        pytest.raises(OSError, match="the machine fails"),
        write_data_set(con, kind="file", source="b.csv", fingerprint="fp") as w,
    ):
        _write_lines(w, generate_lines(100, seed=2), w.start(mode))  # lines written, set kept...
        raise OSError("the machine fails")  # ...then
    assert _everything(con) == before


def test_a_write_that_never_starts_is_refused_and_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    _write(con, generate_lines(100, seed=1), "replace", "first")
    before = _everything(con)
    with pytest.raises(RuntimeError, match="never started"), write_data_set(con, kind="file", source="a.csv"):
        pass
    assert _everything(con) == before


def test_a_write_starts_once_in_a_known_mode(con: duckdb.DuckDBPyConnection) -> None:
    with (
        pytest.raises(ValueError, match="unknown load mode 'merge'"),
        write_data_set(con, kind="file", source="a") as w,
    ):
        w.start("merge")
    with pytest.raises(RuntimeError, match="started once"), write_data_set(con, kind="file", source="a") as w:
        w.start("replace")
        w.start("append")
    assert store.scalar(con, "select count(*) from load_log") == 0


def test_a_fingerprint_known_only_after_writing_is_the_one_logged(con: duckdb.DuckDBPyConnection) -> None:
    """A sync's fingerprint names the newest line it wrote: set before the block ends."""
    with write_data_set(con, kind="postgres", source="table retail") as w:
        _write_lines(w, generate_lines(20, seed=1), w.start("full"))
        w.fingerprint = "after"
    assert con.sql("select mode, fingerprint from load_log").fetchall() == [("full", "after")]
    assert w.result(started=time.perf_counter()).fingerprint == "after"
