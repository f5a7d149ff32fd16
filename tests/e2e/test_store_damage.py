"""A damaged store is called damaged (issue #13, item 4), whatever the damage and wherever it is met.

Each kind of damage is written for real into a real store file: random bytes over the main header, over the
two database headers, over a data block (met by a query after the open succeeded), a file cut in half or
to its headers, a SQLite database given as the store, a damaged write-ahead log and another store's. The
CLI (a whole process) gives the one "damaged" line with the rebuild path and exit 2, without waiting for a
lock; the app shows that line and the Rebuild button. The store lives in a folder named ``blocks``: DuckDB's
"... in block at location ..." once read as "lock", so a damaged header waited 10 s and was called busy.
A real lock held by another process is still reported as busy, with the holder's PID.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fixtures.app_server import (
    CHROMIUM_ARGS,
    REPO,
    metric,
    problems,
    require_chromium,
    settle,
    streamlit_server,
)
from fixtures.helpers import mounted_tmpfs
from streamlit.testing.v1 import AppTest

from lgs_core.errors import StoreBusyError
from lgs_core.present.display import shown
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

APP = str(REPO / "streamlit_app.py")
SEMICOLON = REPO / "tests" / "data" / "bad" / "semicolon.csv"
REBUILD = "Rebuild the store from its source: demo data"


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("good") / "store.duckdb"
    load_demo(path, rows=20_000, seed=7)
    return path


def _layout(path: Path) -> tuple[int, int]:
    """(bytes before the first block: the main header and the two database headers, the block size)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        total, block = con.sql("select total_blocks, block_size from pragma_database_size()").fetchall()[0]
    finally:
        con.close()
    return path.stat().st_size - total * block, block


def _overwrite(path: Path, offset: int, size: int, seed: int = 13) -> None:
    noise = random.Random(seed).randbytes(size)
    with path.open("r+b") as file:
        file.seek(offset)
        file.write(noise)


def _main_header(path: Path) -> None:
    _overwrite(path, 0, 4096)


def _database_headers(path: Path) -> None:
    headers, _ = _layout(path)
    _overwrite(path, 4096, headers - 4096)


