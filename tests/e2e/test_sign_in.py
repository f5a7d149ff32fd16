"""Signing in for real (issue #16): a real OpenID Connect provider on 127.0.0.1 (oidc-provider-mock, in this
process), the real `streamlit run` with an [auth] and an [access] section in its secrets, Chromium signing in
and out through Streamlit's own st.login / st.logout (Authlib's flow: discovery, code, signed ID token).

- A signed-out visitor, on any page's address, sees the sign-in page: no figure, no customer, no page list.
- A viewer explores and downloads a list (recorded in the export log), cannot reach the upload, signs out.
- An editor regenerates demo data only after a confirmation naming what it replaces, and restores it.

Chromium is kept to this machine: any request for another address is refused (the provider's page links a
stylesheet on a CDN).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.app_server import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    REPO,
    metric,
    missing,
    require_chromium,
    settle,
    streamlit_server,
)

from lgs_core.sources.demo import load_demo
from lgs_core.store import access, history, store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EDITOR = "anna@lgs.example"
VIEWER = "victor@lgs.example"
PAGES = ["", "/orders", "/segments", "/deeper_segments", "/reports", "/data"]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    try:
        from oidc_provider_mock import User, run_server_in_thread
    except ImportError:
        missing("oidc-provider-mock is not installed: pip install -r requirements-dev.txt")
    users = [
        User(sub=email, claims={"email": email, "email_verified": True})
        for email in (EDITOR, VIEWER, "eve@elsewhere.example")
    ]
    with run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sign-in") / "store.duckdb"
    load_demo(path, rows=20_000, seed=8)
    return path


@pytest.fixture(scope="module")
def app_with_auth(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Path:
    """The app's files in a folder of their own, with a real .streamlit/secrets.toml holding [auth] and [access]."""
    folder = tmp_path_factory.mktemp("app")
    shutil.copy(REPO / "streamlit_app.py", folder)
    shutil.copytree(REPO / "pages", folder / "pages", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / ".streamlit").mkdir()
    shutil.copy(REPO / ".streamlit" / "config.toml", folder / ".streamlit")
    (folder / ".streamlit" / "secrets.toml").write_text(
        f"""
[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "a-long-random-cookie-secret-for-the-sign-in-test"
client_id = "lgs-explorer"
client_secret = "lgs-explorer-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[access]
editors = ["{EDITOR}"]
viewers = ["@lgs.example"]
"""
    )
    return folder


