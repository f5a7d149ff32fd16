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
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fixtures.app_server import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    REPO,
    metric,
    require_chromium,
    settle,
    streamlit_server,
)

from lgs_core.analyses.rfm import RfmParams
from lgs_core.app import overview as overview_model
from lgs_core.app import segments as segments_model
from lgs_core.present.display import WORD_JOINER
from lgs_core.query.window import Window
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

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
        overview = overview_model.overview(con, window)
        champions = segments_model.segments(con, window, RfmParams()).customers_of(["Champions"])
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
            assert download.suggested_filename == f"lgs-champions-france-2011-01-01-to-{last:%Y-%m-%d}.csv"
            rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
            assert sorted(int(r["Customer"]) for r in rows) == sorted(champions["customer_id"].to_list())
            assert {r["Segment"] for r in rows} == {"Champions"}
            assert {r["Country"] for r in rows} == {"France"}

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


# --- issue #15: the report as a person sees it, search, links that keep the whole view ---------------------

_CHART = """() => {
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")];
  const svg = charts[charts.length - 1].querySelector('svg');
  const frame = svg.getBoundingClientRect();
  const box = sel => [...svg.querySelectorAll(sel)].map(e => {
    const r = e.getBoundingClientRect();
    return {top: r.top - frame.top, bottom: r.bottom - frame.top, height: r.height, width: r.width};
  });
  const points = [...svg.querySelectorAll('g.mark-symbol.role-mark path')].map(e => e.getBoundingClientRect().top);
  return {height: frame.height, width: frame.width, points, band: box('g.mark-area path'),
          lines: box('g.mark-line path'), legend: box('g.role-legend'),
          labels: [...svg.querySelectorAll('g.role-legend text')].map(t => t.textContent)};
}"""


def _browser(pw: object, chromium: Path) -> object:
    return pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)  # type: ignore[attr-defined]


def _open(browser: object, url: str, width: int = 1440, **context: object) -> object:
    page = browser.new_context(viewport={"width": width, "height": 1000}, **context).new_page()  # type: ignore[attr-defined]
    page.goto(url)
    settle(page)
    return page


def _rgb(page: object, locator: object) -> tuple[int, int, int]:
    text = locator.evaluate("e => getComputedStyle(e).color")  # type: ignore[attr-defined]
    r, g, b = (int(v) for v in text[text.index("(") + 1 : text.index(")")].split(",")[:3])
    return r, g, b


@pytest.mark.parametrize("width", [1440, 1920])
def test_the_weekly_report_draws_its_chart_and_its_arrows_follow_the_sign(
    chromium: Path, server: str, demo_db: Path, width: int
) -> None:
    from playwright.sync_api import sync_playwright

    from lgs_core.report import report

    con = store.connect(demo_db, read_only=True)
    try:
        rep = report.build_report(con)
    finally:
        con.close()
    with sync_playwright() as pw:
        browser = _browser(pw, chromium)
        try:
            page = _open(browser, f"{server}/reports", width)
            page.wait_for_selector("[data-testid='stVegaLiteChart'] g.mark-symbol path", timeout=60_000)
            # The cards: each arrow points the way its figure moved; red is bad news (a fall, or a rise of the
            # cancellation rate), green good news.
            for kpi in rep.kpis:
                card = page.locator("[data-testid='stMetric']").filter(
                    has=page.locator("[data-testid='stMetricLabel']", has_text=kpi.label)
                )
                delta = card.locator("[data-testid='stMetricDelta']")
                change = kpi.change(kpi.last_week)
                assert change is not None
                text = delta.inner_text().replace("\n", " ")
                assert text.startswith(str(kpi.card_delta(kpi.last_week))), (kpi.label, text)
                assert "on last week" in card.inner_text()
                if kpi.card_delta(kpi.last_week) in ("0%", "0 pp"):
                    continue
                icon = delta.locator("svg[data-testid^='stMetricDeltaIcon']").get_attribute("data-testid")
                assert icon == ("stMetricDeltaIcon-Up" if change > 0 else "stMetricDeltaIcon-Down"), kpi.label
                r, g, _ = _rgb(page, delta.locator("[data-testid='stMarkdownContainer']"))
                good = (change > 0) == kpi.rise_is_good
                assert (g > r) if good else (r > g), (kpi.label, change, (r, g))
                value = card.locator("[data-testid='stMetricValue']").inner_text().strip()
                assert value == kpi.text(kpi.value) and "…" not in card.inner_text()  # nothing cut short
            for name, measure in (
                ("New customers", "new_customers"),
                ("Orders", "orders"),
                ("Sales", "sales"),
            ):
                if measure != "new_customers":
                    page.get_by_role("radio", name=name, exact=True).click()
                    settle(page, charts=True)
                page.wait_for_selector("[data-testid='stVegaLiteChart'] g.mark-symbol path", timeout=60_000)
                chart = page.evaluate(_CHART)
                weeks = rep.weeks.height
                # one point per week, at different heights (a flat line was a 0 px plot); a band around them
                assert len(chart["points"]) == weeks, (name, chart)
                assert max(chart["points"]) - min(chart["points"]) > 40, (name, chart)
                assert chart["band"] and chart["band"][0]["height"] > 60, (name, chart)
                # the legend in words, inside the chart (not cut)
                assert {"Spike", "Dip", "Normal"} <= set(chart["labels"])
                assert all(
                    box["top"] >= 0 and box["bottom"] <= chart["height"] + 0.5 for box in chart["legend"]
                )
                page.screenshot(path=str(ARTIFACTS / f"report-{measure}-{width}.png"), full_page=True)
            assert page.get_by_text(f"No spike or dip in the last {rep.weeks.height} weeks.").is_visible()
        finally:
            browser.close()


