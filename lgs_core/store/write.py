"""One write of the data set: a file load, demo data or a PostgreSQL sync, the same way every time.

Used so (a file load)::

    with write_data_set(con, kind="file", source="a.csv", fingerprint=fp, loaded_by=who) as w:
        ...                                   # (validate the lines)
        load_id = w.start("append")           # the load id; "replace" or "full" first clears the data set
        w.add(read, *ingest.write_validated(con, load_id, "a.csv"))   # once per chunk written
    result = w.result(started=started, notes=notes)

The block runs in one transaction (``store.transaction``): when it ends, the load is logged and the summaries
are refreshed (only for the new lines when adding to summaries that were current), then it commits; an
error anywhere rolls everything back, so the store is as it was (a full disk gives its space back there).
A replace keeps the replaced data set (``store.clear_data``, ``lgs_core.store.history``). The caller
writes its own lines (``store.insert_staged_lines`` checks the disk has room) and refuses what it must
(a replace by nothing) by raising inside the block.

A restore (``history.restore``) is not written this way: it writes no lines, it renames kept tables back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from lgs_core.store import store

# The load log's modes: a replacing one starts a new data set ("the loads since the last replace", the
# append check and the watermark read load_log so), an adding one adds to the current set.
REPLACING_MODES = ("replace", "full")  # a file or demo data; a full sync
ADDING_MODES = ("append", "incremental")  # a file with --append; an incremental sync


@dataclass
class DataSetWrite:
    """A write of the data set under way (``write_data_set``): what it is, its load id and its counts."""

    con: duckdb.DuckDBPyConnection
    kind: str  # file | demo | postgres
    source: str
    fingerprint: str  # may be set before the block ends, when it depends on what was written (a sync's)
    loaded_by: str | None
    summaries_were_current: bool  # before this write's lines arrived
    mode: str = ""
    load_id: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    loaded_at: datetime | None = None

    @property
    def replaces(self) -> bool:
        return self.mode in REPLACING_MODES

    def start(self, mode: str) -> int:
        """Take the load id for ``mode`` (REPLACING_MODES or ADDING_MODES); a replacing mode clears the data
        set first (kept for a restore). Returns the load id the lines are written under."""
        if self.mode:
            raise RuntimeError("a data-set write is started once")
        if mode not in REPLACING_MODES + ADDING_MODES:
            raise ValueError(f"unknown load mode {mode!r}")
        self.mode = mode
        self.load_id = store.next_load_id(self.con)
        if self.replaces:
            store.clear_data(self.con)
        return self.load_id

    def add(self, read: int, loaded: int, quarantined: int, reasons: Mapping[str, int]) -> None:
        """Count lines written: ``read`` lines, of which ``loaded`` went to the lines and ``quarantined`` to
        the quarantine, by reason (a sync adds each chunk's)."""
        self.rows_read += read
        self.rows_loaded += loaded
        self.rows_quarantined += quarantined
        for reason, count in reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count

    def result(self, *, started: float, notes: list[str] | None = None) -> store.LoadResult:
        """What the committed write did (its counts must reconcile); ``started``: ``time.perf_counter()``
        when the caller began (reading the file, generating the lines)."""
        return store.LoadResult(
            source=self.source,
            kind=self.kind,
            mode=self.mode,
            fingerprint=self.fingerprint,
            load_id=self.load_id,
            rows_read=self.rows_read,
            rows_loaded=self.rows_loaded,
            rows_quarantined=self.rows_quarantined,
            quarantine_reasons=dict(self.reasons),
            loaded_at=self.loaded_at,
            seconds=time.perf_counter() - started,
            notes=notes,
        )


@contextmanager
def write_data_set(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str,
    source: str,
    fingerprint: str = "",
    loaded_by: str | None = None,
) -> Iterator[DataSetWrite]:
    """Change the data set in one transaction (see the module's docstring): the block calls ``start`` once,
    writes its lines and counts them with ``add``; at its end the load is logged (``store.log_load``) and
    the summaries refreshed, inside the transaction. ``loaded_by``: who (default the OS user)."""
    with store.transaction(con):
        write = DataSetWrite(
            con,
            kind=kind,
            source=source,
            fingerprint=fingerprint,
            loaded_by=loaded_by,
            summaries_were_current=store.summaries_are_current(con),
        )
        yield write
        if not write.mode:
            raise RuntimeError("the data-set write was never started (DataSetWrite.start)")
        write.loaded_at = store.log_load(
            con,
            load_id=write.load_id,
            kind=kind,
            source=source,
            fingerprint=write.fingerprint,
            mode=write.mode,
            rows_read=write.rows_read,
            rows_loaded=write.rows_loaded,
            rows_quarantined=write.rows_quarantined,
            loaded_by=loaded_by,
        )
        # Only the new lines' invoices and customers when adding to current summaries; else all of them.
        added = not write.replaces and write.summaries_were_current
        store.refresh_summaries(con, write.load_id if added else None)
