"""PostgreSQL: load a file into LGS's `retail` table (pg-load) and sync that table into the store (issue #4).

The sync streams ``COPY (select ...) TO STDOUT`` as CSV in chunks of ``chunk_rows`` lines; each chunk is parsed
as text by Polars and goes through the same validation and quarantine as a file (``ingest.validate`` and
``ingest.write_validated``), all inside one store transaction: a sync that fails halfway leaves the store as
it was. Incremental by default: only lines newer than the store's watermark (the newest invoice_date the
last sync of this table read, loaded or quarantined), after checking that the table still holds, up to the
watermark, the lines the store read (else a full sync, with a note); the first sync, ``full=True``, or a store holding another source replaces the
data set.

Where the server is: ``--dsn``, else env ``LGS_PG_DSN``, else the ``[postgres]`` section of
``.streamlit/secrets.toml``. The password never appears in a message: errors name host, database and user
(``describe``), and every error text from the driver is scrubbed of it.
"""

from __future__ import annotations

import getpass
import hashlib
import io
import os
import queue
import re
import threading
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import polars as pl
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from lgs_core.errors import LgsError
from lgs_core.sources import ingest
from lgs_core.sources.ingest import CANONICAL, Progress
from lgs_core.sqlfiles import read_sql
from lgs_core.store import store
from lgs_core.store.access import Action, Principal, acting
from lgs_core.store.write import write_data_set

DEFAULT_TABLE = "retail"
DEFAULT_SECRETS = Path(".streamlit/secrets.toml")
DSN_ENV = "LGS_PG_DSN"
APPLICATION_NAME = "lgs-explorer"
CONNECT_TIMEOUT_SECONDS = 10
UK_TIME_ZONE = "Europe/London"
# PostgreSQL's type OIDs of the invoice_date columns an incremental sync can compare with its watermark.
_TIMESTAMP, _TIMESTAMPTZ, _DATE = 1114, 1184, 1082

# The table's column for each canonical column (sql/postgres/schema.sql), for messages about a missing one.
TABLE_COLUMNS = {
    "invoice": "invoice_no",
    "stock_code": "stock_code",
    "description": "description",
    "quantity": "quantity",
    "invoice_date": "invoice_date",
    "unit_price": "unit_price",
    "customer_id": "customer_id",
    "country": "country",
}

# libpq keys a [postgres] secrets section may hold, with the names Streamlit's SQL connection uses.
_SECRET_KEYS = {
    "host": "host",
    "port": "port",
    "dbname": "dbname",
    "database": "dbname",
    "user": "user",
    "username": "user",
    "password": "password",
    "sslmode": "sslmode",
}

_TODO_DSN = (
    f"pass --dsn postgresql://USER:PASSWORD@HOST:5432/DBNAME, set env {DSN_ENV}, or add a [postgres] section "
    "(host, port, dbname, user, password) to .streamlit/secrets.toml"
)
_UNCHANGED = " — the store was left unchanged"
_PG_LOAD_ROWS_PER_WRITE = 100_000  # CSV handed to COPY in ~10 MB pieces: bounded memory, few round trips


# --- where the server is --------------------------------------------------------------------------------


def _read_secrets(secrets_path: Path) -> dict[str, Any] | None:
    """The [postgres] section of secrets.toml, or None when the file or the section is absent."""
    if not secrets_path.is_file():
        return None
    try:
        with secrets_path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        # tomllib names the line and column, never the value found there.
        raise LgsError(
            f"cannot read it as TOML ({exc})",
            where=str(secrets_path),
            todo="fix the syntax (see .streamlit/secrets.toml.example)",
        ) from None
    except OSError as exc:
        raise LgsError(
            f"cannot read it ({exc.strerror})", where=str(secrets_path), todo="check its permissions"
        ) from None
    section = data.get("postgres")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise LgsError(
            "[postgres] is not a section",
            where=str(secrets_path),
            todo="write it as a [postgres] table with host, port, dbname, user, password",
        )
    return section


def resolve_dsn(dsn: str | None, secrets_path: Path = DEFAULT_SECRETS) -> str:
    """The connection string: ``dsn`` if given, else env LGS_PG_DSN, else [postgres] of secrets.toml."""
    if dsn:
        return dsn
    env = os.environ.get(DSN_ENV)
    if env:
        return env
    section = _read_secrets(secrets_path)
    if section is None:
        raise LgsError("no PostgreSQL server given", todo=_TODO_DSN)
    return section_dsn(section, where=str(secrets_path))