def test_typing_a_name_or_a_number_and_enter_picks_exactly_it(
    chromium: Path, server: str, demo_db: Path
) -> None:
    from playwright.sync_api import sync_playwright

    con = store.connect(demo_db, read_only=True)
    try:
        result = segments_model.segments(con, Window())
    finally:
        con.close()
    champions = result.customers_of(["Champions"])["customer_id"].to_list()
    outsider = next(c for c in sorted(result.customers["customer_id"].to_list()) if c not in champions)
    listed = champions[5]  # on the list, not its first
    with sync_playwright() as pw:
        browser = _browser(pw, chromium)
        try:
            page = _open(browser, server)
            sidebar = page.locator("[data-testid='stSidebar']")
            sidebar.locator("[data-testid='stMultiSelect'] input").click()
            page.keyboard.type("EIRE")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            settle(page)
            page.wait_for_url("**country=EIRE**")
            assert page.url.count("country=") == 1, page.url  # not "United Arab Emirates" too

            page.goto(f"{server}/segments")
            settle(page)
            picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Customer")
            for number in (listed, outsider):
                picker.locator("input").click()
                page.keyboard.type(str(number))
                page.keyboard.press("Enter")
                settle(page)
                page.wait_for_url(f"**customer={number}**")
                assert picker.locator("input").input_value().startswith(f"{number} · ")
                explained = page.locator("[data-testid='stMarkdownContainer'] li").first.inner_text()
                row = result.customers.filter(result.customers["customer_id"] == number).row(0, named=True)
                assert explained.startswith(f"Last order {row['last_purchase']:%d %b %Y}")
        finally:
            browser.close()


def test_a_new_user_lists_last_30_days_and_10_orders_in_france_as_excel_and_shares_the_link(
    chromium: Path, server: str, demo_db: Path
) -> None:
    from playwright.sync_api import sync_playwright

    openpyxl = pytest.importorskip("openpyxl")
    from lgs_core.analyses.rfm import CustomerRule

    con = store.connect(demo_db, read_only=True)
    try:
        result = segments_model.segments(con, Window(countries=("France",)))
    finally:
        con.close()
    expected = sorted(
        result.customers_matching(CustomerRule(within_days=30, min_orders=10))["customer_id"].to_list()
    )
    assert expected, "the demo data has French customers with 10+ orders in the last 30 days"
    with sync_playwright() as pw:
        browser = _browser(pw, chromium)
        try:
            page = _open(browser, f"{server}/segments", accept_downloads=True)
            sidebar = page.locator("[data-testid='stSidebar']")
            sidebar.locator("[data-testid='stMultiSelect'] input").click()
            page.keyboard.type("France")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            settle(page)
            page.get_by_role("radio", name="Customers who…").click()
            settle(page)
            for label, value in (("Last order within", "30"), ("At least", "10")):
                box = page.get_by_role("spinbutton", name=re.compile(label))
                box.fill(value)
                box.press("Enter")
                settle(page)
            page.wait_for_url("**orders=10**")
            assert metric(page, "Customers on the list") == f"{len(expected):,}"
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Download Excel").click()
            assert download_info.value.suggested_filename == (
                f"lgs-last-30-days-10-orders-france-{result.window.start}-to-{result.window.end}.xlsx"
            )
            xlsx = ARTIFACTS / download_info.value.suggested_filename
            download_info.value.save_as(xlsx)
            sheet = openpyxl.load_workbook(xlsx, read_only=True)["customers"]
            header, *rows = list(sheet.iter_rows(values_only=True))
            assert header[:6] == (
                "Customer",
                "Country",
                "Segment",
                "RFM score",
                "Recency score",
                "Frequency score",
            )
            assert sorted(int(r[0]) for r in rows) == expected
            page.screenshot(path=str(ARTIFACTS / "rule-list-france.png"), full_page=True)
            link = page.url

            # A colleague opens the copied link in a browser of their own: the same count and the same list.
            other = _open(browser, link, accept_downloads=True)
            other.wait_for_function(
                "text => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")]"
                ".some(e => e.innerText.trim() === text)",
                arg=f"{len(expected):,}",
                timeout=60_000,
            )
            assert metric(other, "Customers on the list") == f"{len(expected):,}"
            with other.expect_download() as download_info:
                other.get_by_role("button", name="Download CSV").click()
            saved = ARTIFACTS / ("shared-" + download_info.value.suggested_filename)
            download_info.value.save_as(saved)
            shared = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
            assert sorted(int(r["Customer"]) for r in shared) == expected
        finally:
            browser.close()


