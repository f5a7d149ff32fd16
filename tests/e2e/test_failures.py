"""What happens when something around the app fails (issue #8, item 5): the user sees one line that says
what, where and what to do, and nothing already loaded is lost.

- PostgreSQL down at the app's start: the app serves the last synced store, with a banner "Data as of <the
  last load>" and the reason in one line.
- PostgreSQL gone midway through a sync: the store is left exactly as it was. That is
  tests/postgres/test_postgres.py::test_a_sync_whose_server_connection_is_killed_midway_leaves_the_store_unchanged
  (the server kills the sync's backend after its first chunk; the store's digest is unchanged), and
  ::test_a_sync_stopped_by_the_caller_midway_leaves_the_store_unchanged.
- A store location that cannot be written: one line in the CLI and in the app. The tests run as root, which
  chmod 0555 does not stop, so the store's path goes through a regular *file* (``FILE/store.duckdb``): no
  user, root included, can create a directory or a file there.
- A damaged store file (random bytes): the CLI and the app name the file and how to rebuild it; the app's
  "Rebuild the store from its source" button keeps the damaged file as ``.corrupt-<time>`` and rebuilds.
- The CLI loading a file while the app is open on the same store (a real `streamlit run` and Chromium): the
  load succeeds, and a reload of the page shows the new data without a restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.app_server import (
    CHROMIUM_ARGS,
    REPO,
    free_port,
    metric,
    problems,
    require_chromium,
    settle,
    streamlit_server,
)
from fixtures.paths import SAMPLE_CSV
from streamlit.testing.v1 import AppTest

from lgs_core.present.display import shown
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

APP = str(REPO / "streamlit_app.py")
TIMEOUT = 120
PASSWORD = "Failures-Pw-7c1e9a"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("failures") / "store.duckdb"
    load_demo(path, rows=20_000, seed=7)
    return path


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lgs_core", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def app_errors(at: AppTest) -> list[str]:
    """The error boxes' texts as they read on the page (their Markdown source escapes what they quote)."""
    assert not at.exception, [e.value for e in at.exception]
    return [shown(e.value) for e in at.error]


# --- PostgreSQL down at the app's start -----------------------------------------------------------------