def section_dsn(section: Mapping[str, Any], where: str = "secrets") -> str:
    """The connection string a [postgres] secrets section describes: its ``dsn``, or libpq keys (host, port,
    dbname, user, password, sslmode, and the aliases Streamlit's SQL connection uses); ``table`` is not one.
    One reader for both secrets.toml (the CLI) and ``st.secrets`` (the app: ``section_settings``)."""
    if "dsn" in section:
        return str(section["dsn"])
    params: dict[str, str] = {}
    for key, value in section.items():
        if key == "table":
            continue
        if key not in _SECRET_KEYS:
            raise LgsError(
                f"unknown key {key!r} in [postgres]",
                where=where,
                todo="use host, port, dbname, user, password, sslmode and table (or one dsn)",
            )
        params[_SECRET_KEYS[key]] = str(value)
    if not params:
        raise LgsError(
            "[postgres] is empty", where=where, todo="give host, port, dbname, user and password (or one dsn)"
        )
    return make_conninfo("", **params)


def section_settings(section: Mapping[str, Any]) -> tuple[str, str]:
    """``(dsn, table)`` from a [postgres] secrets section (st.secrets, or Community Cloud's secrets box)."""
    return section_dsn(section), str(section.get("table") or "retail")


def resolve_table(table: str | None, secrets_path: Path = DEFAULT_SECRETS) -> str:
    """``table`` if given, else ``table`` of the [postgres] secrets section, else ``retail``."""
    if table:
        return table
    section = _read_secrets(secrets_path)
    if section and section.get("table"):
        return str(section["table"])
    return DEFAULT_TABLE


def _conninfo(dsn: str) -> dict[str, Any]:
    try:
        return conninfo_to_dict(dsn)
    except psycopg.Error:
        # The driver's message quotes the string it could not parse, password and all: never pass it on.
        raise LgsError(
            "the PostgreSQL connection string cannot be read",
            todo="write it as postgresql://USER:PASSWORD@HOST:5432/DBNAME or as host=... dbname=... user=...",
        ) from None


def describe(dsn: str) -> str:
    """'host H, database D, user U' (libpq's defaults filled in): what errors and the load log name.

    Never the password.
    """
    params = _conninfo(dsn)
    host = str(params.get("host") or os.environ.get("PGHOST") or "localhost")
    port = str(params.get("port") or os.environ.get("PGPORT") or "")
    user = str(params.get("user") or os.environ.get("PGUSER") or getpass.getuser())
    dbname = str(params.get("dbname") or os.environ.get("PGDATABASE") or user)
    if port and port != "5432":
        host = f"{host}:{port}"
    return f"host {host}, database {dbname}, user {user}"