def test_a_bad_link_value_is_named(chromium: Path, server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = _browser(pw, chromium)
        try:
            page = _open(browser, f"{server}/?country=Atlantis")
            notice = page.locator(
                "[data-testid='stAlertContentWarning'] [data-testid='stMarkdownContainer']"
            ).inner_text()
            assert (
                notice.replace(WORD_JOINER, "")  # shown as text: invisible joiners break autolinks
                == "From the link: country “Atlantis” is not in the data: left out (all countries shown)."
            )
            assert "country=" not in page.url
        finally:
            browser.close()


def test_a_first_visit_says_demo_data_and_a_load_says_what_it_replaced(
    chromium: Path, tmp_path: Path, sample_csv: Path
) -> None:
    from playwright.sync_api import sync_playwright

    db = tmp_path / "new" / "store.duckdb"  # a first start: no store yet, demo data made on the first visit
    text = sample_csv.read_text(encoding="utf-8")
    bad = text.splitlines()[1].split(",")
    bad[3] = "lots"  # a quantity that is no number: quarantined, with its reason
    upload = tmp_path / "lines_with_a_bad_one.csv"
    upload.write_text(text.rstrip("\n") + "\n" + ",".join(bad) + "\n", encoding="utf-8")
    rows = 100_000
    with (
        streamlit_server(db, tmp_path / "first.log", env={"LGS_DEMO_ROWS": str(rows)}) as url,
        sync_playwright() as pw,
    ):
        browser = _browser(pw, chromium)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})  # type: ignore[attr-defined]
            page.goto(url)
            seen: list[tuple[str, str]] = []
            for _ in range(600):  # until the first run is done: the title and the sidebar, every 50 ms
                nav = page.locator("[data-testid='stSidebarNav']")
                seen.append((page.title(), " | ".join(nav.all_inner_texts()) if nav.count() else ""))
                state = page.locator("[data-test-script-state]").get_attribute("data-test-script-state")
                if state == "notRunning" and page.locator("[data-testid='stMetric']").count():
                    break
                page.wait_for_timeout(50)
            # The v1 folder listing ("streamlit app, common, data, …") and its title never show.
            assert not [s for s in seen if s[1] and ("common" in s[1] or "streamlit app" in s[1])], seen
            assert not [t for t, nav in seen if nav and t != "LGS Explorer"], seen
            assert "Overview" in seen[-1][1] and seen[-1][0] == "LGS Explorer"
            banner = "You are looking at demo data — load your own on the Data page."
            assert page.get_by_text(banner).is_visible()
            pill = page.locator("[data-testid='stSidebar']").get_by_role("radio", name="All data")
            assert pill.get_attribute("aria-checked") == "true"  # the quick range shown is lit
            page.screenshot(path=str(ARTIFACTS / "first-visit.png"))

            page.locator("[data-testid='stSidebar']").get_by_role("link", name="Data").click()
            settle(page)
            page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(upload))
            page.get_by_role("button", name="Load", exact=True).click()
            page.get_by_role("button", name="Replace it").click()  # a replace asks first (issue #16)
            page.wait_for_selector("text=replaced the", timeout=120_000)
            settle(page)
            con = store.connect(db, read_only=True)
            try:
                info = store.store_info(con)
            finally:
                con.close()
            main = page.locator("[data-testid='stMain']")
            text = main.inner_text()
            assert f"Current source: {upload.name}" in text  # the header names the new data
            assert (
                f"{info.lines:,} lines loaded, 1 quarantined; replaced the {rows:,} lines of demo data."
                in text
            )
            assert info.quarantined == 1 and "Nothing quarantined" not in text
            assert not page.get_by_text(banner).count()  # real data: the banner is gone
            page.screenshot(path=str(ARTIFACTS / "data-after-load.png"), full_page=True)

            page.get_by_text("Add to the current data instead of replacing it").click()
            page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(upload))
            settle(page)
            page.get_by_role("button", name="Load", exact=True).click()
            error = page.locator("[data-testid='stAlertContentError']")
            error.wait_for(timeout=120_000)
            message = error.inner_text()
            assert "already loaded" in message and "untick “Add to the current data" in message
            assert "--append" not in message
        finally:
            browser.close()
