"""The store: one DuckDB file holding the lines, the quarantine and the load log.

Where it lives: ``--db``, else env ``LGS_DB``, else ``default_db_path()``
(``$XDG_DATA_HOME/lgs-explorer/lgs.duckdb``, i.e. ``~/.local/share/lgs-explorer/lgs.duckdb``).

Every change of the data set happens inside one transaction (``lgs_core.store.write.write_data_set`` for a
load, demo data or a sync; ``history.restore``), so a failed load or sync leaves the store exactly as it was.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from lgs_core.errors import LgsError, StoreBusyError, file_errors
from lgs_core.sqlfiles import read_sql

DEFAULT_DB_NAME = "lgs.duckdb"


# Every connection the product opens to a store: DuckDB never fetches or loads an extension by itself. Given
# a SQLite file as the store, DuckDB 2.0 otherwise tried to download sqlite_scanner from the internet (8 s
# here, with no network, then an IO error the CLI called "check the path is readable").
CONNECT_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
}


class StoreCorruptError(LgsError):
    """The store file is not a readable DuckDB database (damaged, or another kind of file)."""


class StoreFullError(LgsError):
    """The disk holding the store has no room for a write: nothing was written."""


def default_db_path() -> Path:
    """The store used when neither ``--db`` nor ``LGS_DB`` is given."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lgs-explorer" / DEFAULT_DB_NAME


def resolve_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """``db`` if given, else env ``LGS_DB``, else the default path."""
    if db:
        return Path(db)
    env = os.environ.get("LGS_DB")
    if env:
        return Path(env)
    return default_db_path()


def _lock_holder(message: str) -> str:
    # DuckDB names the holding process in its lock error ("... (PID 1234) ..."): pass that on.
    marker = "PID"
    if marker in message:
        tail = message[message.index(marker) :]
        return tail.split(")")[0].strip()
    return "another process"


# DuckDB's words for another process holding the file. Only these: a bare "lock" also matched "block" in
# "Corrupt database file: ... in block at location 4096", so a damaged header waited 10 s and was called busy.
_LOCK_HELD = "could not set lock on file"


def scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for work beside the store (validating a file for PostgreSQL, a sync's chunks, a
    rule over given frames), under the same rule: no extension fetched or loaded by itself."""
    return duckdb.connect(config=CONNECT_CONFIG)


def connect(
    db: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    wait_seconds: float = 10.0,
) -> duckdb.DuckDBPyConnection:
    """Open the store (creating the file and its tables when writable and new).

    When another process holds the file for writing, retry for ``wait_seconds`` and then raise a
    ``StoreBusyError`` that names the holder. A damaged file (or another kind of file) raises a
    ``StoreCorruptError`` at once, without waiting.
    """
    path = resolve_db_path(db)
    if read_only and not path.exists():
        raise LgsError(
            "no store yet",
            where=str(path),
            todo="load data first: `python -m lgs_core demo` or `python -m lgs_core load FILE`",
        )
    if not read_only:
        with file_errors(
            "cannot create the store's folder",
            where=str(path.parent),
            todo="choose a writable location with --db or LGS_DB",
        ):
            path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    odd_failures = 0
    _yield_to_waiting_writer(path, deadline)
    waiting = _WaitingMark(path)
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=CONNECT_CONFIG)
            waiting.clear()
            break
        except duckdb.Error as exc:
            message = _without_path(str(exc), path)
            known = failure(exc, path)
            if known is not None:  # damage, a full disk, a folder: the same answer every time, so at once
                waiting.clear()
                raise known from None
            locked = _LOCK_HELD in message.lower()
            if locked:
                waiting.set()  # others now leave a gap for us (see _yield_to_waiting_writer)
            # Threads of one process opening the same file at once race in DuckDB's instance cache
            # ("already attached"): a moment later the open succeeds, so that is not damage.
            racing = isinstance(exc, duckdb.ResourceInUseException) or "already attached" in message
            if (locked or racing) and time.monotonic() < deadline:
                time.sleep(0.2 if locked else 0.02)
                continue
            waiting.clear()
            if locked:
                raise StoreBusyError(
                    f"the store is in use by {_lock_holder(message)}",
                    where=str(path),
                    todo="wait for that load or sync to finish, then try again",
                ) from None
            odd_failures += 1
            if odd_failures < 3 and time.monotonic() < deadline:  # a hiccup passes; the rest fails every time
                time.sleep(0.1)
                continue
            raise LgsError(
                f"cannot open the store ({str(exc).splitlines()[0]})",
                where=str(path),
                todo="check the path is readable and writable, then try again",
            ) from None
    if not read_only:
        try:
            con.execute(read_sql("store/schema.sql"))
        except duckdb.Error as exc:
            con.close()
            known = failure(exc, path)
            if known is None:
                raise
            raise known from None
    return con


def _without_path(message: str, path: Path) -> str:
    """DuckDB's message with the store's path taken out: a folder named "locks" or "blocks" says nothing."""
    return message.replace(str(path), "FILE").replace(str(path.resolve()), "FILE")


# What DuckDB says when the store file's own bytes are at fault, whichever block it meets first (matched
# without the path). Each was met in tests/e2e/test_failures.py by writing that damage into a real store.
_DAMAGE = {
    "not a valid duckdb database file": "not a DuckDB database",  # its header overwritten, or another file
    "corrupt database file": "a block fails its checksum",  # a header or data block overwritten
    "could not read enough bytes": "the file is shorter than its contents (truncated)",
    "failure while replaying wal": "its write-ahead log (FILE.wal) is damaged or belongs to another database",
    "is an existing extension": "not a DuckDB database",  # a format DuckDB reads only with an extension
}
# The first bytes of files often given by mistake: the message says what the file is.
_OTHER_FILES = {
    b"SQLite format 3\x00": "a SQLite database",
    b"PK\x03\x04": "a zip file (an .xlsx workbook?)",
    b"PAR1": "a Parquet file",
    b"\xd0\xcf\x11\xe0": "an old Office file (.xls?)",
}
# ENOSPC and EDQUOT as the C library words them (DuckDB passes strerror on).
_NO_SPACE = ("no space left on device", "disk quota exceeded")


def failure(exc: BaseException, db: str | os.PathLike[str] | None = None) -> LgsError | None:
    """The one-line error a failure met on the store stands for, when it is about the store's file: damage
    (found at open, or later by the query that reads a damaged block), a full disk, a folder where the
    file should be, no permission. None when it is something else.

    The exception's chain is searched too: a statement after DuckDB's IO error (e.g. an ``unregister`` in a
    ``finally``) fails with "Current transaction is aborted", which hides the cause.
    """
    path = resolve_db_path(db)
    for cause in _chain(exc):
        if isinstance(cause, LgsError):
            return cause
        if not isinstance(cause, duckdb.Error):
            continue
        text = _without_path(str(cause), path)
        message = text.lower()
        if _LOCK_HELD in message:
            return None
        if "is an existing extension" in message:  # (it names the extension's file, not the store)
            return _corrupt(path, _file_kind(path) or _DAMAGE["is an existing extension"])
        if any(not name.startswith("FILE") for name in re.findall(r'"([^"]*)"', text)):
            continue  # about another file (an input file, a temporary folder elsewhere): not the store's
        if any(words in message for words in _NO_SPACE):
            return _no_space(path)
        for words, detail in _DAMAGE.items():
            if words in message:
                return _corrupt(path, _file_kind(path) or detail)
        if "is a directory" in message:
            return LgsError(
                "the store's path is a folder, not a DuckDB file",
                where=str(path),
                todo=f"name the store's file with --db or LGS_DB, e.g. {path / DEFAULT_DB_NAME}",
            )
        if "read-only file system" in message:
            return LgsError(
                "the store's disk is read-only",
                where=str(path),
                todo="choose a store on a writable disk with --db or LGS_DB (reading it works: `info`, the analyses)",
            )
        if "permission denied" in message:
            return LgsError(
                "cannot open the store: permission denied",
                where=str(path),
                todo="give this user read and write access to the file and its folder, "
                "or choose another store with --db or LGS_DB",
            )
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _file_kind(path: Path) -> str | None:
    """What the store file is, when its first bytes say it is something else than a DuckDB database."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError:
        return None
    if not head:
        return "the file is empty"
    for magic, kind in _OTHER_FILES.items():
        if head.startswith(magic):
            return f"not a DuckDB database: it is {kind}"
    return None