@pytest.fixture(scope="module")
def server(app_with_auth: Path, demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = {"PYTHONPATH": str(REPO)}
    with streamlit_server(demo_store, log_path, cwd=app_with_auth, env=env, keep_log_as="sign-in.log") as url:
        yield url


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            context.route("**/*", _this_machine_only)
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            yield tab
            assert not errors, errors
        finally:
            browser.close()


def _this_machine_only(route: Any) -> None:
    url = str(route.request.url)
    if url.startswith(("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:", "blob:")):
        route.continue_()
    else:
        route.abort()


def sign_in(page: Any, url: str, who: str) -> None:
    page.goto(url)
    settle(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.get_by_role("button", name=who).click()  # the provider's "authenticate this user" button
    page.wait_for_url(f"{url}/**", timeout=30_000)
    page.wait_for_selector("[data-testid='stSidebar']", timeout=90_000)
    settle(page)


def sign_out(page: Any, url: str) -> None:
    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)  # the provider ends its session too
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{url}/**", timeout=30_000)
    settle(page)


def wait_for_metric(page: Any, label: str, value: str) -> None:
    """The action's run, then its st.rerun(): wait until the card shows ``value`` (at most 60 s)."""
    for _ in range(240):
        settle(page)
        if metric(page, label) == value:
            return
    assert metric(page, label) == value


def assert_nothing_of_the_data(page: Any) -> None:
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_role("button", name="Sign in").count() == 1
    for data in ("stMetric", "stDataFrame", "stVegaLiteChart", "stArrowVegaLiteChart", "stDownloadButton"):
        assert page.locator(f"[data-testid='{data}']").count() == 0, data
    body = str(page.locator("body").inner_text())
    for word in ("Customer segments", "Champions", "Sales", "Lines"):
        assert word not in body, word


def test_a_signed_out_visitor_sees_only_the_sign_in(server: str, page: Any) -> None:
    for path in PAGES:
        page.goto(server + path)
        settle(page)
        assert_nothing_of_the_data(page)
    page.screenshot(path=str(ARTIFACTS / "sign-in.png"))


def test_a_viewer_explores_downloads_a_list_and_cannot_reach_the_upload(
    server: str, page: Any, demo_store: Path, tmp_path: Path
) -> None:
    access.export_log_path(demo_store).unlink(missing_ok=True)
    sign_in(page, server, VIEWER)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert f"Signed in as {VIEWER} (viewer)" in str(sidebar.inner_text())
    assert metric(page, "Sales").startswith("£")

    sidebar.get_by_role("link", name="Data").click()
    settle(page)
    body = str(page.locator("body").inner_text())
    assert "a viewer: you can explore the figures and download customer lists" in body
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    assert page.locator("input[type='file']").count() == 0
    for label in ("Load", "Regenerate demo data", "Restore", "Sync PostgreSQL"):
        assert page.get_by_role("button", name=label, exact=True).count() == 0, label
    page.screenshot(path=str(ARTIFACTS / "data-as-viewer.png"), full_page=True)

    sidebar.get_by_role("link", name="Customer segments").click()
    settle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    rows = len(saved.read_text(encoding="utf-8-sig").splitlines()) - 1
    (record,) = access.read_exports(demo_store)
    assert (record.by, record.via, record.format, record.customers) == (VIEWER, "app", "csv", rows)
    assert record.file == saved.name

    sign_out(page, server)
    assert_nothing_of_the_data(page)
    page.goto(server + "/segments")
    settle(page)
    assert_nothing_of_the_data(page)  # the identity cookie is gone: signed out for good


def test_an_editor_replaces_the_data_only_after_confirming_and_restores_it(
    server: str, page: Any, demo_store: Path
) -> None:
    sign_in(page, server, EDITOR)
    page.locator("[data-testid='stSidebar']").get_by_role("link", name="Data").click()
    settle(page)
    assert metric(page, "Lines") == "20,000"
    page.get_by_label("Lines", exact=True).fill("10000")
    page.get_by_label("Lines", exact=True).press("Enter")
    settle(page)

    page.get_by_role("button", name="Regenerate demo data").click()
    settle(page)
    warning = str(page.locator("[data-testid='stAlertContentWarning']").inner_text())
    assert "This replaces the 20,000 lines of demo data loaded " in warning, warning
    assert "It will be kept" in warning
    assert metric(page, "Lines") == "20,000"  # nothing replaced yet
    page.screenshot(path=str(ARTIFACTS / "confirm-replace.png"), full_page=True)
    page.get_by_role("button", name="Replace it").click()
    wait_for_metric(page, "Lines", "10,000")

    page.get_by_role("button", name="Restore", exact=True).click()
    settle(page)
    warning = str(page.locator("[data-testid='stAlertContentWarning']").inner_text())
    assert "This replaces the 10,000 lines of demo data loaded " in warning, warning
    page.get_by_role("button", name="Replace it").click()
    wait_for_metric(page, "Lines", "20,000")
    page.screenshot(path=str(ARTIFACTS / "data-as-editor.png"), full_page=True)

    con = store.connect(demo_store, read_only=True)
    try:
        log = history.load_log(con).to_dicts()
        kept = history.kept_sets(con).kept
    finally:
        con.close()
    assert [(r["kind"], r["loaded_by"]) for r in log if r["loaded_by"] == EDITOR] == [
        ("restore", EDITOR),
        ("demo", EDITOR),
    ]
    assert [k.description.split(" loaded ")[0] for k in kept] == ["the 10,000 lines of demo data"]
