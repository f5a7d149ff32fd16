"""Kept data sets (issue #16): every replaced data set is kept, inside the store, and restored in one step.

A replace (a load without ``--append``, demo data, a full sync, a restore) calls ``store.clear_data``, which
calls ``keep_current`` inside the replace's own transaction: the current ``lines``, ``quarantine`` and summary
tables are *renamed* to ``kept_<N>_lines`` etc. and empty ones are created in their place. So keeping costs
no copy, a failed replace rolls the rename back with everything else, and the kept set is exactly what was
there. ``restore(db, N)`` renames them back in one transaction (after keeping the current set the same way,
so a restore can itself be undone). Measured at 1M lines: keeping by rename 0.03 s and a restore 0.09 s,
against 0.87 s and 0.68–0.92 s for copying the tables inside the file; a snapshot file beside the store
(0.05 s, a rename back) could not be swapped atomically under the app's and the CLI's open connections.

What is kept: the last ``LGS_KEEP`` sets (3), and of the older ones only as many as fit in ``LGS_KEEP_MB``
(2,048 MB) together with the newest, which is always kept. The DuckDB file does not shrink when a kept set
is dropped: the next load reuses its space.

The load log stays whole: a restore adds a ``restore`` row (who, when, which set), then the restored set's
own load rows again under new load ids (its lines renumbered to match), so "the loads in the current data
set", the append check and an incremental sync's watermark read the restored set as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from lgs_core.errors import LgsError
from lgs_core.sqlfiles import read_sql
from lgs_core.store import access, store

DEFAULT_KEEP = 3
DEFAULT_KEEP_MB = 2048
# The tables of a data set: renamed aside as kept_<N>_<name>, and back on a restore.
DATA_TABLES = ("lines", "quarantine")
_BLOCK_SIZE = 262_144  # DuckDB's block size (an in-memory database reports 0)


def keep_limits() -> tuple[int, int]:
    """How many replaced sets to keep, and the disk budget for them in bytes (env LGS_KEEP, LGS_KEEP_MB)."""
    try:
        keep = int(os.environ.get("LGS_KEEP") or DEFAULT_KEEP)
        budget_mb = int(os.environ.get("LGS_KEEP_MB") or DEFAULT_KEEP_MB)
    except ValueError:
        raise LgsError(
            "LGS_KEEP and LGS_KEEP_MB must be whole numbers",
            where="the environment",
            todo="e.g. LGS_KEEP=3 LGS_KEEP_MB=2048, or unset them for those defaults",
        ) from None
    return max(keep, 1), max(budget_mb, 0) * 1024 * 1024


def kept_table(kept_id: int, name: str) -> str:
    return f"kept_{int(kept_id)}_{name}"


@dataclass(frozen=True)
class KeptSet:
    """One replaced data set, as ``lgs history`` and the Data page list it."""

    kept_id: int
    kept_at: datetime
    description: str
    lines: int
    quarantined: int
    first_date: datetime | None
    last_date: datetime | None
    bytes: int
    replaced_by: str | None  # who replaced it (the load log's loaded_by of the replacing load)
    replaced_with: str | None  # what replaced it (that load's source)

    def to_json(self) -> dict[str, object]:
        return {
            "kept_id": self.kept_id,
            "kept_at": self.kept_at.isoformat(sep=" "),
            "description": self.description,
            "lines": self.lines,
            "quarantined": self.quarantined,
            "first_date": self.first_date.isoformat(sep=" ") if self.first_date else None,
            "last_date": self.last_date.isoformat(sep=" ") if self.last_date else None,
            "bytes": self.bytes,
            "replaced_by": self.replaced_by,
            "replaced_with": self.replaced_with,
        }


@dataclass(frozen=True)
class History:
    """The kept sets, newest first, and the limits they are kept within."""

    kept: list[KeptSet]
    keep: int
    budget_bytes: int

    @property
    def used_bytes(self) -> int:
        return sum(k.bytes for k in self.kept)

    def summary(self) -> str:
        """'2 of 3 kept, 35 MB of the 2,048 MB budget'."""
        return (
            f"{len(self.kept)} of {self.keep} kept, {megabytes(self.used_bytes)} of the "
            f"{megabytes(self.budget_bytes)} budget"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "keep": self.keep,
            "budget_bytes": self.budget_bytes,
            "used_bytes": self.used_bytes,
            "kept": [k.to_json() for k in self.kept],
        }


def megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB" if n >= 1024 * 1024 or n == 0 else f"{n / 1024 / 1024:,.1f} MB"


@dataclass(frozen=True)
class RestoreResult:
    """What ``restore`` did."""

    kept_id: int
    description: str
    lines: int
    quarantined: int
    kept_as: int | None  # the id the replaced (current) set is now kept under; None: the store was empty
    load_id: int
    seconds: float

    def summary(self) -> str:
        then = f"; the data set it replaced is kept as {self.kept_as}" if self.kept_as is not None else ""
        return f"restored {self.description}{then}"

    def to_json(self) -> dict[str, object]:
        return {
            "kept_id": self.kept_id,
            "description": self.description,
            "lines": self.lines,
            "quarantined": self.quarantined,
            "kept_as": self.kept_as,
            "load_id": self.load_id,
            "seconds": round(self.seconds, 3),
        }


# --- what the current data set is -----------------------------------------------------------------------------


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = store.scalar(con, read_sql("store/history_table_exists.sql"), {"name": name})
    return bool(found)


def _current_load_range(con: duckdb.DuckDBPyConnection) -> tuple[int | None, int | None]:
    first, last = con.execute(read_sql("store/history_current_load_range.sql")).fetchall()[0]
    return first, last


def _loaded_by_column(con: duckdb.DuckDBPyConnection) -> str:
    """``loaded_by``, or a null in its place on a store from before issue #16 opened read-only."""
    found = store.scalar(con, read_sql("store/history_loaded_by_column.sql"))
    return "loaded_by" if found else "cast(null as varchar)"


