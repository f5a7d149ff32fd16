"""The store: one DuckDB file holding the lines, the quarantine and the load log.

Where it lives: ``--db``, else env ``LGS_DB``, else ``default_db_path()``
(``$XDG_DATA_HOME/lgs-explorer/lgs.duckdb``, i.e. ``~/.local/share/lgs-explorer/lgs.duckdb``).

Every change of the data set happens inside one transaction (``replace_or_append``), so a failed load
or sync leaves the store exactly as it was.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from lgs_core.errors import LgsError, StoreBusyError
from lgs_core.sqlfiles import read_sql

DEFAULT_DB_NAME = "lgs.duckdb"


class StoreCorruptError(LgsError):
    """The store file is not a readable DuckDB database (damaged, or another kind of file)."""


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


def connect(
    db: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    wait_seconds: float = 10.0,
) -> duckdb.DuckDBPyConnection:
    """Open the store (creating the file and its tables when writable and new).

    When another process holds the file for writing, retry for ``wait_seconds`` and then raise a
    ``StoreBusyError`` that names the holder.
    """
    path = resolve_db_path(db)
    if read_only and not path.exists():
        raise LgsError(
            "no store yet",
            where=str(path),
            todo="load data first: `python -m lgs_core demo` or `python -m lgs_core load FILE`",
        )
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LgsError(
                f"cannot create the store's folder ({exc.strerror})",
                where=str(path.parent),
                todo="choose a writable location with --db or LGS_DB",
            ) from None
    deadline = time.monotonic() + wait_seconds
    odd_failures = 0
    _yield_to_waiting_writer(path, deadline)
    waiting = _WaitingMark(path)
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            waiting.clear()
            break
        except duckdb.Error as exc:
            message = str(exc)
            locked = "lock" in message.lower()
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
            if "not a valid DuckDB database file" in message:
                raise _corrupt(path) from None
            odd_failures += 1
            if odd_failures < 3 and time.monotonic() < deadline:  # damage fails every time; a hiccup does not
                time.sleep(0.1)
                continue
            if isinstance(exc, duckdb.IOException) or racing:
                raise LgsError(
                    f"cannot open the store ({message.splitlines()[0]})",
                    where=str(path),
                    todo="check the path is readable and writable, then try again",
                ) from None
            raise _corrupt(path) from None
    if not read_only:
        con.execute(read_sql("store/schema.sql"))
    return con


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


def _corrupt(path: Path) -> StoreCorruptError:
    return StoreCorruptError(
        "the store file is damaged: not a readable DuckDB database",
        where=str(path),
        todo=f"rebuild it from its source: move it aside (`mv {path} {path}.corrupt`) and run "
        "`python -m lgs_core demo`, `load FILE` or `sync` again (the app's Rebuild button does this)",
    )


def set_aside(db: str | os.PathLike[str]) -> Path:
    """Move a damaged store file (and its WAL) aside as ``FILE.corrupt-<time>``, kept for a post-mortem;
    the next ``connect`` creates a new, empty store in its place. Returns where the file went."""
    path = Path(db)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        path.rename(target)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            wal.rename(target.with_name(target.name + ".wal"))
    except OSError as exc:
        raise LgsError(
            f"cannot move the damaged store aside ({exc.strerror})",
            where=str(path),
            todo="delete or move the file yourself, then load the data again",
        ) from None
    return target


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: all of it lands, or none of it."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> object:
    """The single value a query returns (the result is drained: DuckDB 2.0 results stream)."""
    rows = con.execute(sql, params or {}).fetchall()
    return rows[0][0] if rows else None


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, "select nextval('load_id_seq')"))  # type: ignore[call-overload]


def fingerprint_is_loaded(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Whether a load with this fingerprint is part of the current data set (since the last replace)."""
    found = scalar(
        con,
        """
        select count(*) from load_log
        where fingerprint = $fp
          and load_id >= coalesce(
              (select max(load_id) from load_log where mode in ('replace', 'full')), 0)
        """,
        {"fp": fingerprint},
    )
    return bool(found)


def clear_data(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the current data set (inside the caller's transaction)."""
    con.execute("delete from lines")
    con.execute("delete from quarantine")
    _mark_summaries_stale(con)


def insert_staged_lines(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Insert the relation ``staged_lines`` (canonical typed columns) into ``lines`` with derived flags."""
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
    con.execute(
        "insert or replace into store_meta select $key, cast(count(*) as varchar) from lines",
        {"key": SUMMARY_KEY},
    )


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
    current = scalar(
        con,
        "select (select value from store_meta where key = $key) = cast((select count(*) from lines) as varchar)",
        {"key": SUMMARY_KEY},
    )
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
        """
        select
            (select value from store_meta where key = $key) = cast((select count(*) from lines) as varchar),
            (select count(*) from duckdb_views() where temporary and view_name in ($first, $second))
        """,
        {"key": SUMMARY_KEY, "first": SUMMARY_TABLES[0], "second": SUMMARY_TABLES[1]},
    ).fetchall()[0]
    if current and shadowed:
        for name in SUMMARY_TABLES:
            con.execute(f"drop view if exists temp.main.{name}")
    elif not current:
        for name in SUMMARY_TABLES:
            con.execute(f"create or replace temp view {name} as {summary_sql(name)}")


def _mark_summaries_stale(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("delete from store_meta where key = $key", {"key": SUMMARY_KEY})


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
) -> datetime:
    """Record a load in ``load_log``. Its watermark (where the next incremental sync resumes) is the newest
    invoice_date the store has read: of its lines, or of a quarantined line whose date text is an accepted
    timestamp (a sync's always is a timestamp), so a refused line is not read, and refused, again by every
    later sync. A date outside the accepted range (``infinity``, ``4713-01-01 00:00:00 BC``, year 2911) is
    never the watermark: it would make every later sync a full one, or skip the lines dated before it.
    """
    loaded_at = datetime.now().replace(microsecond=0)
    first, end = accepted_invoice_dates()
    con.execute(
        """
        insert into load_log
        select $load_id, $kind, $source, $fingerprint, $mode, $loaded_at,
               $rows_read, $rows_loaded, $rows_quarantined,
               greatest(
                   (select max(invoice_date) from lines),
                   (
                       -- DuckDB's cast drops a BC suffix (4713 BC reads as 4713 AD): such a date is not one
                       select max(try_cast(invoice_date as timestamp)) from quarantine
                       where not ends_with(invoice_date, ' BC')
                           and try_cast(invoice_date as timestamp) >= $first
                           and try_cast(invoice_date as timestamp) < $end
                   )
               )
        """,
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
    row = con.sql("select coalesce(max(load_id), 0), count(*) from load_log").fetchall()[0]
    return f"v{row[0]}-{row[1]}"


def store_info(con: duckdb.DuckDBPyConnection, path: str = "") -> StoreInfo:
    row = con.sql(
        """
        select count(*), count(distinct invoice), count(distinct customer_id), count(distinct country),
               min(invoice_date), max(invoice_date)
        from lines
        """
    ).fetchall()[0]
    quarantined = scalar(con, "select count(*) from quarantine")
    loads = con.sql(
        """
        select load_id, kind, source, mode, strftime(loaded_at, '%Y-%m-%d %H:%M:%S') as loaded_at,
               rows_read, rows_loaded, rows_quarantined, fingerprint
        from load_log
        where load_id >= coalesce((select max(load_id) from load_log where mode in ('replace', 'full')), 0)
        order by load_id
        """
    ).pl()
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
