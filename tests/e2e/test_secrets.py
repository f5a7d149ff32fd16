"""The PostgreSQL password never leaves the secrets (issue #8, item 7): not on a page, not in the server's
output or logs, not in an exception, not in a download.

The app is configured with a [postgres] section holding a distinctive password, against a port where
nothing listens and against a real server that refuses the password (the session's PostgreSQL from
tests/fixtures/pg_fixtures.py, made to check passwords: ``pg_password_role``). Then every page runs (AppTest, with
the log and the process's stdout/stderr captured), and the real `streamlit run` serves the same app from a
folder holding a real ``.streamlit/secrets.toml`` while Chromium opens every page and downloads the segment
lists: the password is searched for in the rendered text, the HTML, the server's output and the files.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fixtures.app_server import CHROMIUM_ARGS, REPO, free_port, require_chromium, settle, streamlit_server
from streamlit.testing.v1 import AppTest

from lgs_core.sources.demo import load_demo

if TYPE_CHECKING:
    from fixtures.pg_fixtures import PasswordRole

pytest_plugins = ["fixtures.pg_fixtures"]

APP = str(REPO / "streamlit_app.py")
PAGES = [
    "pages/overview.py",
    "pages/orders.py",
    "pages/segments.py",
    "pages/deeper_segments.py",
    "pages/reports.py",
    "pages/data.py",
]
TIMEOUT = 120
PASSWORD = "Zq9-secret-Hunter2-pw"  # distinctive: found only if it leaked


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "store.duckdb"
    load_demo(path, rows=20_000, seed=11)
    return path


def dead_port_section() -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": free_port(),
        "dbname": "lgs",
        "user": "lgs_reader",
        "password": PASSWORD,
    }


def page_texts(at: AppTest) -> list[str]:
    """Everything AppTest sees a page show: texts, alerts, exceptions, cards, tables, widget labels."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "code", "latex", "json"):
        texts += [str(e.value) for e in getattr(at, kind)]
    for kind in ("error", "warning", "info", "success", "toast"):
        texts += [str(e.value) for e in getattr(at, kind)]
    texts += [f"{e.value} {e.message} {e.stack_trace}" for e in at.exception]
    texts += [f"{m.label} {m.value} {m.help}" for m in at.metric]
    texts += [e.value.to_string() for e in at.dataframe]
    for kind in ("button", "checkbox", "selectbox", "multiselect", "text_input", "number_input", "toggle"):
        texts += [f"{w.label} {getattr(w, 'value', '')}" for w in getattr(at, kind)]
    texts += [str(node) for node in at.get("download_button")]
    return texts


def run_every_page(at: AppTest) -> list[str]:
    at.run()
    texts = page_texts(at)
    for page in PAGES:
        if (REPO / page).exists():
            at.switch_page(page).run()
            texts += page_texts(at)
    return texts


def assert_never_shown(secret: str, texts: list[str], logs: str) -> None:
    leaked = [t for t in texts if secret in t]
    assert not leaked, leaked
    assert secret not in logs


def test_a_dead_port_never_shows_the_password(
    demo_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    monkeypatch.chdir(REPO)
    caplog.set_level(logging.DEBUG)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["postgres"] = dead_port_section()
    texts = run_every_page(at)
    assert any("the start-up sync from PostgreSQL failed" in t for t in texts)  # the failure is reported
    out, err = capfd.readouterr()
    assert_never_shown(PASSWORD, texts, caplog.text + out + err)


def test_a_refused_password_is_never_shown(
    pg_password_role: PasswordRole,
    demo_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    role = pg_password_role
    wrong = f"{PASSWORD}-wrong"
    monkeypatch.setenv("LGS_DB", str(demo_store))
    monkeypatch.chdir(REPO)
    caplog.set_level(logging.DEBUG)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["postgres"] = {"dsn": role.dsn_for("postgres", password=wrong)}
    texts = run_every_page(at)
    banner = [t for t in texts if "the start-up sync from PostgreSQL failed" in t]
    assert banner and "password was refused" in banner[0], texts
    out, err = capfd.readouterr()
    assert_never_shown(wrong, texts, caplog.text + out + err)
    assert_never_shown(role.password, texts, caplog.text + out + err)


# --- the real server, its output, the HTML and the downloads ---------------------------------------------


@pytest.fixture
def app_with_secrets(tmp_path: Path) -> Path:
    """The app's files in a folder of their own, with a real .streamlit/secrets.toml (Streamlit reads it
    from the working directory); lgs_core and sql/ come from the repository (PYTHONPATH)."""
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(REPO / "streamlit_app.py", folder)
    shutil.copytree(REPO / "pages", folder / "pages", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / ".streamlit").mkdir()
    shutil.copy(REPO / ".streamlit" / "config.toml", folder / ".streamlit")
    section = dead_port_section()
    (folder / ".streamlit" / "secrets.toml").write_text(
        "[postgres]\n" + "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in section.items())
    )
    return folder


@pytest.fixture
def served(app_with_secrets: Path, demo_store: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log_path = tmp_path / "streamlit.log"
    env = {"PYTHONPATH": str(REPO)}
    with streamlit_server(demo_store, log_path, cwd=app_with_secrets, env=env) as url:
        yield url, log_path


@pytest.mark.browser
@pytest.mark.slow
def test_the_served_app_never_shows_the_password(served: tuple[str, Path], tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    url, log_path = served
    seen: list[str] = []
    downloads: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            console: list[str] = []
            page.on("console", lambda msg: console.append(msg.text))
            page.goto(url)
            settle(page)
            body = str(page.locator("body").inner_text())
            assert "the start-up sync from PostgreSQL failed" in body, body[:2000]
            for name in (
                "Overview",
                "Orders",
                "Customer segments",
                "Deeper segments",
                "Weekly report",
                "Data",
            ):
                link = page.locator("[data-testid='stSidebar']").get_by_role("link", name=name)
                if not link.count():
                    continue
                link.first.click()
                settle(page)
                seen += [str(page.locator("body").inner_text()), page.content(), page.url]
                if name == "Customer segments":
                    for label in ("Download CSV", "Download Excel"):
                        with page.expect_download() as info:
                            page.get_by_role("button", name=label).click()
                        saved = tmp_path / info.value.suggested_filename
                        info.value.save_as(saved)
                        downloads.append(saved)
            seen += console
        finally:
            browser.close()
    assert len(downloads) == 2
    leaked = [s[:200] for s in seen if PASSWORD in s]
    assert not leaked, leaked
    for path in downloads:
        assert PASSWORD.encode() not in path.read_bytes(), path
        if zipfile.is_zipfile(path):  # an xlsx is a zip of XML parts: search inside them too
            with zipfile.ZipFile(path) as book:
                for part in book.namelist():
                    assert PASSWORD.encode() not in book.read(part), f"{path}: {part}"
    assert PASSWORD not in log_path.read_text()