def _what(kind: str, source: str) -> str:
    if kind == "demo":
        return "demo data"
    if kind == "postgres":
        return f"PostgreSQL ({source})"
    return source


def describe(
    con: duckdb.DuckDBPyConnection, lines: int, quarantined: int, first: int | None, last: int | None
) -> str:
    """'the 1,000,000 lines of demo data loaded 01 Dec 2026 09:12 by anna@lgs.example' (and its later loads)."""
    loads = (
        con.execute(
            f"select kind, source, loaded_at, {_loaded_by_column(con)} from load_log "
            "where load_id between $a and $b order by load_id",
            {"a": first, "b": last},
        ).fetchall()
        if first is not None
        else []
    )
    count = f"the {lines:,} line{'s' if lines != 1 else ''}"
    refused = f" (and {quarantined:,} quarantined)" if quarantined else ""
    if not loads:
        return f"{count}{refused} in the store"
    kind, source, loaded_at, loaded_by = loads[0]
    text = f"{count}{refused} of {_what(kind, source)} loaded {loaded_at:%d %b %Y %H:%M}"
    if loaded_by:
        text += f" by {loaded_by}"
    if len(loads) > 1:
        later = len(loads) - 1
        text += f", and {later} later load{'s' if later > 1 else ''} (the last {loads[-1][2]:%d %b %Y %H:%M})"
    return text


def describe_current(con: duckdb.DuckDBPyConnection) -> str | None:
    """What a replace would replace now (the confirmation names it); None when the store holds nothing."""
    lines, quarantined = con.execute(read_sql("store/history_current_counts.sql")).fetchall()[0]
    if not lines and not quarantined:
        return None
    return describe(con, int(lines), int(quarantined), *_current_load_range(con))


# --- keeping ----------------------------------------------------------------------------------------------


def keep_current(con: duckdb.DuckDBPyConnection, *, prune: bool = True) -> int | None:
    """Set the current data set aside as a kept set, inside the caller's transaction, and leave empty tables
    in its place. Returns its kept id (None: nothing to keep). ``prune``: then drop what the limits exceed."""
    lines, quarantined, first_date, last_date = con.execute(
        read_sql("store/history_current_set.sql")
    ).fetchall()[0]
    if not lines and not quarantined:
        return None
    first, last = _current_load_range(con)
    description = describe(con, int(lines), int(quarantined), first, last)
    summaries = f"{store.SUMMARY_KEY}={lines}" if store.summaries_are_current(con) else None
    kept_id = int(store.scalar(con, read_sql("store/history_next_kept_id.sql")))  # type: ignore[call-overload]
    for name in (*DATA_TABLES, *store.SUMMARY_TABLES):
        if _table_exists(con, name):
            con.execute(f"alter table main.{name} rename to {kept_table(kept_id, name)}")
    con.execute(read_sql("store/summaries_mark_stale.sql"), {"key": store.SUMMARY_KEY})
    con.execute(read_sql("store/schema.sql"))  # empty lines and quarantine in their place
    con.execute(
        read_sql("store/history_kept_insert.sql"),
        {
            "kept_id": kept_id,
            "kept_at": datetime.now().replace(microsecond=0),
            "first": first,
            "last": last,
            "lines": int(lines),
            "quarantined": int(quarantined),
            "first_date": first_date,
            "last_date": last_date,
            "description": description,
            "summaries": summaries,
        },
    )
    if prune:
        prune_kept(con)
    return kept_id


