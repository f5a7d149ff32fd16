"""A first start on a new store (issue #14): the server makes the demo data as it starts, not when the first
visitor arrives, and a visitor who comes before it is done watches its progress, then gets the Overview.

Through the README's command (`streamlit run streamlit_app.py`) on a free port; the visitor is a real
Chromium (tests/fixtures/app_server.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fixtures.app_server import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    metric,
    problems,
    require_chromium,
    settle,
    streamlit_server,
)

from lgs_core.errors import LgsError
from lgs_core.store import store

pytestmark = [pytest.mark.slow]


def _lines_once_made(path: Path, timeout: float) -> int:
    """The store's lines once another process has made it (it holds the file while it writes)."""
    deadline = time.monotonic() + timeout
    while True:
        if path.exists():
            try:
                con = store.connect(path, read_only=True, wait_seconds=0.5)
            except LgsError:  # still being written
                con = None
            if con is not None:
                try:
                    lines = store.store_info(con).lines
                finally:
                    con.close()
                if lines:
                    return lines
        assert time.monotonic() < deadline, f"no demo data in {path} {timeout:.0f} s after the server started"
        time.sleep(0.25)


def test_the_server_makes_the_demo_data_before_anyone_visits(tmp_path: Path) -> None:
    db = tmp_path / "new" / "store.duckdb"
    with streamlit_server(db, tmp_path / "streamlit.log", env={"LGS_DEMO_ROWS": "20000"}):
        # No browser, no session: the server alone fills the store.
        assert _lines_once_made(db, timeout=90) == 20_000
    log = (tmp_path / "streamlit.log").read_text()
    assert "Traceback" not in log and "No runtime found" not in log, log[-2000:]


@pytest.mark.browser
def test_an_early_visitor_watches_the_progress_then_gets_the_overview(tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    db = tmp_path / "new" / "store.duckdb"
    # Enough lines that generating them outlasts opening the page (a few seconds).
    env = {"LGS_DEMO_ROWS": "3000000"}
    with streamlit_server(db, tmp_path / "streamlit.log", env=env) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url)
            bar = page.locator("[data-testid='stProgress']")
            bar.wait_for(state="visible", timeout=60_000)
            assert bar.inner_text().strip(), "the progress bar says what it is doing"
            page.wait_for_selector("[data-testid='stMetric']", timeout=180_000)
            settle(page)
            assert not problems(page), problems(page)
            assert metric(page, "Sales").startswith("£")
            assert page.locator("[data-testid='stProgress']").count() == 0
        finally:
            browser.close()
    con = store.connect(db, read_only=True)
    try:
        assert store.store_info(con).lines == 3_000_000
    finally:
        con.close()


NAVIGATION = [
    "Overview",
    "Orders",
    "Customer segments",
    "Deeper segments",
    "Saved segments",
    "Weekly report",
    "Data",
]


@pytest.mark.browser
@pytest.mark.parametrize(("path", "title"), [("segments", "Customer segments"), ("orders", "Orders")])
def test_the_first_request_of_a_new_server_for_a_page_gets_the_apps_navigation(
    tmp_path: Path, path: str, title: str
) -> None:
    # A folder named pages/ beside the entrypoint: Streamlit runs the first request's page alone, in its v1
    # folder mode, until a session calls st.navigation (pages/_navigation.py). The visitor must not see it.
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    db = tmp_path / "new" / "store.duckdb"
    with (
        streamlit_server(db, tmp_path / "streamlit.log", env={"LGS_DEMO_ROWS": "20000"}) as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{url}/{path}")  # the server's first request
            page.wait_for_selector("[data-testid='stSidebarNav']", timeout=120_000)
            page.locator("[data-testid='stMain'] h1", has_text=title).wait_for(timeout=120_000)
            settle(page)
            page.locator("[data-testid='stSidebar'] [data-testid='stDateInput']").wait_for(timeout=60_000)
            links = page.locator("[data-testid='stSidebarNavLink']")
            names = [str(text).split("\n")[-1].strip() for text in links.all_inner_texts()]
            assert (
                names == NAVIGATION
            )  # the app's navigation, not the folder's ("streamlit app", "common", …)
            current = page.locator("[data-testid='stSidebarNavLink'][aria-current='page']")
            assert current.inner_text().split("\n")[-1].strip() == title
            assert page.url.rstrip("/").endswith(f"/{path}") and page.title() == "LGS Explorer"
            assert not problems(page), problems(page)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"first-request-{path}.png"))
        finally:
            browser.close()