def _secrets_of(dsn: str) -> list[str]:
    """Every spelling of the password that a message could carry."""
    found: list[str] = []
    try:
        password = conninfo_to_dict(dsn).get("password")
    except psycopg.Error:
        password = None
    for value in (password, os.environ.get("PGPASSWORD")):
        if value:
            found.extend({str(value), quote(str(value), safe=""), quote(str(value))})
    # The longest first, so a password that contains another is scrubbed whole.
    return sorted(found, key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


# --- errors ---------------------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    """The server's own one-line message (diag.message_primary), else the first line of the driver's."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    lines = [line.strip() for line in (primary or str(exc)).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _pg_error(exc: psycopg.Error, dsn: str, table: str | None, *, sync: bool) -> LgsError:
    """Turn a driver error into one line that names host, database, user (and table) and says what to do."""
    secrets = _secrets_of(dsn)
    target = describe(dsn)
    where = f"PostgreSQL ({target}{f', table {table}' if table else ''})"
    message = str(exc)
    lower = message.lower()
    unchanged = _UNCHANGED if sync else ""
    state = getattr(exc, "sqlstate", None)

    what: str
    todo: str
    if isinstance(exc, pg_errors.UndefinedTable) or state == "42P01":
        what = "the table does not exist"
        todo = "run `pg-load FILE` to create and fill it, or name the right one with --table"
    elif isinstance(exc, pg_errors.UndefinedColumn) or state == "42703":
        column = re.search(r'column "([^"]+)"', message)
        what = f"the table has no column {column.group(1) if column else '(unknown)'}"
        todo = "rename the column back (see sql/postgres/schema.sql), or sync a view with the expected names"
    elif isinstance(exc, pg_errors.InsufficientPrivilege) or state == "42501":
        what = f"permission denied ({_first_line(exc)})"
        todo = "ask the DBA to grant this user SELECT (sync) or INSERT and CREATE (pg-load) on the table"
    elif state == "28P01" or "password authentication failed" in lower:
        what = "the password was refused"
        todo = f"check the password in {DSN_ENV}, --dsn or .streamlit/secrets.toml"
    elif "no password supplied" in lower:
        what = "the server asks for a password and none was given"
        todo = f"add the password to {DSN_ENV}, --dsn or .streamlit/secrets.toml"
    elif state == "3D000" or re.search(r'database "[^"]*" does not exist', lower):
        what = "the database does not exist"
        todo = "check the database name in the connection string"
    elif state == "28000" or re.search(r'role "[^"]*" does not exist', lower):
        what = "the user (role) does not exist or may not connect"
        todo = "check the user name in the connection string, or ask the DBA"
    elif isinstance(exc, pg_errors.ReadOnlySqlTransaction) or state == "25006":
        what = "the database is read-only here (a standby, or read-only by default)"
        todo = "load into the primary server"
    elif isinstance(exc, pg_errors.AdminShutdown | pg_errors.CrashShutdown) or (
        "terminating connection" in lower
        or "server closed the connection" in lower
        or "consuming input failed" in lower
        or "connection is lost" in lower
        or "the connection is closed" in lower
    ):
        what = "the connection to the server was lost midway"
        todo = "check the server is up, then run it again"
    elif isinstance(exc, pg_errors.QueryCanceled) or state == "57014":
        what = f"the server cancelled the query ({_first_line(exc)})"
        todo = "run it again, or ask the DBA about statement_timeout"
    elif isinstance(exc, psycopg.OperationalError) and (
        "connection refused" in lower
        or "could not connect" in lower
        or "timeout expired" in lower
        or "could not translate host name" in lower
        or "no such file or directory" in lower
        or "connection failed" in lower
        or "network is unreachable" in lower
        or "no route to host" in lower
    ):
        what = "cannot reach the server"
        todo = "is the server running and reachable? check host and port in the connection string"
    else:
        what = f"the server refused it: {_first_line(exc)}"
        todo = "check the connection settings and the table, then run it again"
    return LgsError(_scrub(what + unchanged, secrets), where=_scrub(where, secrets), todo=todo)


@contextmanager
def _pg_errors(dsn: str, table: str | None, *, sync: bool) -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        raise _pg_error(exc, dsn, table, sync=sync) from None


def _connect(dsn: str, *, read_only: bool, purpose: str) -> psycopg.Connection[Any]:
    """A connection in autocommit mode (callers open their one transaction with ``conn.transaction()``)."""
    params = _conninfo(dsn)
    extra: dict[str, Any] = {"application_name": f"{APPLICATION_NAME} {purpose}"}
    if "connect_timeout" not in params and not os.environ.get("PGCONNECT_TIMEOUT"):
        extra["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    conn = psycopg.connect(dsn, autocommit=True, **extra)
    try:
        # ISO dates, UTF-8, UK local time (sql/postgres/session.sql says why).
        conn.execute(_query("session.sql", timezone=sql.Literal(UK_TIME_ZONE)))
        if read_only:
            # The sync only reads: the session refuses any write, and its one transaction is a snapshot.
            conn.execute(_query("read_only.sql"))
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    except BaseException:
        conn.close()
        raise
    return conn


# --- table names ----------------------------------------------------------------------------------------


def table_identifier(table: str) -> sql.Identifier:
    """``retail`` or ``schema.retail`` as an Identifier (quoted by psycopg, never formatted into SQL)."""
    parts = table.split(".")
    if not table or len(parts) > 2 or any(not p for p in parts):
        raise LgsError(
            f"not a table name: {table!r}", todo="name it as TABLE or SCHEMA.TABLE (default: retail)"
        )
    return sql.Identifier(*parts)


def _index_identifier(table: str) -> sql.Identifier:
    # An index lives in its table's schema, so its name is unqualified; PostgreSQL truncates at 63 bytes.
    return sql.Identifier(f"{table.split('.')[-1]}_invoice_date_idx"[:63])


def _query(name: str, **identifiers: sql.Composable) -> sql.Composed:
    return sql.SQL(read_sql(f"postgres/{name}")).format(**identifiers)  # type: ignore[arg-type]


# --- pg-load --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgLoadResult:
    """What ``pg_load`` did: a file's lines into the PostgreSQL table; the refused ones (quarantined) with
    their reasons (rows_read = rows_loaded + rows_quarantined)."""

    source: str  # the file's name
    target: str  # server, database, user and table (never the password)
    mode: str  # replace | append
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    quarantine_reasons: dict[str, int]
    seconds: float
    notes: list[str]

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "target": self.target,
            "mode": self.mode,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_reasons": dict(sorted(self.quarantine_reasons.items())),
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
        }


def pg_load(
    path: str | os.PathLike[str],
    dsn: str,
    table: str = DEFAULT_TABLE,
    progress: Progress | None = None,
    *,
    replace: bool = False,
) -> PgLoadResult:
    """Load a transactions file into the PostgreSQL table (created if absent): the lines that validate.

    One transaction: a failed load adds nothing. ``replace`` empties the table first, in the same transaction.
    """
    started = time.perf_counter()
    ident = table_identifier(table)
    p = Path(path)
    if progress:
        progress(0.0, f"reading {p.name}")
    raw, _fingerprint = ingest.read_raw(p, progress)
    frame = pl.concat([s.frame for s in raw.sheets], how="vertical")
    decimal_comma, number_note = ingest.choose_decimal_comma(frame, p.name)
    if number_note:
        raw.notes.append(number_note)
    if progress:
        progress(0.4, f"checking {frame.height:,} lines")
    duck = store.scratch()
    try:
        ingest.validate(duck, frame, decimal_comma=decimal_comma)
        rows = duck.sql(read_sql("postgres/load_rows.sql")).pl()
    finally:
        duck.close()
    del frame
    reasons = {
        str(k): int(v) for k, v in rows.filter(pl.col("reason").is_not_null())["reason"].value_counts().rows()
    }
    good = rows.filter(pl.col("reason").is_null()).drop("reason")
    del rows
    with (
        _pg_errors(dsn, table, sync=False),
        _connect(dsn, read_only=False, purpose="pg-load") as conn,
        conn.transaction(),
    ):
        conn.execute(_query("schema.sql", table=ident, index=_index_identifier(table)))
        if replace:
            conn.execute(_query("truncate.sql", table=ident))
        with conn.cursor() as cur, cur.copy(_query("copy_in.sql", table=ident)) as copy:
            for offset in range(0, good.height, _PG_LOAD_ROWS_PER_WRITE):
                buffer = io.BytesIO()
                good.slice(offset, _PG_LOAD_ROWS_PER_WRITE).write_csv(
                    # %.f: a fraction of a second, when there is one, goes to the table too
                    buffer,
                    include_header=False,
                    datetime_format="%Y-%m-%d %H:%M:%S%.f",
                    null_value="",
                )
                copy.write(buffer.getbuffer())
                if progress:
                    done = min(offset + _PG_LOAD_ROWS_PER_WRITE, good.height)
                    progress(0.5 + 0.5 * done / max(good.height, 1), f"copied {done:,} lines")
        conn.execute(_query("analyze.sql", table=ident))  # fresh statistics (sql/postgres/analyze.sql: why)
    if progress:
        progress(1.0, "done")
    quarantined = sum(reasons.values())
    return PgLoadResult(
        source=p.name,
        target=f"{describe(dsn)}, table {table}",
        mode="replace" if replace else "append",
        rows_read=good.height + quarantined,
        rows_loaded=good.height,
        rows_quarantined=quarantined,
        quarantine_reasons=dict(sorted(reasons.items())),
        seconds=time.perf_counter() - started,
        notes=list(raw.notes)
        + (["ignored columns: " + ", ".join(raw.ignored_columns)] if raw.ignored_columns else []),
    )


# --- sync -----------------------------------------------------------------------------------------------


@dataclass
class SyncResult(store.LoadResult):
    """A LoadResult with the sync's watermark: the newest invoice_date now in the store."""

    watermark: datetime | None = None

    def to_json(self) -> dict[str, object]:
        return {
            **super().to_json(),
            "watermark": self.watermark.isoformat(sep=" ") if self.watermark else None,
        }

    def summary(self) -> str:
        """One line for people (the CLI and the app): counts, the mode, the time and the newest line."""
        newest = f"{self.watermark:%Y-%m-%d %H:%M}" if self.watermark else "none"
        return (
            f"{self.rows_read:,} lines read, {self.rows_loaded:,} loaded, {self.rows_quarantined:,} quarantined "
            f"({self.mode} sync) in {self.seconds:.1f} s; newest line {newest}"
        )


def sync_source(dsn: str, table: str) -> str:
    """How load_log names this table (host, database, user and table; never the password)."""
    return f"{describe(dsn)}, table {table}"


@dataclass(frozen=True)
class _Plan:
    mode: str  # full | incremental
    watermark: datetime | None  # incremental: read lines newer than this
    notes: list[str]
    synced: int = 0  # incremental: lines the earlier syncs read dated at or before the watermark


def _plan(con: duckdb.DuckDBPyConnection, source: str, full: bool, date_type: int) -> _Plan:
    """Incremental from the last sync of this table when the store holds only it; else full."""
    if full:
        return _Plan("full", None, [])
    if date_type not in (_TIMESTAMP, _TIMESTAMPTZ, _DATE):
        # A text column compares as text ('13/12/2010' > '2011-12-09'): no watermark divides it.
        return _Plan("full", None, ["invoice_date is not a timestamp column: every sync is a full one"])
    loads = con.sql(read_sql("postgres/current_loads.sql")).fetchall()
    if not loads:
        return _Plan("full", None, ["no previous sync of this table: full sync"])
    others = sorted(
        {f"{kind} {src}" for kind, src, _watermark in loads if (kind, src) != ("postgres", source)}
    )
    if others:
        note = (
            "the store held "
            + "; ".join(others)
            + ", not only this table: did a full sync instead (replaced the "
            "data set)"
        )
        return _Plan("full", None, [note])
    watermark = loads[-1][2]
    synced = store.scalar(con, read_sql("postgres/synced_lines.sql"), {"watermark": watermark})
    return _Plan("incremental", watermark, [], synced=int(synced))  # type: ignore[call-overload]


def _behind_watermark(plan: _Plan, older: int) -> _Plan:
    """The plan after counting the table's lines dated at or before the watermark: an incremental sync reads
    only newer lines, so when the table holds more or fewer older lines than the earlier syncs read (a line
    inserted late with an older date, or deleted), only a full sync makes the store equal the table again."""
    if plan.mode != "incremental" or older == plan.synced:
        return plan
    stamp = f"{plan.watermark:%Y-%m-%d %H:%M}" if plan.watermark else "?"
    note = (
        f"the table holds {older:,} lines dated up to the last sync's newest ({stamp}) but the earlier syncs "
        f"read {plan.synced:,}: lines were added or removed behind it, so this was a full sync"
    )
    return _Plan("full", None, [*plan.notes, note])


def _watermark_param(plan: _Plan) -> dict[str, str | None]:
    return {"watermark": plan.watermark.isoformat(sep=" ") if plan.watermark else None}


def _copy_chunks(copy: psycopg.Copy, chunk_rows: int) -> Iterator[tuple[bytes, int]]:
    """The COPY's CSV in pieces of about ``chunk_rows`` lines (the server sends one message per line)."""
    buffer = bytearray()
    count = 0
    for data in copy:
        buffer += data
        count += 1
        if count >= chunk_rows:
            yield bytes(buffer), count
            buffer = bytearray()
            count = 0
    if count:
        yield bytes(buffer), count


class _Prefetch:
    """Iterate ``source`` in a background thread, at most ``depth`` items ahead (memory stays bounded).

    An error in the thread is raised in the consumer; ``close()`` stops the thread and waits for it.
    """

    _DONE = object()

    def __init__(self, source: Iterator[tuple[bytes, int]], depth: int = 1) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(source,), name="lgs-sync-reader", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: Iterator[tuple[bytes, int]]) -> None:
        try:
            for item in source:
                if not self._put(item):
                    return
            self._put(self._DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with suppress(queue.Empty):
                self._queue.get(timeout=0.1)
        self._thread.join()


def _parse_chunk(data: bytes, first_row: int) -> pl.DataFrame:
    """One chunk of CSV as canonical text columns plus ``sheet`` and ``source_row`` (position in the COPY)."""
    frame = pl.read_csv(
        data, has_header=False, new_columns=list(CANONICAL), infer_schema=False, quote_char='"'
    )
    return frame.select(
        pl.lit(None, dtype=pl.String).alias("sheet"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias("source_row"),
        *[pl.col(c) for c in CANONICAL],
    )


def _fingerprint(dsn: str, table: str, watermark: datetime | None, lines: int) -> str:
    params = _conninfo(dsn)
    parts = [
        str(params.get("host") or ""),
        str(params.get("port") or ""),
        str(params.get("dbname") or ""),
        table,
        watermark.isoformat() if watermark else "",
        str(lines),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class _Columns:
    select: sql.Composable  # the COPY's select list, in lgs_core.sources.ingest.CANONICAL order
    invoice_date: sql.Identifier  # the table's invoice_date column
    date_type: int  # its type's OID
    ignored: list[str]
    notes: list[str]


def _select_columns(conn: psycopg.Connection[Any], table: str) -> _Columns:
    """The COPY's select list (canonical order) from the table's own columns, the invoice_date column, its
    type and the ignored columns; refuse when a required column is missing, naming it.

    A ``timestamp with time zone`` invoice_date is read as UK local time (``at time zone 'Europe/London'``):
    its text with an offset (``+00``) is no date the validation reads, so every line was quarantined.
    """
    with conn.cursor() as cur:
        cur.execute(_query("table_columns.sql", table=table_identifier(table)))
        found = [d.name for d in cur.description or []]
        types = {d.name: int(d.type_code) for d in cur.description or []}
    try:
        mapping, ignored = ingest.map_columns(found)
    except LgsError as exc:
        raise LgsError(exc.what + _UNCHANGED, where=f"table {table}", todo=exc.todo) from None
    missing = ingest.missing_columns(mapping)
    if missing:
        names = ", ".join(TABLE_COLUMNS[c] for c in missing)
        raise LgsError(
            f"the table has no column {names} (found: {', '.join(found) or 'none'}){_UNCHANGED}",
            where=f"table {table}",
            todo="rename the column back (see sql/postgres/schema.sql), or sync a view with the expected names",
        )
    by_canonical = {v: k for k, v in mapping.items()}
    date_column = by_canonical["invoice_date"]
    notes: list[str] = []
    items: list[sql.Composable] = []
    for c in CANONICAL:
        if c not in by_canonical:
            items.append(sql.SQL("null"))
        elif c == "invoice_date" and types[date_column] == _TIMESTAMPTZ:
            items.append(
                sql.SQL("({} at time zone {})").format(sql.Identifier(date_column), sql.Literal(UK_TIME_ZONE))
            )
            notes.append(
                f"{date_column} is a timestamp with time zone: read as UK local time ({UK_TIME_ZONE})"
            )
        else:
            items.append(sql.Identifier(by_canonical[c]))
    return _Columns(
        sql.SQL(", ").join(items), sql.Identifier(date_column), types[date_column], ignored, notes
    )


def _nothing_loaded(read: int, reasons: dict[str, int], dsn: str, table: str) -> LgsError:
    """A full sync that read lines and loaded none would replace the data set with nothing: refused."""
    reason, count = max(reasons.items(), key=lambda item: item[1])
    return LgsError(
        f"none of the table's {read:,} lines can be loaded (quarantined: {reason!r}, {count:,} lines)"
        + _UNCHANGED,
        where=f"PostgreSQL ({describe(dsn)}, table {table})",
        todo="check the table's columns and types against sql/postgres/schema.sql, then sync again",
    )


def _validate_outside(
    scratch: duckdb.DuckDBPyConnection,
    con: duckdb.DuckDBPyConnection,
    raw: pl.DataFrame,
    accepted: tuple[datetime, datetime],
) -> None:
    """Validate one chunk in ``scratch`` (an in-memory DuckDB, autocommit) and show it to the store's
    connection as the view ``validated``, which ``ingest.write_validated`` reads.

    Validating inside the store's one transaction kept every chunk's replaced temp table until the commit
    (DuckDB frees a replaced table's data when its transaction ends): a full sync's memory grew by ~300 MB
    per million lines (3.7 GB at 10M). Here each chunk's table is freed when the next replaces it, and the
    store holds only the chunk's Arrow copy while it is written.
    """
    ingest.validate(scratch, raw, accepted=accepted)
    con.register("validated_chunk", scratch.sql("select * from validated").to_arrow_table())
    con.execute(read_sql("ingest/validated_chunk.sql"))


def sync(
    dsn: str,
    db: str | os.PathLike[str] | None = None,
    table: str = DEFAULT_TABLE,
    full: bool = False,
    progress: Progress | None = None,
    chunk_rows: int = 200_000,
    by: Principal | None = None,
) -> SyncResult:
    """Pull the PostgreSQL table into the store: new lines only (incremental) or all of them (full).

    One store transaction: every chunk lands, or (error, interruption) none does. The PostgreSQL side is one
    read-only snapshot, closed before the store commits, so an error from it always means "nothing changed".
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    who = acting(by, Action.SYNC)  # ``by``: who syncs (refused unless an editor; default the OS user)
    started = time.perf_counter()
    accepted = store.accepted_invoice_dates()  # one range for every chunk, even across midnight
    ident = table_identifier(table)
    source = sync_source(dsn, table)
    if progress:
        progress(0.0, f"connecting to {describe(dsn)}")
    with _pg_errors(dsn, table, sync=True):
        conn = _connect(dsn, read_only=True, purpose="sync")
    with conn, store.scratch() as scratch:
        con = store.connect(db)
        try:
            with write_data_set(con, kind="postgres", source=source, loaded_by=who) as w:
                with _pg_errors(dsn, table, sync=True), conn.transaction():
                    cols = _select_columns(conn, table)
                    columns, invoice_date, ignored = cols.select, cols.invoice_date, cols.ignored
                    plan = _plan(con, source, full, cols.date_type)
                    count_new = _query("count_new.sql", table=ident, invoice_date=invoice_date)
                    with psycopg.ClientCursor(conn) as counter:
                        counter.execute(count_new, _watermark_param(plan))
                        new_lines, older = (int(n) for n in counter.fetchall()[0])
                    plan = _behind_watermark(plan, older)
                    mode, notes = plan.mode, [*plan.notes, *cols.notes]
                    params = _watermark_param(plan)
                    expected = new_lines if mode == "incremental" else new_lines + older
                    if progress:
                        progress(0.05, f"reading {expected:,} lines ({mode} sync)")
                    load_id = w.start(mode)  # a full sync clears the data set
                    if mode == "incremental":
                        # Lines dated after the watermark that were quarantined (beyond the accepted dates:
                        # year 2911, infinity) are read again by this sync: their earlier copies go.
                        con.execute(read_sql("postgres/reread_quarantine.sql"), {"watermark": plan.watermark})
                    copy_out = _query("copy_out.sql", table=ident, columns=columns, invoice_date=invoice_date)
                    with conn.cursor() as cur, cur.copy(copy_out, params) as copy:
                        # Read the next chunk from PostgreSQL while DuckDB checks this one (it releases
                        # the GIL): the COPY's per-line messages cost about as much as the validation.
                        chunks = _Prefetch(_copy_chunks(copy, chunk_rows))
                        try:
                            for data, lines in chunks:
                                _validate_outside(scratch, con, _parse_chunk(data, w.rows_read + 1), accepted)
                                w.add(lines, *ingest.write_validated(con, load_id, source))
                                if progress:
                                    done = w.rows_read / max(expected, w.rows_read, 1)
                                    progress(
                                        0.05 + 0.9 * done,
                                        f"synced {w.rows_read:,} of {expected:,} lines",
                                    )
                        finally:
                            chunks.close()  # the reader is done with the connection before the COPY ends
                if mode == "full" and w.rows_read and not w.rows_loaded:
                    raise _nothing_loaded(w.rows_read, w.reasons, dsn, table)
                new_watermark = store.scalar(con, read_sql("store/newest_line.sql"))
                assert new_watermark is None or isinstance(new_watermark, datetime)
                w.fingerprint = _fingerprint(dsn, table, new_watermark, w.rows_read)
            con.execute("drop view if exists validated")
            con.unregister("validated_chunk")
        finally:
            con.close()
    if progress:
        progress(1.0, "done")
    if ignored:
        notes.append("ignored columns: " + ", ".join(ignored))
    if w.rows_read != expected:  # cannot happen in one snapshot; say so rather than hide it
        notes.append(f"counted {expected:,} lines but read {w.rows_read:,}")
    return SyncResult(**asdict(w.result(started=started, notes=notes)), watermark=new_watermark)