def _drop_kept(con: duckdb.DuckDBPyConnection, kept_id: int) -> None:
    for name in (*DATA_TABLES, *store.SUMMARY_TABLES):
        con.execute(f"drop table if exists main.{kept_table(kept_id, name)}")
    con.execute(read_sql("store/history_kept_delete.sql"), {"id": kept_id})


def _kept_bytes(con: duckdb.DuckDBPyConnection, kept_id: int, block_size: int) -> int:
    """The kept set's tables' blocks in the file (written ones: lines not yet checkpointed count as 0)."""
    blocks: set[int] = set()
    for name in (*DATA_TABLES, *store.SUMMARY_TABLES):
        table = kept_table(kept_id, name)
        if not _table_exists(con, table):
            continue
        rows = con.execute(read_sql("store/history_kept_blocks.sql"), {"t": table}).fetchall()
        for block, extra in rows:
            if block is not None and block >= 0:
                blocks.add(int(block))
            blocks.update(int(b) for b in extra or [] if b is not None and b >= 0)
    return len(blocks) * block_size


def _block_size(con: duckdb.DuckDBPyConnection) -> int:
    size = store.scalar(con, read_sql("store/history_block_size.sql"))
    return int(size) if size else _BLOCK_SIZE  # type: ignore[call-overload]


