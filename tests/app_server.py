"""A real app for the browser tests: `streamlit run` on a free port, Debian's Chromium driven by Playwright.

Shared by tests/test_browser.py, tests/test_failures.py, tests/test_concurrency.py and tests/test_secrets.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IDLE = "[data-test-script-state='notRunning']"


def missing(reason: str) -> None:
    """Skip with the reason; under CI=true fail instead (CI must run the browser tests)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the browser test)")
    pytest.skip(reason)


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        missing(f"Debian's Chromium is not installed at {CHROMIUM}: apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("playwright is not installed: pip install -r requirements-dev.txt")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streamlit_server(
    db: Path, log_path: Path, *, cwd: Path = REPO, env: dict[str, str] | None = None, keep_log_as: str = ""
) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on LGS_DB=``db``, its stdout and stderr in ``log_path``: the URL.

    ``cwd`` is where Streamlit looks for ``.streamlit/secrets.toml`` (a copy of the app with its own secrets).
    ``keep_log_as``: also copy the log to test-artifacts/ under that name at the end.
    """
    port = free_port()
    full_env = {**os.environ, **(env or {}), "LGS_DB": str(db), "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no answer on {url}/_stcore/health in 90 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        if keep_log_as:
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / keep_log_as).write_text(log_path.read_text())


def settle(page: Any, *, charts: bool = False) -> None:
    """Wait for the script run an interaction started to finish (and the charts to draw, for a screenshot)."""
    page.wait_for_timeout(250)  # let the interaction's rerun start
    page.wait_for_selector(IDLE, timeout=90_000)
    if charts:
        page.wait_for_timeout(2_000)


def metric(page: Any, label: str) -> str:
    card = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=label)
    )
    return str(card.locator("[data-testid='stMetricValue']").first.inner_text()).strip()


def problems(page: Any) -> list[str]:
    """The exception boxes and error alerts a page shows now (texts, as a user reads them: without the
    invisible word joiners lgs_core.present.display.literal puts into text from the data)."""
    found = page.locator("[data-testid='stException']").all_inner_texts()
    found += page.locator("[data-testid='stAlertContentError']").all_inner_texts()
    return [str(t).replace("\u2060", "") for t in found]
