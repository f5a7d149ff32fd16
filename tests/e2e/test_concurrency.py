"""Many people at once (issue #8, item 6): 20 browser sessions change their filters against one real
`streamlit run` for two minutes (env LGS_LOAD_SECONDS shortens it locally), while the CLI appends a file
to the same store.

What it proves: no session ever shows an exception box or an error alert, and every session sees the
figures of its own filters, never another's (each session has its own country; after every change its
Sales and Active customers cards must equal what ``lgs_core.app.overview.overview`` computes for that session's
country, date range and products-only switch). The CLI's append adds lines for a country no session looks
at, inside the data's dates, so every session's expected figures stay the same through and after it: the
caches recompute on the new data key and must give the same numbers.

20 contexts in one Chromium (one renderer each, about 100 MB): a round clicks every session, then waits
for each in turn, so the server has up to 20 script runs at once.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fixtures.app_server import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    REPO,
    metric,
    problems,
    require_chromium,
    settle,
    streamlit_server,
)

from lgs_core.app import filters
from lgs_core.app import overview as overview_model
from lgs_core.query.window import Window
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSIONS = 20
DEMO_ROWS = 100_000
LOAD_SECONDS = float(os.environ.get("LGS_LOAD_SECONDS") or 120)
APPENDED_COUNTRY = "Atlantis"  # a country no session filters on: its lines change no session's figures
CARDS = ("Sales", "Active customers")
# A window without lines for the session's country (e.g. December 2009 in Cyprus): the page says so instead
# of showing cards.
EMPTY = ("No lines in this date range",)

CARDS_SHOWN = (
    "want => { const v = [...document.querySelectorAll(\"[data-testid='stMetricValue']\")]"
    ".map(e => e.innerText.trim()); return want.every(w => v.includes(w)); }"
)
EMPTY_SHOWN = (
    "want => !document.querySelector(\"[data-testid='stMetricValue']\")"
    " && document.querySelector(\"[data-testid='stMain']\").innerText.includes(want[0])"
)
Expected = dict[tuple[str, str, bool], tuple[str, ...]]


@dataclass
class Session:
    page: Any
    country: str
    quick: str = "All data"
    products_only: bool = False
    errors: list[str] = field(default_factory=list)
    checks: int = 0


@pytest.fixture(scope="module")
def load_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("load") / "store.duckdb"
    load_demo(path, rows=DEMO_ROWS, seed=42)
    return path


@pytest.fixture(scope="module")
def expected(load_store: Path) -> tuple[list[str], list[str], Expected]:
    """Each session's country, the quick ranges, and the cards for every (country, range, products only),
    computed by lgs_core before the server starts (it then holds the file between its queries)."""
    con = store.connect(load_store)
    try:
        countries = [
            str(c)
            for (c,) in con.sql(
                "select country from lines group by 1 order by count(*) desc, 1 limit $n",
                params={"n": SESSIONS},
            ).fetchall()
        ]
        info = store.store_info(con)
        assert info.first_date is not None and info.last_date is not None
        ranges = filters.quick_ranges(info.first_date.date(), info.last_date.date())
        table: Expected = {}
        for country in countries:
            for label, (start, end) in ranges.items():
                for products_only in (False, True):
                    lines = store.scalar(
                        con,
                        "select count(*) from lines where country = $c and invoice_date::date between $s and $e"
                        " and (is_product or not $p)",
                        {"c": country, "s": start, "e": end, "p": products_only},
                    )
                    overview = overview_model.overview(con, Window(start, end, (country,), products_only))
                    table[(country, label, products_only)] = (
                        (overview.kpi("sales").value_text, overview.kpi("active_customers").value_text)
                        if lines
                        else EMPTY
                    )
    finally:
        con.close()
    assert len(countries) == SESSIONS
    return countries, list(ranges), table


@pytest.fixture(scope="module")
def server(load_store: Path, expected: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(load_store, log_path, keep_log_as="streamlit-concurrency.log") as url:
        yield url


def _appended_file(path: Path) -> Path:
    """2,000 lines in the UCI II layout for APPENDED_COUNTRY, dated inside the demo data's range."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "Invoice",
                "StockCode",
                "Description",
                "Quantity",
                "InvoiceDate",
                "Price",
                "Customer ID",
                "Country",
            ]
        )
        for i in range(2_000):
            out.writerow(
                [
                    f"9{i // 4:05d}",
                    "85123A",
                    "WHITE HANGING HEART T-LIGHT HOLDER",
                    1 + i % 6,
                    f"2010-06-{1 + i % 28:02d} 10:{i % 60:02d}:00",
                    "2.55",
                    90_000 + i % 50,
                    APPENDED_COUNTRY,
                ]
            )
    return path