def test_postgres_down_at_start_serves_the_last_synced_data_with_a_banner(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    monkeypatch.chdir(REPO)
    con = store.connect(demo_store)
    try:
        info = store.store_info(con)
    finally:
        con.close()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["postgres"] = {
        "host": "127.0.0.1",
        "port": free_port(),  # nothing listens there: refused at once
        "dbname": "lgs",
        "user": "lgs_reader",
        "password": PASSWORD,
    }
    at.run()
    errors = app_errors(at)
    assert len(errors) == 1, errors
    banner = errors[0]
    assert banner.startswith(f"Data as of {info.loads[-1]['loaded_at']}"), banner
    assert "the start-up sync from PostgreSQL failed" in banner
    assert "\n" not in banner and PASSWORD not in banner
    assert {m.label: m.value for m in at.metric}["Sales"].startswith("£")  # the last synced data, served

    # Every later run (another page, another rerun) keeps saying how old the data is, and does not retry.
    at.switch_page("pages/data.py").run()
    errors = app_errors(at)
    assert [e for e in errors if e.startswith("Data as of")] == [banner]
    assert {m.label: m.value for m in at.metric}["Lines"] == "20,000"


# --- a store location that cannot be written ------------------------------------------------------------


@pytest.fixture
def unwritable_store(tmp_path: Path) -> Path:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file where the store's folder should be\n")
    return blocker / "lgs" / "store.duckdb"


def test_cli_on_an_unwritable_store_location_is_one_line(unwritable_store: Path) -> None:
    done = run_cli("demo", "--rows", "10000", "--db", str(unwritable_store))
    assert done.returncode == 2, done.stderr
    line = one_line(done.stderr)
    assert "cannot create the store's folder" in line
    assert str(unwritable_store.parent) in line and "choose a writable location" in line
    assert not done.stdout
    # Reading a store that cannot exist there says so too, in one line.
    done = run_cli("info", "--db", str(unwritable_store))
    assert done.returncode == 2 and "no store yet" in one_line(done.stderr)


def test_app_on_an_unwritable_store_location_is_one_line(
    unwritable_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGS_DB", str(unwritable_store))
    monkeypatch.setenv("LGS_DEMO_ROWS", "10000")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    errors = app_errors(at)
    assert len(errors) == 1, errors
    assert "cannot create the store's folder" in errors[0] and "\n" not in errors[0]
    assert str(unwritable_store.parent) in errors[0]


# --- a damaged store file -------------------------------------------------------------------------------


@pytest.fixture
def corrupt_store(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    path.write_bytes(os.urandom(64 * 1024))
    return path


def test_cli_on_a_damaged_store_names_the_file_and_how_to_rebuild_it(corrupt_store: Path) -> None:
    before = corrupt_store.read_bytes()
    done = run_cli("info", "--db", str(corrupt_store))
    assert done.returncode == 2, done.stderr
    line = one_line(done.stderr)
    assert str(corrupt_store) in line and "damaged" in line
    assert "python -m lgs_core demo" in line and "rebuild it from its source" in line
    assert corrupt_store.read_bytes() == before  # the CLI reports; it does not touch the file

    # Doing what the message says works.
    store.set_aside(corrupt_store)
    assert run_cli("demo", "--rows", "10000", "--db", str(corrupt_store)).returncode == 0
    assert run_cli("info", "--db", str(corrupt_store)).returncode == 0


def test_app_on_a_damaged_store_names_it_and_offers_to_rebuild_it(
    corrupt_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGS_DB", str(corrupt_store))
    monkeypatch.setenv("LGS_DEMO_ROWS", "12000")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    errors = app_errors(at)
    assert len(errors) == 1 and str(corrupt_store) in errors[0] and "damaged" in errors[0], errors
    assert "\n" not in errors[0]
    assert [b.label for b in at.button] == ["Rebuild the store from its source: demo data"]
    assert not at.metric  # nothing computed from a damaged file
    # (AppTest does not deliver this app's button clicks; the click is tested in Chromium below.)


@pytest.mark.browser
@pytest.mark.slow
def test_the_rebuild_button_keeps_the_damaged_file_aside_and_rebuilds(
    corrupt_store: Path, tmp_path: Path
) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    before = corrupt_store.read_bytes()
    with (
        streamlit_server(corrupt_store, tmp_path / "streamlit.log", env={"LGS_DEMO_ROWS": "12000"}) as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            settle(page)
            shown = problems(page)
            assert len(shown) == 1 and str(corrupt_store) in shown[0], shown
            page.get_by_role("button", name="Rebuild the store from its source").click()
            settle(page)
            page.wait_for_selector("[data-testid='stMetric']", timeout=90_000)
            settle(page)
            assert not problems(page), problems(page)
            assert metric(page, "Sales").startswith("£")
        finally:
            browser.close()
    kept = list(corrupt_store.parent.glob("store.duckdb.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == before  # the damaged file, kept for a post-mortem
    con = store.connect(corrupt_store, read_only=True)
    try:
        assert store.store_info(con).lines == 12_000
    finally:
        con.close()


# --- the CLI loading while the app is open --------------------------------------------------------------


@pytest.fixture
def live_store(tmp_path: Path) -> Path:
    path = tmp_path / "live.duckdb"
    load_demo(path, rows=50_000, seed=3)
    return path


@pytest.fixture
def live_server(live_store: Path, tmp_path: Path) -> Iterator[str]:
    with streamlit_server(live_store, tmp_path / "streamlit.log") as url:
        yield url


def _sidebar_lines(page: object) -> str:
    caption = page.locator("[data-testid='stSidebar'] [data-testid='stCaptionContainer']")  # type: ignore[attr-defined]
    return str(caption.filter(has_text="Data:").first.inner_text())


@pytest.mark.browser
@pytest.mark.slow
def test_a_cli_load_while_the_app_is_open_succeeds_and_a_reload_shows_it(
    live_server: str, live_store: Path
) -> None:
    if not SAMPLE_CSV.exists():
        pytest.skip(f"real sample not found at {SAMPLE_CSV}")
    chromium = require_chromium()
    from fixtures.app_server import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(live_server)
            settle(page)
            assert "50,000 lines" in _sidebar_lines(page)
            # The page keeps reading while the CLI writes: a filter change during the load.
            cli = subprocess.Popen(
                [sys.executable, "-m", "lgs_core", "load", str(SAMPLE_CSV), "--json"],
                cwd=REPO,
                env={**os.environ, "LGS_DB": str(live_store)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            page.locator("[data-testid='stSidebar']").get_by_role("radio", name="2011").click()
            settle(page)
            out, err = cli.communicate(timeout=300)
            assert cli.returncode == 0, err
            assert not problems(page), problems(page)

            con = store.connect(live_store, read_only=True)
            try:
                lines = store.store_info(con).lines
            finally:
                con.close()
            assert lines != 50_000
            page.reload()
            settle(page)
            assert f"{lines:,} lines" in _sidebar_lines(page)
            assert not problems(page), problems(page)
        finally:
            browser.close()
