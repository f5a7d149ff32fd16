"""The app in a real browser: `streamlit run` on a free port, Debian's Chromium driven by Playwright.

A marketer's question end to end: "how many Champions in France in 2011, and give me their list": open the
Overview, pick 2011 and France in the sidebar, open Customer segments, download the CSV, and check its rows
are the Champions lgs_core computes for the same filters. Saves screenshots to test-artifacts/, and the two
README ones to docs/screenshots/ when LGS_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from app_server import ARTIFACTS, CHROMIUM_ARGS, REPO, metric, require_chromium, settle, streamlit_server

from lgs_core import store, views
from lgs_core.demo import load_demo
from lgs_core.rfm import RfmParams
from lgs_core.window import Window

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The README's screenshots are refreshed only when asked (LGS_UPDATE_SCREENSHOTS=1), so a test run leaves the
# working tree clean; the test-artifacts/ copies are written every time.
SCREENSHOTS = REPO / "docs" / "screenshots" if os.environ.get("LGS_UPDATE_SCREENSHOTS") == "1" else None
DEMO_ROWS = 1_000_000  # what a new user sees on a first start: the README's screenshots show it


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "store.duckdb"
    load_demo(path, rows=DEMO_ROWS, seed=42)
    return path


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(demo_db, log_path, keep_log_as="streamlit.log") as url:
        yield url


def test_champions_of_france_in_2011_as_a_csv(chromium: Path, server: str, demo_db: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    con = store.connect(demo_db)
    try:
        last = store.store_info(con).last_date
        assert last is not None
        window = Window(date(2011, 1, 1), last.date(), ("France",))
        overview = views.overview(con, window)
        champions = views.segments(con, window, RfmParams()).customers_of(["Champions"])
    finally:
        con.close()
    assert champions.height > 0, "the demo data has Champions in France in 2011"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # 1. The Overview, as a new user first sees it.
            page.goto(server)
            settle(page, charts=True)
            assert page.get_by_role("heading", name="Overview").is_visible()
            assert metric(page, "Sales").startswith("£")
            if SCREENSHOTS is not None:
                page.screenshot(path=str(SCREENSHOTS / "overview.png"))
            page.screenshot(path=str(ARTIFACTS / "1-overview.png"))

            # 2. 2011 and France in the sidebar: the cards follow, and the URL holds the view.
            sidebar = page.locator("[data-testid='stSidebar']")
            sidebar.get_by_role("radio", name="2011").click()
            settle(page)
            page.wait_for_url("**start=2011-01-01**")
            countries = sidebar.locator("[data-testid='stMultiSelect']")
            countries.locator("input").click()
            page.keyboard.type("France")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            settle(page)
            page.wait_for_url("**country=France**")
            page.wait_for_function(
                "text => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")]"
                ".some(e => e.innerText.trim() === text)",
                arg=overview.kpi("sales").value_text,
                timeout=30_000,
            )
            assert metric(page, "Sales") == overview.kpi("sales").value_text
            assert metric(page, "Active customers") == overview.kpi("active_customers").value_text
            page.screenshot(path=str(ARTIFACTS / "2-overview-france-2011.png"))

            # 3. Customer segments keeps the filters; Champions are listed by default.
            sidebar.get_by_role("link", name="Customer segments").click()
            settle(page, charts=True)
            page.wait_for_url("**/segments?**country=France**")
            assert metric(page, "Customers in Champions") == f"{champions.height:,}"

            # 4. The CSV download holds exactly those customers.
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Download CSV").click()
            download = download_info.value
            assert download.suggested_filename.endswith(".csv")
            saved = ARTIFACTS / download.suggested_filename
            download.save_as(saved)
            rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
            assert sorted(int(r["customer_id"]) for r in rows) == sorted(champions["customer_id"].to_list())
            assert {r["segment"] for r in rows} == {"Champions"}
            assert {r["country"] for r in rows} == {"France"}

            # 5. The Excel download opens, with its manifest sheet.
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Download Excel").click()
            xlsx = ARTIFACTS / download_info.value.suggested_filename
            download_info.value.save_as(xlsx)
            openpyxl = pytest.importorskip("openpyxl")
            book = openpyxl.load_workbook(xlsx, read_only=True)
            assert book.sheetnames == ["customers", "manifest"]
            assert book["customers"].max_row == champions.height + 1

            settle(page, charts=True)
            page.set_viewport_size({"width": 1440, "height": 1500})
            page.wait_for_timeout(1_500)
            if SCREENSHOTS is not None:
                page.screenshot(path=str(SCREENSHOTS / "segments.png"))
            page.screenshot(path=str(ARTIFACTS / "3-segments-france-2011.png"))
            assert not errors, errors
        finally:
            browser.close()