def prune_kept(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Drop the kept sets beyond the limits: the newest always stays, older ones while they fit in both the
    count and the budget. Returns the dropped ids."""
    keep, budget = keep_limits()
    block_size = _block_size(con)
    ids = [int(r[0]) for r in con.execute(read_sql("store/history_kept_ids.sql")).fetchall()]
    used, dropped = 0, []
    for position, kept_id in enumerate(ids):
        size = _kept_bytes(con, kept_id, block_size)
        if position == 0 or (position < keep and used + size <= budget):
            used += size
            continue
        _drop_kept(con, kept_id)
        dropped.append(kept_id)
    return dropped


def has_history(con: duckdb.DuckDBPyConnection) -> bool:
    """A store made before issue #16, opened read-only, has no kept_sets table."""
    return _table_exists(con, "kept_sets")


def kept_sets(con: duckdb.DuckDBPyConnection) -> History:
    """The kept data sets, newest first, with who replaced each and its size in the file."""
    keep, budget = keep_limits()
    if not has_history(con):
        return History([], keep, budget)
    block_size = _block_size(con)
    rows = con.execute(read_sql("store/history_kept_list.sql")).fetchall()
    kept = [
        KeptSet(
            kept_id=int(r[0]),
            kept_at=r[1],
            description=str(r[2]),
            lines=int(r[3]),
            quarantined=int(r[4]),
            first_date=r[5],
            last_date=r[6],
            bytes=_kept_bytes(con, int(r[0]), block_size),
            replaced_by=r[7],
            replaced_with=r[8],
        )
        for r in rows
    ]
    return History(kept, keep, budget)


def kept_by_load(con: duckdb.DuckDBPyConnection, load_id: int) -> tuple[int, str] | None:
    """The kept id and description of the set that load ``load_id`` replaced, if it is kept (the CLI says so
    after a replace). The replacing load is the first load logged after the kept set's last one."""
    if not has_history(con):
        return None
    rows = con.execute(read_sql("store/history_kept_by_load.sql"), {"load_id": load_id}).fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


# --- restoring ----------------------------------------------------------------------------------------------


def restore(
    db: str | os.PathLike[str] | None, kept_id: int, *, by: access.Principal | None = None
) -> RestoreResult:
    """Make kept set ``kept_id`` the current data set again, exactly, in one transaction; the set it replaces is
    kept in turn. A failure (the id is not kept, the store is busy, anything midway) changes nothing."""
    who = access.acting(by, access.Action.RESTORE)
    started = time.perf_counter()
    path = store.resolve_db_path(db)
    con = store.connect(path)
    try:
        with store.transaction(con):
            row = con.execute(read_sql("store/history_kept_find.sql"), {"id": kept_id}).fetchall()
            missing = [n for n in DATA_TABLES if not _table_exists(con, kept_table(kept_id, n))]
            if not row or missing:
                raise LgsError(
                    f"no kept data set {kept_id}"
                    + (f" (its table {kept_table(kept_id, missing[0])} is missing)" if row else ""),
                    where=str(path),
                    todo="`lgs history` (or the Data page) lists the kept data sets and their numbers",
                )
            description, lines, quarantined, first, last, summaries = row[0]
            kept_as = keep_current(con, prune=False)
            for name in DATA_TABLES:
                con.execute(f"drop table main.{name}")
                con.execute(f"alter table main.{kept_table(kept_id, name)} rename to {name}")
            kept_summaries = summaries == f"{store.SUMMARY_KEY}={lines}" and all(
                _table_exists(con, kept_table(kept_id, n)) for n in store.SUMMARY_TABLES
            )
            for name in store.SUMMARY_TABLES:
                con.execute(f"drop table if exists main.{name}")
                if kept_summaries:
                    con.execute(f"alter table main.{kept_table(kept_id, name)} rename to {name}")
                else:
                    con.execute(f"drop table if exists main.{kept_table(kept_id, name)}")
            load_id = store.next_load_id(con)
            store.log_load(
                con,
                load_id=load_id,
                kind="restore",
                source=f"kept data set {kept_id}: {description}",
                fingerprint=hashlib.sha256(f"restore {kept_id} {description}".encode()).hexdigest(),
                mode="replace",
                rows_read=int(lines) + int(quarantined),
                rows_loaded=int(lines),
                rows_quarantined=int(quarantined),
                loaded_by=who,
            )
            if first is not None:
                _relog_loads(con, int(first), int(last))
            if kept_summaries:
                con.execute(
                    read_sql("store/history_summaries_restored.sql"),
                    {"key": store.SUMMARY_KEY, "value": str(lines)},
                )
            else:
                store.refresh_summaries(con)
            con.execute(read_sql("store/history_kept_delete.sql"), {"id": kept_id})
            prune_kept(con)
    finally:
        con.close()
    return RestoreResult(
        kept_id=kept_id,
        description=str(description),
        lines=int(lines),
        quarantined=int(quarantined),
        kept_as=kept_as,
        load_id=load_id,
        seconds=time.perf_counter() - started,
    )


def _relog_loads(con: duckdb.DuckDBPyConnection, first: int, last: int) -> None:
    """The restored set's loads again, after the restore row and under new ids (its lines renumbered): the
    loads of the current data set are those since the last replace, and theirs now come after it."""
    old_ids = [
        int(r[0])
        for r in con.execute(read_sql("store/history_load_ids.sql"), {"a": first, "b": last}).fetchall()
    ]
    pairs = [(old, store.next_load_id(con)) for old in old_ids]
    con.execute(read_sql("store/history_restore_ids_table.sql"))
    try:
        con.executemany(read_sql("store/history_restore_ids_insert.sql"), pairs)
        con.execute(read_sql("store/history_relog_loads.sql"))
        for name in DATA_TABLES:
            con.execute(
                f"update main.{name} set load_id = m.new_id from restore_ids m where {name}.load_id = m.old_id"
            )
    finally:
        con.execute(read_sql("store/history_restore_ids_drop.sql"))


# --- the load log -----------------------------------------------------------------------------------------


def load_log(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pl.DataFrame:
    """Every load, newest first: who, when, what, how many lines (the Data page shows it to editors). The rows a
    restore writes again for the restored set's loads are left out: each load is listed once, and the restore."""
    who = _loaded_by_column(con)
    # Inline, though long: it splices {who}, a column expression (loaded_by, or a null on an old store).
    return con.sql(
        f"""
        with once as (
            select * from load_log
            qualify row_number() over (
                partition by kind, source, fingerprint, mode, loaded_at order by load_id
            ) = 1
        ),

        final as (
            select load_id, strftime(loaded_at, '%Y-%m-%d %H:%M:%S') as loaded_at, {who} as loaded_by,
                   kind, mode, source, rows_read, rows_loaded, rows_quarantined
            from once
        )

        select * from final order by load_id desc limit $limit
        """,
        params={"limit": limit},
    ).pl()


def rows_for(history: History) -> list[dict[str, Any]]:
    """The kept sets as table rows (the Data page's table; ``lgs history``'s text)."""
    return [
        {
            "kept_id": k.kept_id,
            "description": k.description,
            "kept_at": f"{k.kept_at:%Y-%m-%d %H:%M}",
            "replaced_by": k.replaced_by or "",
            "replaced_with": k.replaced_with or "",
            "size": megabytes(k.bytes),
        }
        for k in history.kept
    ]


def store_file_bytes(db: str | os.PathLike[str]) -> int:
    """The store file's size on disk (with its WAL): what the kept sets' budget is part of."""
    path = Path(db)
    total = 0
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(OSError):
            total += p.stat().st_size
    return total
