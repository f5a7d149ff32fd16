"""Text from the data is shown as text in the app, never as Markdown, LaTeX or HTML (issue #13, item 6).

A store whose countries, descriptions and stock codes are Markdown, LaTeX, Streamlit's ``:red[…]`` and
HTML, loaded from a file whose name is Markdown too; the sidebar chooses two hostile countries (they then
stand in every page's caption and in the report's scope). A real Chromium visits every page and a tab of
each kind, uploads a refused file with a hostile name (its name is in the error), and on each finds no
link to evil.example, no bold or italic made from the data, no KaTeX, and the literal text on the page.
``lgs_core.present.display.literal`` does it; the unit tests below pin what it writes.
"""

from __future__ import annotations

import csv
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.app_server import CHROMIUM_ARGS, problems, require_chromium, settle, streamlit_server

from lgs_core.present.display import WORD_JOINER, literal, shown
from lgs_core.sources import ingest
from lgs_core.sources.demo import load_demo

LINK = "[Click to verify your account](http://evil.example/login)"
COUNTRIES = [
    LINK,
    "**Bold country** and __underlined__",
    ":red[Red country] :material/home: ->",
    "$$\\frac{1}{2}$$ Latex $x$",
    "<b>Html</b> <a href='http://evil.example/html'>here</a>",
    "www.evil.example mail@evil.example",
]
DESCRIPTIONS = ["[desc](http://evil.example/d) *em*", '=HYPERLINK("http://evil.example")', "`code` ~~gone~~"]
MARKS = ("Bold country", "underlined", "Red country", "Latex", "Html", "here", "em", "gone")
FILE_NAME = "[Click to verify your account](evil.example) **loaded**.csv"
REFUSED_NAME = "[Click to verify your account](evil.example) **refused**.csv"
PAGES = ["", "orders", "segments", "deeper_segments", "reports", "data"]


def test_literal_escapes_markdown_and_breaks_what_is_found_after_parsing() -> None:
    assert literal("**x**") == "\\*\\*x\\*\\*"
    assert literal("a\nb\r\nc") == "a b c"
    assert literal("http://e.x") == f"http\\:{WORD_JOINER}//e\\.x"
    # a path pastes as itself: no joiner in it (an error box's `mv` command is copied from the page)
    assert literal("/srv/lgs/lgs.duckdb") == "/srv/lgs/lgs\\.duckdb"
    assert literal("a->b") == f"a\\-{WORD_JOINER}\\>b"
    assert literal("Champions, At Risk") == "Champions, At Risk"  # what means nothing is left alone
    assert WORD_JOINER in literal("www") and literal("France") == "France"
    for text in [*COUNTRIES, *DESCRIPTIONS, FILE_NAME, "x\\y", "100%"]:
        assert shown(literal(text)) == text


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "store.duckdb"
    load_demo(db, rows=20_000, seed=11)
    source = folder / FILE_NAME
    with source.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
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
        for i, country in enumerate(COUNTRIES):
            for month in range(1, 12):
                writer.writerow(
                    [
                        f"59{i}{month:02d}0",
                        "[S](http://evil.example/s)" if month == 1 else "85123A",
                        DESCRIPTIONS[month % len(DESCRIPTIONS)],
                        3 + month,
                        f"2011-{month:02d}-0{1 + i} 10:00:00",
                        "2.55",
                        f"{19000 + i}",
                        country,
                    ]
                )
        writer.writerow(
            ["599999", "85123A", DESCRIPTIONS[0], "many", "2011-05-05 10:00:00", "1", "", COUNTRIES[0]]
        )
    result = ingest.load_file(source, db, append=True)
    assert result.rows_quarantined == 1 and result.rows_loaded == len(COUNTRIES) * 11
    return db


def test_the_markdown_report_writes_hostile_countries_as_text(hostile_store: Path) -> None:
    """The Markdown report (a file, and the email's text part) names the chosen countries in its scope: a
    viewer shows them as their characters, with no link, bold or HTML made from them."""
    from lgs_core.report import report
    from lgs_core.store import store

    con = store.connect(hostile_store, read_only=True)
    try:
        rep = report.build_report(con, countries=COUNTRIES[:2] + COUNTRIES[4:5])
    finally:
        con.close()
    text = report.to_markdown(rep)
    scope = next(line for line in text.splitlines() if line.startswith("Scope: "))
    assert "](http" not in scope and "**Bold" not in scope and "<b>" not in scope
    chosen = ", ".join(sorted(rep.countries))
    assert len(rep.countries) == 3 and shown(scope).startswith(f"Scope: {chosen} · all lines.")


@pytest.fixture(scope="module")
def server(hostile_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(hostile_store, tmp_path_factory.mktemp("log") / "streamlit.log") as url:
        yield url


def _query() -> str:
    return urllib.parse.urlencode([("country", COUNTRIES[0]), ("country", COUNTRIES[1])])


def assert_shown_as_text(page: Any, where: str, *, literal_texts: tuple[str, ...] = ()) -> None:
    links = page.locator("a[href*='evil.example']")
    assert links.count() == 0, (where, links.first.evaluate("e => e.outerHTML"))
    assert page.locator(".katex, .katex-display").count() == 0, where
    for tag in ("strong", "em", "del", "code", "h1 a"):
        for text in page.locator(f"[data-testid='stAppViewContainer'] {tag}").all_inner_texts():
            assert not any(mark in text for mark in MARKS), (where, tag, text)
    body = page.locator("[data-testid='stAppViewContainer']").inner_text().replace(WORD_JOINER, "")
    for text in literal_texts:
        assert text in body, (where, text)


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_shows_hostile_data_as_text(server: str, hostile_store: Path, tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            for name in PAGES:
                page.goto(f"{server}/{name}?{_query()}")
                settle(page)
                assert not problems(page), (name, problems(page))
                expected = (COUNTRIES[0], COUNTRIES[1]) if name not in ("data",) else (FILE_NAME,)
                assert_shown_as_text(page, name or "overview", literal_texts=expected)
                if name == "deeper_segments":
                    for tab in ("Segment migration", "Lifetime value", "Product affinity"):
                        page.get_by_role("tab", name=tab).click()
                        settle(page)
                        assert_shown_as_text(page, tab)

            # The quarantine's download (refused lines carry customer data) is recorded in the export log.
            from lgs_core.store import access

            with page.expect_download() as info:
                page.get_by_role("button", name="Download the quarantine (CSV)").click()
            saved = tmp_path / info.value.suggested_filename
            info.value.save_as(saved)
            assert (
                saved.read_text(encoding="utf-8-sig").count("\n") == 2
            )  # the header and the one refused line
            (record,) = access.read_exports(hostile_store)
            assert (record.what, record.format, record.file, record.via, record.customers) == (
                "the quarantine (refused lines)",
                "csv",
                "lgs-quarantine.csv",
                "app",
                0,  # its one refused line has no customer number
            )

            # A refused file whose name is Markdown: the error quotes the name, as text.
            refused = tmp_path / REFUSED_NAME
            refused.write_text("not,a,transactions,file\n1,2,3,4\n")
            page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(refused))
            settle(page)
            page.get_by_role("button", name="Load", exact=True).click()
            settle(page)
            page.get_by_role("button", name="Replace it").click()  # a replace asks first (issue #16)
            settle(page)
            shown_errors = problems(page)
            assert len(shown_errors) == 1 and REFUSED_NAME in shown_errors[0].replace(WORD_JOINER, ""), (
                shown_errors
            )
            assert_shown_as_text(page, "data, refused file", literal_texts=(REFUSED_NAME,))
        finally:
            browser.close()
