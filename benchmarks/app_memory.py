"""`python -m benchmarks.app_memory [--rows 1000000] [--sessions 5]`: the app server's memory (issue #7).

One `streamlit run streamlit_app.py` server on a demo store (LGS_DB, ``--rows`` lines, seed 42) and
``--sessions`` browser sessions (Playwright contexts in Debian's Chromium), each opening the Overview,
choosing its own country in the sidebar, then Orders and Customer segments; all sessions stay open. Reports
the server's resident set (psutil: the process and its children) once every session has finished, and the
highest value sampled while they ran. Target: < 1 GB. Prints the figures and appends them to
docs/benchmarks_notes.md (which `python -m benchmarks` puts under its table).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
NOTES = REPO / "docs" / "benchmarks_notes.md"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
IDLE = "[data-test-script-state='notRunning']"
COUNTRIES = ["United Kingdom", "France", "Germany", "EIRE", "Netherlands", "Spain", "Belgium", "Switzerland"]
TARGET_MB = 1024


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of ``proc`` and all its children (vanished children are skipped)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _store(rows: int) -> Path:
    """The server's own store (the app opens it writable, so it cannot share a file another process reads)."""
    path = OUT / f"app_memory_{rows}.duckdb"
    if not path.exists():
        from lgs_core.sources.demo import load_demo

        OUT.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        load_demo(tmp, rows=rows, seed=42)
        tmp.rename(path)
    return path


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(250)  # let the interaction's rerun start
    page.wait_for_selector(IDLE, timeout=120_000)


def _session(browser, url: str, country: str) -> object:  # type: ignore[no-untyped-def]
    """One user: Overview, their country in the sidebar, Orders, Customer segments. The context stays open."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.goto(url)
    _settle(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.locator("[data-testid='stMultiSelect']").locator("input").click()
    page.keyboard.type(country)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _settle(page)
    page.wait_for_url("**country=**")
    for title in ("Orders", "Customer segments"):
        sidebar.get_by_role("link", name=title).click()
        _settle(page)
    return context


def measure(rows: int, sessions: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    db = _store(rows)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LGS_DB": str(db), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / "app_memory_streamlit.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    peak = 0
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                raise SystemExit(
                    f"streamlit exited with {server.returncode}:\n{log_path.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"no answer on {url}/_stcore/health in 90 s")
            time.sleep(0.3)
        process = psutil.Process(server.pid)
        idle_rss = tree_rss(process)

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, tree_rss(process))
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                contexts = [_session(browser, url, COUNTRIES[i % len(COUNTRIES)]) for i in range(sessions)]
                time.sleep(2)  # let the server finish any work after the last rerun
                after_rss = tree_rss(process)
                for context in contexts:
                    context.close()  # type: ignore[attr-defined]
            finally:
                browser.close()
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        peak = max(peak, after_rss)
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)
    return {
        "idle_mb": idle_rss / 1024**2,
        "after_mb": after_rss / 1024**2,
        "peak_mb": peak / 1024**2,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_memory")
    parser.add_argument("--rows", type=int, default=1_000_000, help="demo lines in the server's store")
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print, but do not append to the notes")
    args = parser.parse_args()
    result = measure(args.rows, args.sessions)
    met = "met" if result["peak_mb"] < TARGET_MB else "**missed**"
    line = (
        f"- App memory ({datetime.now():%Y-%m-%d %H:%M}, `python -m benchmarks.app_memory`): one `streamlit run` "
        f"server on a {args.rows:,}-line demo store, {args.sessions} browser sessions each through Overview, "
        f"its own country, Orders and Customer segments ({result['seconds']:.0f} s): server RSS "
        f"{result['after_mb']:,.0f} MB after (idle before: {result['idle_mb']:,.0f} MB, highest sampled: "
        f"{result['peak_mb']:,.0f} MB); target < {TARGET_MB:,} MB: {met}."
    )
    print(line)
    if not args.no_write:
        NOTES.parent.mkdir(exist_ok=True)
        text = NOTES.read_text() if NOTES.exists() else "## Notes\n"
        NOTES.write_text(text.rstrip("\n") + "\n" + line + "\n")


if __name__ == "__main__":
    main()
