"""A full disk during a load or a sync (issue #13, item 8): one line — what (no space), where (the store's
folder), what to do (free N MB, or another --db / LGS_DB) — exit 2, the store unchanged, and the file not
left grown to fill the disk.

Real disks: each test mounts a small tmpfs (the tests run as root; without the right to mount they skip,
under CI too — the capability is the machine's, not the code's) and puts the store on it. Two ways to run
out: a write the store can tell will not fit (refused before anything is written), and lines much wider
than the store's estimate (random 150-character descriptions), which fill the disk midway.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fixtures.helpers import mounted_tmpfs

from lgs_core.sources.demo import load_demo

pytest_plugins = ["fixtures.pg_fixtures"]

REPO = Path(__file__).resolve().parents[2]
HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB disk holding a store of 20,000 demo lines (2.3 MB)."""
    with mounted_tmpfs(tmp_path / "disk", 16) as disk:
        load_demo(disk / "store.duckdb", rows=20_000, seed=3)
        yield disk


@pytest.fixture(scope="module")
def wide_lines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """130,000 lines with 150 random letters of description each (28 MB of CSV, on the big disk): about
    20 MB in the store, where the store's estimate is 10 MB: the write starts, then fills the disk."""
    path = tmp_path_factory.mktemp("wide") / "wide.csv"
    rng = random.Random(5)
    with path.open("w") as out:
        out.write(HEADER)
        for i in range(130_000):
            description = "".join(rng.choices(string.ascii_letters, k=150))
            out.write(f"{500_000 + i // 5},85123A,{description},6,2010-12-01 08:26:00,2.55,17850.0,France\n")
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lgs_core", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def digest(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        parts = [
            repr(con.sql(f"select * from {t} order by all").fetchall())
            for t in ("lines", "quarantine", "load_log")
        ]
    finally:
        con.close()
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr and "unexpected" not in done.stderr, done.stderr
    return lines[0]


def test_a_write_that_cannot_fit_is_refused_before_it_starts(small_disk: Path) -> None:
    db = small_disk / "store.duckdb"
    before, size = digest(db), db.stat().st_size
    line = one_line(run_cli("demo", "--rows", "400000", "--db", str(db)))
    # 4 MB + 48 bytes a line: 23 MB for 400,000 lines; the disk has 13 MB free.
    assert line.startswith(
        f"error: {small_disk}: not enough free space for the store: this write of 400,000 lines needs about "
        "23 MB, 13 MB is free — free 10 MB there, or choose another store with --db or LGS_DB"
    ), line
    assert line.endswith("(the store is unchanged)")
    assert digest(db) == before and db.stat().st_size == size


def test_a_load_that_fills_the_disk_is_undone_and_gives_the_space_back(
    small_disk: Path, wide_lines: Path
) -> None:
    db = small_disk / "store.duckdb"
    before, size = digest(db), db.stat().st_size
    line = one_line(run_cli("load", str(wide_lines), "--db", str(db)))
    assert line.startswith(
        f"error: {small_disk}: no space left on the disk: the write stopped when it filled up, and was undone "
        "— free more than "
    ), line
    assert "MB there, or choose another store with --db or LGS_DB (the store is unchanged)" in line
    assert digest(db) == before
    # The file had grown to fill the disk (13 MB); it is back to its size, give or take a block (256 KB).
    assert db.stat().st_size <= size + 2 * 256 * 1024, db.stat().st_size
    assert shutil.disk_usage(small_disk).free > 10 * 1024 * 1024
    # And the store works: the next load that fits goes in.
    assert run_cli("demo", "--rows", "30000", "--db", str(db)).returncode == 0


@pytest.mark.postgres
def test_a_sync_that_fills_the_disk_is_undone_and_gives_the_space_back(
    small_disk: Path, wide_lines: Path, pg_db: str
) -> None:
    loaded = run_cli("pg-load", str(wide_lines), "--dsn", pg_db)
    assert loaded.returncode == 0, loaded.stderr
    db = small_disk / "store.duckdb"
    before, size = digest(db), db.stat().st_size
    line = one_line(run_cli("sync", "--full", "--dsn", pg_db, "--db", str(db)))
    assert line.startswith(f"error: {small_disk}: no space left on the disk: the write stopped"), line
    assert line.endswith("(the store is unchanged)")
    assert digest(db) == before
    assert db.stat().st_size <= size + 2 * 256 * 1024, db.stat().st_size