class _WaitingMark:
    """``FILE.waiting``: this process is waiting for the store's lock. DuckDB lets one process hold the file;
    without the mark, an app whose sessions open it often could starve a CLI load for good."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".waiting")
        self.mine = False

    def set(self) -> None:
        if not self.mine:
            with suppress(OSError):
                self.path.write_text(str(os.getpid()))
                self.mine = True

    def clear(self) -> None:
        if self.mine:
            with suppress(OSError):
                self.path.unlink()
            self.mine = False


def _yield_to_waiting_writer(path: Path, deadline: float) -> None:
    """Leave the store alone while another process waits for it (a fresh mark of someone else's), briefly."""
    mark = path.with_name(path.name + ".waiting")
    limit = min(deadline, time.monotonic() + 5.0)
    while time.monotonic() < limit:
        try:
            owner = mark.read_text().strip()
            fresh = time.time() - mark.stat().st_mtime < 15
        except OSError:
            return
        if owner == str(os.getpid()) or not fresh:
            return
        time.sleep(0.05)


def _corrupt(path: Path, detail: str = "not a readable DuckDB database") -> StoreCorruptError:
    wal = path.with_name(path.name + ".wal")
    move = f"mv {path} {path}.corrupt" + (f" && mv {wal} {path}.corrupt.wal" if wal.exists() else "")
    return StoreCorruptError(
        f"the store file is damaged: {detail.replace('FILE', path.name)}",
        where=str(path),
        todo=f"rebuild it from its source: move it aside (`{move}`) and run "
        "`python -m lgs_core demo`, `load FILE` or `sync` again (the app's Rebuild button does this)",
    )


def set_aside(db: str | os.PathLike[str]) -> Path:
    """Move a damaged store file (and its WAL) aside as ``FILE.corrupt-<time>``, kept for a post-mortem;
    the next ``connect`` creates a new, empty store in its place. Returns where the file went."""
    path = Path(db)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    with file_errors(
        "cannot move the damaged store aside",
        where=str(path),
        todo="delete or move the file yourself, then load the data again",
    ):
        path.rename(target)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            wal.rename(target.with_name(target.name + ".wal"))
    return target


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: all of it lands, or none of it.

    A failure that is about the store's file (damage met by a query: see ``failure``) is raised as its
    one-line ``LgsError``. When the disk filled up, ``con`` is closed (it cannot write anyway) and the
    blocks the write had added to the file are given back (``_give_back_space``).
    """
    path = _database_path(con)
    size_before = _size(path)
    con.execute("begin transaction")
    try:
        yield con
        con.execute("commit")
    except BaseException as exc:
        with suppress(duckdb.Error):  # an invalidated database cannot roll back; the cause matters more
            con.execute("rollback")
        known = failure(exc, path) if path is not None and isinstance(exc, Exception) else None
        if known is None or known is exc:
            raise
        if (
            isinstance(known, StoreFullError)
            and path is not None
            and all(k is not known for k in _chain(exc))
        ):
            con.close()  # DuckDB's own no-space error (not check_space's): the write had begun
            known = _no_space(path, _give_back_space(path, size_before))
        raise known from exc


def _database_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    rows = con.sql(read_sql("store/database_path.sql")).fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


# --- a full disk ----------------------------------------------------------------------------------------------

# What a write needs on disk, per line and once: DuckDB's file grew by 1.6 MB + 16 bytes a line replacing
# demo data (3.1 MB for 100k lines, 17.3 MB for 1M) and by 2.4 MB for the real sample's 34,766 lines (its
# descriptions are richer); twice that leaves room for the summaries, the WAL and data richer still. A
# replace needs it all at once: the old lines' blocks are freed only when the new ones are committed.
_BYTES_PER_LINE = 48
_BYTES_PER_WRITE = 4 * 1024 * 1024
_MB = 1024 * 1024


def check_space(con: duckdb.DuckDBPyConnection, lines: int) -> None:
    """Refuse (``StoreFullError``, nothing written) a write of ``lines`` lines that the store's disk has no
    room for: better than filling the disk and failing halfway."""
    path = _database_path(con)
    if path is None:  # an in-memory database
        return
    needed = _BYTES_PER_WRITE + _BYTES_PER_LINE * lines
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return
    if free < needed:
        need_mb, free_mb = _megabytes(needed), free // _MB  # rounded so that the difference is enough
        raise StoreFullError(
            f"not enough free space for the store: this write of {lines:,} lines needs about "
            f"{need_mb} MB, {free_mb} MB is free",
            where=str(path.parent),
            todo=f"free {need_mb - free_mb} MB there, or choose another store with --db or LGS_DB "
            "(the store is unchanged)",
        )


def _megabytes(size: int) -> int:
    return max(1, math.ceil(size / _MB))


def _size(path: Path | None) -> int | None:
    try:
        return path.stat().st_size if path is not None else None
    except OSError:
        return None


def _no_space(path: Path, taken: int = 0) -> StoreFullError:
    """The disk filled up during a write (rolled back); ``taken``: the bytes it had written by then."""
    more = f"more than {_megabytes(taken)} MB" if taken > 0 else "some space"
    return StoreFullError(
        "no space left on the disk: the write stopped when it filled up, and was undone",
        where=str(path.parent),
        todo=f"free {more} there, or choose another store with --db or LGS_DB (the store is unchanged)",
    )


def _give_back_space(path: Path, size_before: int | None) -> int:
    """Shrink the store file back after a write that filled the disk and was rolled back; return how many
    bytes the write had added to it.

    DuckDB writes a big insert straight into new blocks at the file's end; after the rollback the file stays
    grown (measured: 2.3 MB grown to fill a 6 MB disk stayed 6.0 MB after ROLLBACK, CHECKPOINT, FORCE
    CHECKPOINT, VACUUM and a reopen). A new DuckDB instance sees those blocks as free, and a checkpoint
    that writes something truncates the free end of the file; on a full disk a commit cannot write its WAL,
    but with ``checkpoint_threshold`` 0 it checkpoints instead. So a new connection adds and removes a
    ``store_meta`` row (the data is as it was), and the file is back to about its size. When another
    connection of this process still has the store open (another session of the app), DuckDB refuses a
    connection with another configuration, and the space is given back by a later checkpoint.
    """
    grown = _size(path)
    taken = grown - size_before if grown is not None and size_before is not None else 0
    try:
        con = duckdb.connect(str(path), config={**CONNECT_CONFIG, "checkpoint_threshold": "0b"})
    except duckdb.Error:
        return taken
    try:
        total, block, free = con.sql(read_sql("store/database_size.sql")).fetchall()[0]
        if free or (grown or 0) - total * block > block:  # free blocks, or blocks past the last one used
            con.execute(read_sql("store/give_back_space_mark.sql"))
            con.execute(read_sql("store/give_back_space_unmark.sql"))
    except duckdb.Error:
        pass
    finally:
        con.close()
    return taken


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> object:
    """The single value a query returns (the result is drained: DuckDB 2.0 results stream)."""
    rows = con.execute(sql, params or {}).fetchall()
    return rows[0][0] if rows else None


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, read_sql("store/next_load_id.sql")))  # type: ignore[call-overload]


def fingerprint_is_loaded(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Whether a load with this fingerprint is part of the current data set (since the last replace)."""
    found = scalar(con, read_sql("store/fingerprint_loaded.sql"), {"fp": fingerprint})
    return bool(found)


def clear_data(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the current data set (inside the caller's transaction). It is kept, for a restore: its tables
    are renamed aside in the same transaction (``lgs_core.store.history``), so a failed load keeps it in place."""
    from lgs_core.store import history  # history reads this module's helpers

    history.keep_current(con)
    con.execute(read_sql("store/delete_lines.sql"))
    con.execute(read_sql("store/delete_quarantine.sql"))
    _mark_summaries_stale(con)


def insert_staged_lines(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Insert the relation ``staged_lines`` (canonical typed columns) into ``lines`` with derived flags,
    when the disk has room for them (``check_space``)."""
    check_space(con, int(scalar(con, read_sql("store/staged_lines_count.sql"))))  # type: ignore[call-overload]
    con.execute(read_sql("store/insert_lines.sql"), {"load_id": load_id})
    _mark_summaries_stale(con)


# --- summaries (issue #3): what the analyses read instead of every line --------------------------------------

# store_meta's key for the summaries' freshness: the number of lines they were built from. Any write to
# `lines` through this module removes it, and the analyses then read the lines directly (still exact). The
# key names the summaries' version: a store whose summaries predate `customer_first` is read as stale.
SUMMARY_KEY = "summaries_v2_lines"

# The summary tables, in the order they are built (a later one may read an earlier one): sql/store/<name>.sql.
SUMMARY_TABLES = ("invoice_summary", "customer_first")
_SUMMARY_SQL = {"invoice_summary": "store/summaries.sql", "customer_first": "store/customer_first.sql"}
# Sorted so a date window skips whole row groups (DuckDB's zone maps); customers by id.
_SUMMARY_ORDER = {"invoice_summary": "invoice_date, invoice", "customer_first": "customer_id"}


def summary_sql(name: str) -> str:
    """The query that computes summary table ``name`` (one of SUMMARY_TABLES) from the store."""
    return read_sql(_SUMMARY_SQL[name])


def refresh_summaries(con: duckdb.DuckDBPyConnection, added_load: int | None = None) -> None:
    """Bring the summary tables (``invoice_summary``, ``customer_first``) up to the lines; mark them current.

    Call at the end of every transaction that changes the lines (load, demo generation, sync), inside it:
    the summaries then change with the lines, or not at all. ``added_load``: the transaction only added
    the lines of this load, and the summaries were current before it (``summaries_are_current`` asked
    first): then only the invoices and customers of the new lines are recomputed, all their lines included,
    so an incremental sync of 10k lines does not rebuild a summary of millions. Otherwise both are rebuilt.
    """
    if added_load is None:
        for name in SUMMARY_TABLES:
            con.execute(
                f"create or replace table {name} as select * from ({summary_sql(name)}) as summary "
                f"order by {_SUMMARY_ORDER[name]}"
            )
    else:
        _refresh_touched(con, added_load)
    con.execute(read_sql("store/summaries_mark_current.sql"), {"key": SUMMARY_KEY})


# Each summary's key column, and its query restricted to the lines holding a key the new load touched:
# a CTE named `lines` shadows the table inside the query (sql/store/*.sql read `lines` and start `with`).
_SUMMARY_KEY_COLUMN = {"invoice_summary": "invoice", "customer_first": "customer_id"}


def _refresh_touched(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    for name in SUMMARY_TABLES:
        key = _SUMMARY_KEY_COLUMN[name]
        touched = f"select distinct {key} from main.lines where load_id = $load_id and {key} is not null"
        query = summary_sql(name)
        start = query.index("\nwith ") + len("\nwith ")
        restricted = (
            query[:start]
            + f"lines as (select * from main.lines where {key} in ({touched})),\n"
            + query[start:]
        )
        con.execute(f"delete from {name} where {key} in ({touched})", {"load_id": load_id})
        con.execute(
            f"insert into {name} select * from ({restricted}) as summary order by {_SUMMARY_ORDER[name]}",
            {"load_id": load_id},
        )


def summaries_are_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the summary tables were built from the lines now in the store."""
    current = scalar(con, read_sql("store/summaries_current.sql"), {"key": SUMMARY_KEY})
    return bool(current)


def read_summaries(con: duckdb.DuckDBPyConnection) -> None:
    """Make the summary names (``invoice_summary``, ``customer_first``) name the store's tables when they are
    current, else temporary views that compute them from the lines (a store written before these summaries
    existed, or lines written without a refresh): slower, never wrong. A temporary view shadows the table on
    this connection only, and works read-only. Call before a query that reads a summary.

    One query asks both whether the summaries are current and which temporary views are in place, so the
    usual call (current, no view to drop) costs one small query and no DDL.
    """
    current, shadowed = con.execute(
        read_sql("store/summaries_state.sql"),
        {"key": SUMMARY_KEY, "first": SUMMARY_TABLES[0], "second": SUMMARY_TABLES[1]},
    ).fetchall()[0]
    # The DDL below names a summary: an identifier from the fixed SUMMARY_TABLES, never a user's value.
    if current and shadowed:
        for name in SUMMARY_TABLES:
            con.execute(f"drop view if exists temp.main.{name}")
    elif not current:
        for name in SUMMARY_TABLES:
            con.execute(f"create or replace temp view {name} as {summary_sql(name)}")


def _mark_summaries_stale(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(read_sql("store/summaries_mark_stale.sql"), {"key": SUMMARY_KEY})


# The invoice dates the store accepts (README "What a load accepts"): from 1970-01-01, before any till or
# OLTP system LGS could export from, to 31 December of the year after the load (an invoice dated a few months
# ahead is real; year 2911 is a typo, and a date far from the data made cohorts and lifetime value overflow
# Python's dates and the weekly report run for minutes). Lines dated outside are quarantined, saying so.
FIRST_INVOICE_DATE = datetime(1970, 1, 1)


def accepted_invoice_dates(now: datetime | None = None) -> tuple[datetime, datetime]:
    """``(first, end)``: an invoice date ``d`` is accepted when ``first <= d < end`` (end: 1 January two
    years after ``now``'s, i.e. every moment of 31 December of the next year is accepted)."""
    year = (now or datetime.now()).year
    return FIRST_INVOICE_DATE, datetime(year + 2, 1, 1)


def date_range_reason(accepted: tuple[datetime, datetime]) -> str:
    """The quarantine reason of a line dated outside ``accepted``, stating the range."""
    first, end = accepted
    last = end.replace(year=end.year - 1, month=12, day=31)
    return f"invoice date out of range (accepted {first:%Y-%m-%d} to {last:%Y-%m-%d})"


def log_load(
    con: duckdb.DuckDBPyConnection,
    *,
    load_id: int,
    kind: str,
    source: str,
    fingerprint: str,
    mode: str,
    rows_read: int,
    rows_loaded: int,
    rows_quarantined: int,
    loaded_by: str | None = None,
) -> datetime:
    """Record a load in ``load_log``. Its watermark (where the next incremental sync resumes) is the newest
    invoice_date the store has read: of its lines, or of a quarantined line whose date text is an accepted
    timestamp (a sync's always is a timestamp), so a refused line is not read, and refused, again by every
    later sync. A date outside the accepted range (``infinity``, ``4713-01-01 00:00:00 BC``, year 2911) is
    never the watermark: it would make every later sync a full one, or skip the lines dated before it.
    ``loaded_by``: who (the signed-in e-mail; default the OS user).
    """
    if loaded_by is None:
        from lgs_core.store.access import os_user

        loaded_by = os_user()
    loaded_at = datetime.now().replace(microsecond=0)
    first, end = accepted_invoice_dates()
    con.execute(
        read_sql("store/log_load.sql"),
        {
            "first": first,
            "end": end,
            "load_id": load_id,
            "kind": kind,
            "source": source,
            "fingerprint": fingerprint,
            "mode": mode,
            "loaded_at": loaded_at,
            "rows_read": rows_read,
            "rows_loaded": rows_loaded,
            "rows_quarantined": rows_quarantined,
            "loaded_by": loaded_by,
        },
    )
    return loaded_at


@dataclass(frozen=True)
class StoreInfo:
    """What the store holds now: enough for the Data page and `lgs info`."""

    path: str
    lines: int
    quarantined: int
    invoices: int
    customers: int
    countries: int
    first_date: datetime | None
    last_date: datetime | None
    data_version: str
    loads: list[dict[str, object]]

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "lines": self.lines,
            "quarantined": self.quarantined,
            "invoices": self.invoices,
            "customers": self.customers,
            "countries": self.countries,
            "first_date": self.first_date.isoformat(sep=" ") if self.first_date else None,
            "last_date": self.last_date.isoformat(sep=" ") if self.last_date else None,
            "data_version": self.data_version,
            "loads": self.loads,
        }


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A short key that changes whenever the data set changes (caches key on it)."""
    row = con.sql(read_sql("store/data_version.sql")).fetchall()[0]
    return f"v{row[0]}-{row[1]}"


def store_info(con: duckdb.DuckDBPyConnection, path: str = "") -> StoreInfo:
    row = con.sql(read_sql("store/store_info_lines.sql")).fetchall()[0]
    quarantined = scalar(con, read_sql("store/quarantine_count.sql"))
    loads = con.sql(read_sql("store/store_info_loads.sql")).pl()
    return StoreInfo(
        path=path,
        lines=int(row[0]),
        quarantined=int(quarantined or 0),  # type: ignore[call-overload]
        invoices=int(row[1]),
        customers=int(row[2]),
        countries=int(row[3]),
        first_date=row[4],
        last_date=row[5],
        data_version=data_version(con),
        loads=loads.to_dicts(),
    )


@dataclass
class LoadResult:
    """What one load, demo generation or sync did: counts that always reconcile."""

    source: str
    kind: str
    mode: str
    fingerprint: str
    load_id: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    quarantine_reasons: dict[str, int]
    loaded_at: datetime | None = None
    seconds: float = 0.0
    notes: list[str] | None = None

    def __post_init__(self) -> None:
        # Nothing lost: every line read is loaded or quarantined.
        assert self.rows_read == self.rows_loaded + self.rows_quarantined, (
            f"counts do not reconcile: {self.rows_read} read != {self.rows_loaded} + {self.rows_quarantined}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "kind": self.kind,
            "mode": self.mode,
            "fingerprint": self.fingerprint,
            "load_id": self.load_id,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_reasons": dict(sorted(self.quarantine_reasons.items())),
            "loaded_at": self.loaded_at.isoformat(sep=" ") if self.loaded_at else None,
            "seconds": round(self.seconds, 3),
            "notes": self.notes or [],
        }