def _data_block(path: Path) -> None:
    """Random bytes in the block holding the lines' countries: the file opens, `info` then reads it."""
    headers, block = _layout(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        block_id, offset = con.sql(
            "select block_id, block_offset from pragma_storage_info('lines') "
            "where column_name = 'country' and block_id >= 0 order by block_id limit 1"
        ).fetchall()[0]
    finally:
        con.close()
    _overwrite(path, headers + block_id * block + offset, 512)


def _truncated_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _truncated_to_its_headers(path: Path) -> None:
    os.truncate(path, 5000)


def _sqlite_file(path: Path) -> None:
    path.unlink()
    con = sqlite3.connect(path)
    con.execute("create table lines (invoice text)")
    con.commit()
    con.close()


def _with_wal(path: Path) -> Path:
    """Leave a write-ahead log beside the store: a process commits a change and dies before a checkpoint."""
    code = (
        "import duckdb, os, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute(\"set checkpoint_threshold = '1GB'\")\n"
        "con.execute(\"insert into store_meta values ('wal', 'kept')\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    wal = path.with_name(path.name + ".wal")
    assert wal.stat().st_size > 0
    return wal


def _damaged_wal(path: Path) -> None:
    """Other bytes in the logged row (its sizes intact): DuckDB reads a torn end as a crash and drops it."""
    wal = _with_wal(path)
    data = wal.read_bytes()
    wal.write_bytes(data.replace(b"kept", b"KEPT"))


def _another_stores_wal(path: Path) -> None:
    other = path.with_name("other.duckdb")
    load_demo(other, rows=10_000, seed=8)
    shutil.move(_with_wal(other), path.with_name(path.name + ".wal"))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "main header": _main_header,
    "database headers": _database_headers,
    "data block": _data_block,
    "truncated to half": _truncated_half,
    "truncated to its headers": _truncated_to_its_headers,
    "a SQLite file": _sqlite_file,
    "damaged WAL": _damaged_wal,
    "another store's WAL": _another_stores_wal,
}


@pytest.fixture(params=list(DAMAGE))
def damaged(request: pytest.FixtureRequest, good_store: Path, tmp_path: Path) -> Path:
    path = tmp_path / "blocks" / "store.duckdb"
    path.parent.mkdir()
    shutil.copy(good_store, path)
    DAMAGE[request.param](path)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lgs_core", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _damaged_line(done: subprocess.CompletedProcess[str], path: Path) -> str:
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    line = lines[0]
    assert f"{path}: the store file is damaged" in line, line
    assert "rebuild it from its source" in line and f"mv {path} {path}.corrupt" in line, line
    assert "in use" not in line and "unexpected" not in line, line  # no lock wait, no "report it"
    assert not path.with_name(path.name + ".waiting").exists()  # it never waited for a lock
    return line


def test_the_cli_calls_every_kind_of_damage_damaged(damaged: Path) -> None:
    before = damaged.read_bytes()
    line = _damaged_line(run_cli("info", "--db", str(damaged)), damaged)
    assert damaged.read_bytes() == before  # reading a damaged store leaves it as it was, for a post-mortem
    assert "download" not in line and "extension" not in line  # DuckDB never tried the network
    _damaged_line(run_cli("load", str(SEMICOLON), "--append", "--db", str(damaged)), damaged)


def test_the_message_says_what_the_damage_is(good_store: Path, tmp_path: Path) -> None:
    said = {}
    for kind, damage in DAMAGE.items():
        path = tmp_path / kind.replace(" ", "_").replace("'", "") / "store.duckdb"
        path.parent.mkdir()
        shutil.copy(good_store, path)
        damage(path)
        with pytest.raises(store.StoreCorruptError) as caught:
            con = store.connect(path, read_only=True)
            try:
                store.store_info(con)
            except duckdb.Error as exc:  # met by a query after the open: what the CLI and the app translate
                known = store.failure(exc, path)
                assert known is not None
                raise known from None
            finally:
                con.close()
        said[kind] = caught.value.what
    assert said["main header"] == "the store file is damaged: not a DuckDB database"
    assert (
        said["database headers"]
        == said["data block"]
        == "the store file is damaged: a block fails its checksum"
    )
    assert (
        said["truncated to half"]
        == "the store file is damaged: the file is shorter than its contents (truncated)"
    )
    assert said["truncated to its headers"] == said["truncated to half"]
    assert (
        said["a SQLite file"] == "the store file is damaged: not a DuckDB database: it is a SQLite database"
    )
    for kind in ("damaged WAL", "another store's WAL"):
        assert said[kind] == (
            "the store file is damaged: its write-ahead log (store.duckdb.wal) is damaged or belongs to "
            "another database"
        )


def test_the_app_calls_every_kind_of_damage_damaged_and_offers_the_rebuild(
    damaged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGS_DB", str(damaged))
    monkeypatch.setenv("LGS_DEMO_ROWS", "12000")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [shown(e.value) for e in at.error]  # as the page reads (the Markdown escapes the path)
    assert len(errors) == 1, errors
    assert f"{damaged}: the store file is damaged" in errors[0] and "\n" not in errors[0]
    assert [b.label for b in at.button] == [REBUILD]
    assert not at.metric  # nothing computed from a damaged file


def test_a_directory_given_as_the_store_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "store.duckdb"
    folder.mkdir()
    done = run_cli("info", "--db", str(folder))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: {folder}: the store's path is a folder, not a DuckDB file — name the store's file with --db "
        f"or LGS_DB, e.g. {folder / 'lgs.duckdb'}"
    )


def test_a_real_lock_is_still_busy_and_names_its_holder(good_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "blocks" / "store.duckdb"
    path.parent.mkdir()
    shutil.copy(good_store, path)
    code = "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\nprint('holding', flush=True)\ntime.sleep(120)\n"
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        for read_only in (False, True):
            with pytest.raises(StoreBusyError) as caught:
                store.connect(path, read_only=read_only, wait_seconds=0.5)
            assert caught.value.what == f"the store is in use by PID {holder.pid}"
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_no_connection_to_the_store_loads_or_installs_extensions(good_store: Path) -> None:
    for read_only in (False, True):
        con = store.connect(good_store, read_only=read_only)
        try:
            settings = con.sql(
                "select current_setting('autoload_known_extensions'), "
                "current_setting('autoinstall_known_extensions')"
            ).fetchall()
        finally:
            con.close()
        assert settings == [(False, False)]


# --- other store trouble: one line, exit 2 ------------------------------------------------------------------

NOBODY = 65534
# nobody's own group and no other: with root's groups kept (subprocess's default), a folder root's group may
# enter would be open to it, and one only others may enter (o+x) closed.
AS_NOBODY: dict[str, Any] = {"user": NOBODY, "group": NOBODY, "extra_groups": []}


@pytest.fixture
def shared_folder(good_store: Path) -> Iterator[Path]:
    """A folder another user can enter (tmp_path is root's alone), holding a copy of the store."""
    folder = Path(tempfile.mkdtemp(prefix="lgs-perm-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        shutil.copy(good_store, folder / "store.duckdb")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_cli_as_another_user(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user who does not own the store: `nobody` when we are root (root reads any file)."""
    if os.geteuid() != 0:
        return run_cli(*args)
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import duckdb"], capture_output=True, cwd="/", **AS_NOBODY
        )
        why = probe.stderr[-200:].decode(errors="replace") if probe.returncode else ""
    except OSError as exc:  # e.g. the interpreter lies under a folder only root may enter (/root, mode 700)
        why = str(exc)
    if why:
        reason = f"user nobody cannot run {sys.executable} with duckdb here: {why}"
        if os.environ.get("CI") == "true":  # .ci/run lets nobody run it: a skip there would hide the test
            pytest.fail(f"{reason} (CI must run the permission tests)", pytrace=False)
        pytest.skip(reason)
    return subprocess.run(
        [sys.executable, "-m", "lgs_core", *args],
        cwd=REPO,
        env={**os.environ, "HOME": "/tmp"},
        **AS_NOBODY,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr and "unexpected" not in done.stderr, done.stderr
    return lines[0]


def test_a_store_this_user_may_not_read_or_write_says_so(shared_folder: Path) -> None:
    db = shared_folder / "store.duckdb"
    db.chmod(0o600)  # the owner's alone
    expected = (
        f"error: {db}: cannot open the store: permission denied — give this user read and write access to the "
        "file and its folder, or choose another store with --db or LGS_DB"
    )
    assert _one_line(run_cli_as_another_user("info", "--db", str(db))) == expected
    db.chmod(0o644)  # readable by all, writable by its owner: reading works, a load says why it cannot
    assert run_cli_as_another_user("info", "--db", str(db)).returncode == 0
    assert _one_line(run_cli_as_another_user("load", str(SEMICOLON), "--append", "--db", str(db))) == expected


def test_a_store_on_a_read_only_disk_says_so(good_store: Path, tmp_path: Path) -> None:
    with mounted_tmpfs(tmp_path / "disk", 8) as disk:
        db = disk / "store.duckdb"
        shutil.copy(good_store, db)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        assert run_cli("info", "--db", str(db)).returncode == 0  # reading works
        line = _one_line(run_cli("load", str(SEMICOLON), "--append", "--db", str(db)))
        assert line == (
            f"error: {db}: the store's disk is read-only — choose a store on a writable disk with --db or "
            "LGS_DB (reading it works: `info`, the analyses)"
        )


@pytest.mark.browser
@pytest.mark.slow
def test_damage_a_load_meets_offers_the_rebuild_and_the_rebuild_works(
    good_store: Path, tmp_path: Path
) -> None:
    """The store is damaged while the app runs (a data block overwritten; the file's time kept, so the
    page's cached figures still stand): the next load meets it, says "damaged" and offers the Rebuild,
    whose click — a run after the load's — rebuilds the store."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    db = tmp_path / "store.duckdb"
    shutil.copy(good_store, db)
    with (
        streamlit_server(db, tmp_path / "streamlit.log", env={"LGS_DEMO_ROWS": "12000"}) as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{url}/data")
            settle(page)
            assert not problems(page) and metric(page, "Lines") == "20,000"
            stat = db.stat()
            _data_block(db)
            os.utime(db, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(SEMICOLON))
            settle(page)
            page.get_by_text("Add to the current data instead of replacing it").click()
            settle(page)
            page.get_by_role("button", name="Load", exact=True).click()
            settle(page)
            shown_errors = problems(page)
            assert len(shown_errors) == 1 and f"{db}: the store file is damaged" in shown_errors[0], (
                shown_errors
            )
            page.get_by_role("button", name="Rebuild the store from its source").click()
            settle(page)
            page.wait_for_selector("[data-testid='stMetric']", timeout=90_000)
            settle(page)
            assert not problems(page), problems(page)
            assert metric(page, "Lines") == "12,000"
        finally:
            browser.close()
    assert len(list(tmp_path.glob("store.duckdb.corrupt-*"))) == 1


@pytest.mark.parametrize(
    ("message", "about_the_store"),
    [
        ('IO Error: Could not read enough bytes from file "{db}": attempted to read 8 bytes', True),
        (
            'IO Error: Could not write file "{db}.tmp/duckdb_temp_storage-0.tmp": No space left on device',
            True,
        ),
        (
            'IO Error: Could not read enough bytes from file "/srv/in/lines.csv": attempted to read 8 bytes',
            False,
        ),
        ('IO Error: Could not write file "/var/tmp/spill.tmp": No space left on device', False),
        ('IO Error: Cannot open file "/srv/in/lines.csv": Permission denied', False),
        (
            "Corrupt database file: computed checksum 1 does not match stored checksum 2 in block at location 4096",
            True,
        ),
    ],
)
def test_only_failures_about_the_stores_own_files_are_store_trouble(
    tmp_path: Path, message: str, about_the_store: bool
) -> None:
    """DuckDB's words (its message templates) about the store, its WAL or its temporary folder are store
    trouble; the same words about another file are not, whatever the file is."""
    db = tmp_path / "store.duckdb"
    known = store.failure(duckdb.IOException(message.format(db=db)), db)
    assert (known is not None) is about_the_store, known


def test_every_duckdb_the_product_opens_has_extension_autoloading_off() -> None:
    """A store connection and every in-memory DuckDB beside it never fetch or load an extension by
    themselves (issue #13): each ``duckdb.connect`` in lgs_core passes the store's CONNECT_CONFIG."""
    import re

    import lgs_core
    from lgs_core.store import store

    with store.scratch() as con:
        settings = dict(
            con.sql(
                "select name, value from duckdb_settings() where name in "
                "('autoload_known_extensions', 'autoinstall_known_extensions')"
            ).fetchall()
        )
    assert settings == {"autoload_known_extensions": "false", "autoinstall_known_extensions": "false"}
    package = Path(lgs_core.__file__).parent
    calls = [
        (path.name, line)
        for path in sorted(package.rglob("*.py"))
        for line in path.read_text().splitlines()
        if re.search(r"duckdb\.connect\(", line)
    ]
    assert calls and all("CONNECT_CONFIG" in line for _, line in calls), calls