def _check(session: Session, table: Expected) -> None:
    """After the session's last change: no error on the page, and its cards are its own filters' figures."""
    page = session.page
    settle(page)
    want = table[(session.country, session.quick, session.products_only)]
    try:
        page.wait_for_function(
            EMPTY_SHOWN if want == EMPTY else CARDS_SHOWN,
            arg=list(want),
            timeout=30_000,
        )
    except Exception:  # say what the page shows instead
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"concurrency-{session.country}.png"))
        body = str(page.locator("[data-testid='stMain']").inner_text())[:1500]
        pytest.fail(
            f"session {session.country!r}, {session.quick}, products only {session.products_only}: "
            f"cards {want} not shown in 30 s; the page shows:\n{body}"
        )
    if want == EMPTY:
        shown: tuple[str, ...] = EMPTY if page.get_by_text(EMPTY[0]).count() else ("cards",)
    else:
        shown = tuple(metric(page, card) for card in CARDS)
    where = f"session {session.country!r}, {session.quick}, products only {session.products_only}"
    assert shown == want, f"{where}: shows {shown}, lgs_core gives {want}"
    assert not problems(page), f"{where}: {problems(page)}"
    assert not session.errors, f"{where}: {session.errors}"
    session.checks += 1


def _change_filters(session: Session, ranges: list[str], rng: random.Random) -> None:
    sidebar = session.page.locator("[data-testid='stSidebar']")
    if rng.random() < 0.3:
        sidebar.get_by_text("Products only").click()
        session.products_only = not session.products_only
    else:
        session.quick = rng.choice([r for r in ranges if r != session.quick])
        sidebar.get_by_role("radio", name=session.quick, exact=True).click()


def test_twenty_sessions_change_filters_while_the_cli_loads(
    server: str, load_store: Path, expected: tuple[list[str], list[str], Expected], tmp_path: Path
) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    countries, ranges, table = expected
    appended = _appended_file(tmp_path / "atlantis.csv")
    rng = random.Random(8)
    rounds = 0
    cli: subprocess.Popen[str] | None = None
    started = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            sessions: list[Session] = []
            for country in countries:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                session = Session(page, country)
                page.on("pageerror", lambda exc, s=session: s.errors.append(str(exc)))
                page.goto(f"{server}/?country={quote(country)}")
                sessions.append(session)
            for session in sessions:
                _check(session, table)

            deadline = time.monotonic() + LOAD_SECONDS
            while True:
                for session in sessions:
                    _change_filters(session, ranges, rng)
                if cli is None and (rounds == 1 or time.monotonic() >= deadline):
                    # The CLI writes the same store while 20 sessions read it.
                    cli = subprocess.Popen(
                        [sys.executable, "-m", "lgs_core", "load", str(appended), "--append", "--json"],
                        cwd=REPO,
                        env={**os.environ, "LGS_DB": str(load_store)},
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                for session in sessions:
                    _check(session, table)
                rounds += 1
                if cli is not None and cli.poll() is not None and time.monotonic() >= deadline:
                    break
                if cli is not None and time.monotonic() >= deadline + 120:
                    break
            assert cli is not None
            out, err = cli.communicate(timeout=120)
            assert cli.returncode == 0, err
            # One more round on the data the CLI left: the same figures, no errors.
            for session in sessions:
                _change_filters(session, ranges, rng)
            for session in sessions:
                _check(session, table)
        finally:
            browser.close()
    seconds = time.monotonic() - started
    checks = sum(s.checks for s in sessions)
    print(f"\n{SESSIONS} sessions, {rounds + 1} rounds, {checks} checked changes in {seconds:.0f} s")
    con = store.connect(load_store, read_only=True)
    try:
        assert (
            store.scalar(con, "select count(*) from lines where country = $c", {"c": APPENDED_COUNTRY})
            == 2_000
        )
    finally:
        con.close()
