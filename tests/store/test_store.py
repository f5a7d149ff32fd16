"""The store file under concurrent use: sessions of one app and a CLI process share it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from lgs_core.sources import ingest
from lgs_core.store import store

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "data" / "bad"


def _hammer(db: Path, stop: threading.Event, failures: list[str]) -> None:
    while not stop.is_set():
        try:
            con = store.connect(db)
            con.sql("select count(*) from lines").fetchall()
            con.close()
        except Exception as exc:  # any failure here is what a session would show a user
            failures.append(f"{type(exc).__name__}: {exc}")


def test_sessions_opening_the_store_at_once_never_fail_and_a_cli_load_still_gets_in(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    ingest.load_file(BAD / "extra_column.csv", db)
    stop, failures = threading.Event(), []
    threads = [threading.Thread(target=_hammer, args=(db, stop, failures)) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "lgs_core",
                "load",
                str(BAD / "semicolon.csv"),
                "--db",
                str(db),
                "--append",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ},
            timeout=120,
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []  # e.g. DuckDB's "already attached" race once read as a damaged store
    assert done.returncode == 0, done.stderr  # six busy sessions did not starve the load
    con = store.connect(db, read_only=True)
    try:
        assert con.sql("select count(*) from lines").fetchall() == [(6,)]
    finally:
        con.close()
