"""A marketer's job in a real browser (Debian's Chromium): build "France, last order within 60 days, spent over
£1,000" on the Saved segments page without knowing RFM, save it, open it again in a new session, download it,
and check the CSV's customers are exactly the ones lgs_core computes. Then the history and the clusters.
Screenshots at 1440 px in test-artifacts/ (segments-*.png).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
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

from lgs_core.analyses.saved_segments import get_segment, segment_customers
from lgs_core.analyses.segment_rules import Condition, all_of
from lgs_core.query.window import Window
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_ROWS = 1_000_000  # the demo store a new user gets
NAME = "France, recent, spent over £1,000"
RULE = all_of(
    Condition.make("recency_days", "le", [60]),
    Condition.make("country", "in", ["France"]),
    Condition.make("spend", "gt", ["1000"]),
)


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser-segments") / "store.duckdb"
    load_demo(path, rows=DEMO_ROWS, seed=42)
    return path


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(demo_db, log_path, keep_log_as="streamlit-segments.log") as url:
        yield url


def _shot(page, name: str, height: int = 1000) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1440, "height": height})
    page.wait_for_timeout(1_200)
    page.screenshot(path=str(ARTIFACTS / f"segments-{name}.png"))
    page.set_viewport_size({"width": 1440, "height": 1000})


def _wait_for_metric(page, label: str, value: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        """([label, value]) => [...document.querySelectorAll("[data-testid='stMetric']")].some(m =>
            m.querySelector("[data-testid='stMetricLabel']")?.innerText.trim() === label &&
            m.querySelector("[data-testid='stMetricValue']")?.innerText.trim() === value)""",
        arg=[label, value],
        timeout=60_000,
    )


def test_a_marketer_builds_saves_reopens_and_downloads_a_segment(
    chromium: Path, server: str, demo_db: Path
) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    con = store.connect(demo_db, read_only=True)
    try:
        expected = segment_customers(con, Window(), RULE)
    finally:
        con.close()
    assert 0 < expected.count < 200, "the demo data has a few dozen such customers"
    wanted = sorted(int(c) for c in expected.members["customer_id"].to_list())

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # 1. From the Overview to Saved segments: the builder starts with one plain condition.
            page.goto(server)
            settle(page)
            page.locator("[data-testid='stSidebar']").get_by_role("link", name="Saved segments").click()
            settle(page)
            page.wait_for_url("**/saved_segments**")
            assert page.get_by_role("heading", name="Saved segments").is_visible()
            main = page.locator("[data-testid='stMain']")
            assert "Customers who: last order within 90 days" in main.inner_text()

            # 2. Last order within 60 days.
            days = page.get_by_label("Value (days ago)")
            days.fill("60")
            days.press("Enter")
            settle(page)
            assert "last order within 60 days (60 days ago or less)" in main.inner_text()

            # 3. And country France (the next condition a marketer is offered).
            page.get_by_role("button", name="Add a condition").click()
            settle(page)
            countries = main.locator("[data-testid='stMultiSelect']").last
            countries.locator("input").click()
            page.keyboard.type("France")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            settle(page)

            # 4. And spent over £1,000 (offered next, with over £1,000 already filled in).
            page.get_by_role("button", name="Add a condition").click()
            settle(page)
            text = main.inner_text()
            assert f"Customers who: {RULE.label()}." in text, text[:2000]
            _wait_for_metric(page, "Customers in the segment", f"{expected.count:,}")
            _shot(page, "1-built", 1400)

            # 5. Save it by name.
            name_box = page.get_by_label("Name", exact=True)
            name_box.fill(NAME)
            name_box.press("Enter")
            settle(page)
            page.get_by_role("button", name="Save segment").click()
            settle(page)
            page.wait_for_url("**seg=**")
            assert not problems(page), problems(page)
            con = store.connect(demo_db, read_only=True)
            try:
                assert get_segment(con, NAME).rule == RULE  # in the store, not the browser
            finally:
                con.close()

            # 6. Re-open it in a new session (another day, another browser tab): pick it from the list.
            context.close()
            context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{server}/saved_segments")
            settle(page)
            main = page.locator("[data-testid='stMain']")
            page.get_by_role("combobox", name="Segment", exact=True).click()
            page.get_by_role("option", name=NAME).click()
            settle(page)
            _wait_for_metric(page, "Customers in the segment", f"{expected.count:,}")
            assert f"Customers who: {RULE.label()}." in main.inner_text()
            assert metric(page, "Customers in the segment") == f"{expected.count:,}"

            # 7. Download the CSV: exactly lgs_core's customers.
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Download CSV").click()
            saved = ARTIFACTS / download_info.value.suggested_filename
            download_info.value.save_as(saved)
            assert saved.name.startswith("lgs-segment-france-recent-spent-over-1-000-")
            rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
            assert sorted(int(r["customer_id"]) for r in rows) == wanted
            assert {r["country"] for r in rows} == {"France"}
            assert all(int(r["recency_days"]) <= 60 and float(r["spend"]) > 1000 for r in rows)
            # 8. Why is a customer here: each condition with their value, their cluster, their invoices.
            page.get_by_role("combobox", name="Customer", exact=True).click()
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            settle(page)
            page.wait_for_selector("text=is in the segment: every condition must hold", timeout=120_000)
            assert "Behaviour cluster" in main.inner_text()
            _shot(page, "2-reopened", 2000)

            # 9. Its history, and the behaviour clusters with their names and quality.
            page.get_by_role("tab", name="Over time").click()
            settle(page, charts=True)
            assert "Customers in the segment at the month's end" in main.inner_text()
            _shot(page, "3-over-time", 1300)
            page.get_by_role("tab", name="Behaviour clusters").click()
            settle(page, charts=True)
            page.wait_for_selector("text=Quality (silhouette)", timeout=120_000)
            assert "1 Recent frequent big spenders" in main.inner_text()
            _shot(page, "4-clusters", 1500)
            assert not problems(page), problems(page)
            assert not errors, errors
        finally:
            browser.close()
