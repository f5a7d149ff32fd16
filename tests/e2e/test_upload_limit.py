"""A file over the upload limit (.streamlit/config.toml: maxUploadSize) is refused at the upload box with a
message that says the limit, and the store is left as it was. The real limit is 200 MB; the test runs the
app with a 1 MB limit so that the refused file stays small."""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb
import pytest
from fixtures.app_server import CHROMIUM_ARGS, REPO, require_chromium, settle, streamlit_server

from lgs_core.sources.demo import load_demo

pytestmark = pytest.mark.browser


def test_the_configured_limit_fits_the_full_data_set() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    # the UCI workbook is ~45 MB and its CSV dump ~95 MB (DOMAIN.md §1): both must fit
    assert config["server"]["maxUploadSize"] >= 100


def test_a_file_over_the_upload_limit_is_refused_with_the_limit_and_nothing_changes(tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    db = tmp_path / "store.duckdb"
    load_demo(db, rows=5_000)
    big = tmp_path / "too_big.csv"
    row = (
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n"
    )
    big.write_text(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n" + row * 25_000
    )
    assert big.stat().st_size > 2 * 1024 * 1024
    env = {"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "1"}
    with streamlit_server(db, tmp_path / "server.log", env=env) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{url}/data")
            settle(page)
            page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(big))
            message = page.get_by_text("1.0MB or smaller")
            message.wait_for(timeout=30_000)
            assert message.is_visible()
        finally:
            browser.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.sql("select count(*) from lines").fetchall() == [(5_000,)]
    finally:
        con.close()
