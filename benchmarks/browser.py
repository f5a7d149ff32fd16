"""What a person waits for (issue #14): a real Chromium clicking the app, against Streamlit's own floor.

`python -m benchmarks` runs ``measure(rows)`` at each size: one `streamlit run streamlit_app.py` server on a
copy of the demo store (seed 42) and, in the same run, a one-button Streamlit app (the floor: what any click
costs in Streamlit on this machine: the websocket round trip, an empty script run, React's update). For the
Overview, Orders, Customer segments, each Deeper segments tab and the Weekly report, a fresh browser session
opens the page, then clicks the sidebar through 5 filter states it has not seen (new: the page computes) and
the same 5 again (cached). A click is timed in the page itself, from ``element.click()`` until the app's
``data-test-script-state`` has left ``notRunning`` and come back to it with no ``[data-stale='true']`` element
left (every element the run drew is on screen). Reported: median and p95 per page, and each over the floor's
median.

Also here: the time from `streamlit run` on a new store to the first painted Overview (``first_paint``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.targets import FIRST_PAINT

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
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
# One button and the number of runs: the least a Streamlit app can do on a click (a script with only the
# button draws nothing new, and the frontend does not even mark it stale).
FLOOR_SCRIPT = """import streamlit as st

st.button("Click")
st.session_state["runs"] = st.session_state.get("runs", 0) + 1
st.write(st.session_state["runs"])
"""
FLOOR_CLICKS = 20  # before the pages and again after them: the floor is the median of both
# The floor runs with the app's .streamlit/config.toml (the same settings: the app's floor). For comparison,
# the same app under Streamlit's default runner settings, where a full garbage collection follows every run.
DEFAULTS = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"}
TIMEOUT_MS = 180_000

# Installed in every page before Streamlit's own scripts: each message on Streamlit's websocket is read for a
# ForwardMsg's script_finished field (field 6, an enum: 0 a full run finished, 2 stopped for a rerun, 3 a
# fragment's run) and its status pushed to window.__lgsFinished, before Streamlit handles the message.
_WATCH_RUNS = """
(() => {
  window.__lgsFinished = [];
  const varint = (b, i) => {
    let x = 0, shift = 0, c;
    do { c = b[i++]; x += (c & 0x7f) * 2 ** shift; shift += 7; } while (c & 0x80);
    return [x, i];
  };
  const finished = (buffer) => {
    const b = new Uint8Array(buffer);
    let i = 0, tag, value, size;
    while (i < b.length) {
      [tag, i] = varint(b, i);
      const field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) { [value, i] = varint(b, i); if (field === 6) return value; }
      else if (wire === 2) { [size, i] = varint(b, i); i += size; }
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return null;
    }
    return null;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (event.data instanceof ArrayBuffer) {
          const status = finished(event.data);
          if (status !== null) window.__lgsFinished.push(status);
        }
      });
    }
  };
})();
"""

# Timed in the page: the click, then every DOM change (and every frame) is checked until the run that click
# started has finished on screen: the server said its run finished (script_finished 0, above) and, after
# that, React has drawn it: the script state is notRunning, no element is stale and the main area's text
# differs from before the click (every click below leads to other figures; the floor shows its run count).
# Neither the DOM nor the message alone is enough: a fast run's messages can arrive together, so the frontend
# never shows it running; and the main area's text can change on its own (a chart finishing its drawing).
# Resolves [answered, drawn]: answered when that first holds; drawn when it holds with no slow tab still
# computing beside the page (.st-key-lgs_pending, pages/deeper_segments.py), which for other pages is the same.
_CLICK_AND_WAIT = """
([el, marker, timeout, statuses = [0]]) => new Promise((resolve, reject) => {
  const app = document.querySelector("[data-testid='stApp']");
  const read = new Function("return " + marker);
  const before = read();
  const runsBefore = window.__lgsFinished.length;
  const started = performance.now();
  let answered = null;
  let done = false;
  const check = () => {
    if (done || !window.__lgsFinished.slice(runsBefore).some((s) => statuses.includes(s))) return;
    if (read() === before) return;
    if (app.getAttribute("data-test-script-state") !== "notRunning") return;
    if (document.querySelector("[data-stale='true']")) return;
    const seconds = (performance.now() - started) / 1000;
    if (answered === null) answered = seconds;
    if (document.querySelector(".st-key-lgs_pending")) return;
    done = true;
    observer.disconnect();
    clearTimeout(timer);
    resolve([answered, seconds]);
  };
  const frame = () => { check(); if (!done) requestAnimationFrame(frame); };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                                   attributeFilter: ["data-test-script-state", "data-stale"]});
  const timer = setTimeout(() => { done = true; observer.disconnect(); reject(new Error("no finished run in time")); },
                           timeout);
  el.click();
  requestAnimationFrame(frame);
})
"""


@dataclass(frozen=True)
class Page:
    """One page of the app as the browser step visits it: its URL path, and the tab to open first."""

    name: str
    path: str
    tab: str = ""
    # The third quick range of the click cycle: the report ignores the date range's start (it judges the
    # week its end covers), so its cycle needs a range ending elsewhere than the data's last day.
    third: str = "Last 12 months"


PAGES = (
    Page("Overview", ""),
    Page("Orders", "orders"),
    Page("Customer segments", "segments"),
    Page("Deeper segments, cohorts tab", "deeper_segments", "Cohort retention"),
    Page("Deeper segments, migration tab", "deeper_segments", "Segment migration"),
    Page("Deeper segments, lifetime value tab", "deeper_segments", "Lifetime value"),
    Page("Deeper segments, affinity tab", "deeper_segments", "Product affinity"),
    Page("Weekly report", "reports", third="2009"),
)


def new_clicks(page: Page) -> list[str]:
    """Five clicks from the page's first view (all data, all lines), each to a filter state not seen yet:
    (all, products only), (2010, products), (2010, all lines), (third, all lines), (third, products)."""
    return ["Products only", "2010", "Products only", page.third, "Products only"]


def cached_clicks(page: Page) -> list[str]:
    """Five clicks through the same five states again, in the same order (every one is cached now)."""
    return ["All data", "2010", "Products only", page.third, "Products only"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(
    script: Path, log_path: Path, env: dict[str, str] | None = None, health_timeout: float = 120
) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """`streamlit run SCRIPT` on a free port (cwd: the repository, so its .streamlit/config.toml applies):
    (its URL, the process, seconds from start until /_stcore/health answered)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=REPO, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + health_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}"
                )
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer,
            ):
                if answer.status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer on {url}/_stcore/health in {health_timeout:.0f} s")
            time.sleep(0.05)
        yield url, proc, time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def tree_rss_mb(pid: int) -> float:
    """Resident MB of the process and its children (psutil)."""
    import psutil

    proc = psutil.Process(pid)
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 1024**2


def wait_idle(page: Any) -> None:
    """The run a navigation started has finished and nothing is stale (not timed)."""
    page.wait_for_timeout(200)
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector(\"[data-stale='true']\")", timeout=TIMEOUT_MS)


def wait_drawn(page: Any) -> None:
    """Also no slow tab still computing beside the page (not timed: before the first click)."""
    page.wait_for_selector(".st-key-lgs_pending", state="detached", timeout=TIMEOUT_MS)
    wait_idle(page)


MARKER = "document.querySelector(\"[data-testid='stMainBlockContainer']\").textContent"


def timed_click(
    page: Any, target: Any, marker: str = MARKER, *, fragment: bool = False
) -> tuple[float, float]:
    """Seconds from clicking ``target`` (a Playwright locator) until its run has finished on screen, and
    until a slow tab's result computed beside the page is drawn too (the same for other pages).
    ``fragment``: the click reruns a fragment (its run finishes with script_finished 3), or the page."""
    target.wait_for(state="visible", timeout=TIMEOUT_MS)
    statuses = [0, 3] if fragment else [0]
    answered, drawn = page.evaluate(_CLICK_AND_WAIT, [target.element_handle(), marker, TIMEOUT_MS, statuses])
    page.wait_for_timeout(150)  # let the server settle (cache writes) before the next click
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    return float(answered), float(drawn)


def _clicks(page: Any, labels: list[str]) -> tuple[list[tuple[float, float]], list[str]]:
    """Each label's control clicked in turn: the click times and the URL each click led to."""
    times, urls = [], []
    for label in labels:
        times.append(timed_click(page, _control(page, label)))
        urls.append(page.url)
    return times, urls


def _control(page: Any, label: str) -> Any:
    sidebar = page.locator("[data-testid='stSidebar']")
    if label == "Products only":
        return sidebar.locator("[data-testid='stCheckbox'] input").first
    return sidebar.get_by_role("radio", name=label, exact=True)


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"seconds": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1) + 0.5)]}


def new_session(browser: Any) -> Any:
    """A browser context (a new Streamlit session per page opened) that watches for finished runs."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.add_init_script(_WATCH_RUNS)
    return context


def measure_floor(browser: Any, url: str, clicks: int = FLOOR_CLICKS) -> list[float]:
    """A fresh session on the one-button app: ``clicks`` clicks after one that is not counted."""
    context = new_session(browser)
    try:
        page = context.new_page()
        page.goto(url)
        wait_idle(page)
        button = page.get_by_role("button", name="Click")
        timed_click(page, button)  # the first click of a session warms up; not counted
        return [timed_click(page, button)[0] for _ in range(clicks)]
    finally:
        context.close()


def measure_page(browser: Any, url: str, page_spec: Page) -> dict[str, list[float]]:
    """A fresh session on the page (its tab open): the 5 new states' clicks, answered and drawn, then the
    same 5 again (cached)."""
    context = new_session(browser)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/{page_spec.path}")
        wait_idle(page)
        if page_spec.tab:
            page.get_by_role("tab", name=page_spec.tab).click()
            wait_idle(page)
        start_url = page.url
        wait_drawn(page)
        new, new_urls = _clicks(page, new_clicks(page_spec))
        cached, cached_urls = _clicks(page, cached_clicks(page_spec))
        problems = page.locator("[data-testid='stException']").all_inner_texts()
        if errors or problems:
            raise RuntimeError(f"{page_spec.name}: the page failed: {errors or problems}")
        # The sidebar keeps the URL in step with the filters: 5 states not seen before, then those 5 again.
        if len(set(new_urls)) != len(new_urls) or cached_urls != new_urls or start_url in new_urls:
            raise RuntimeError(f"{page_spec.name}: the clicks did not visit 5 new states, then the same 5")
        return {
            "new": [answered for answered, _ in new],
            "new_drawn": [drawn for _, drawn in new],
            "cached": [drawn for _, drawn in cached],
        }
    finally:
        context.close()


def app_store_path(rows: int) -> Path:
    return OUT / f"browser_{rows}.duckdb"


def app_store(rows: int) -> Path:
    """The server's own copy of the demo store (the app opens its store writable, so it cannot share the
    file the other steps read)."""
    from benchmarks.steps import demo_store

    copy = app_store_path(rows)
    copy.unlink(missing_ok=True)
    Path(str(copy) + ".wal").unlink(missing_ok=True)
    shutil.copy(demo_store(rows), copy)
    return copy


def measure(rows: int, pages: tuple[Page, ...] = PAGES, floor_clicks: int = FLOOR_CLICKS) -> dict[str, Any]:
    """The floor (before the pages and after them) and every page at ``rows`` lines: raw click times, the
    server's RSS after the pages, the load average before and after."""
    from playwright.sync_api import sync_playwright

    before = f"{os.getloadavg()[0]:.1f}"
    OUT.mkdir(parents=True, exist_ok=True)
    floor_script = OUT / "floor_app.py"
    floor_script.write_text(FLOOR_SCRIPT)
    store = app_store(rows)
    floor: list[float] = []
    per_page: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Streamlit's defaults (postScriptGC on: gc.collect(2) after each run), for comparison only.
            with serve(floor_script, OUT / "browser_floor_default.log", DEFAULTS) as (default_url, _, _):
                default_floor = measure_floor(browser, default_url, floor_clicks)
            with serve(floor_script, OUT / "browser_floor.log") as (floor_url, _, _):
                floor += measure_floor(browser, floor_url, floor_clicks)
                with serve(REPO / "streamlit_app.py", OUT / "browser_app.log", {"LGS_DB": str(store)}) as (
                    url,
                    proc,
                    _,
                ):
                    for spec in pages:
                        per_page[spec.name] = measure_page(browser, url, spec)
                        print(
                            f"browser      {spec.name:<40} {rows:>12,} "
                            f"new {statistics.median(per_page[spec.name]['new']):.3f} s, "
                            f"cached {statistics.median(per_page[spec.name]['cached']):.3f} s",
                            flush=True,
                        )
                    rss = tree_rss_mb(proc.pid)
                floor += measure_floor(browser, floor_url, floor_clicks)
        finally:
            browser.close()
    store.unlink(missing_ok=True)
    after = f"{os.getloadavg()[0]:.1f}"
    return {
        "floor": floor,
        "default_floor": default_floor,
        "pages": per_page,
        "server_rss_mb": rss,
        "load": f"{before} → {after}",
    }


def rows_of(rows: int, measured: dict[str, Any]) -> list[dict[str, object]]:
    """The browser step as table rows: the floor, and per page its new-state and cached clicks (and, for a
    slow tab that computes beside the page, when its result was drawn)."""
    floor = summary(measured["floor"])
    default_floor = summary(measured["default_floor"])["seconds"] if measured.get("default_floor") else None
    load = measured.get("load", "")

    def over_default(seconds: float) -> dict[str, float]:
        return {"x_default_floor": seconds / default_floor} if default_floor else {}

    out: list[dict[str, object]] = [
        {
            "group": "browser",
            "step": FLOOR_STEP,
            "rows": rows,
            **floor,
            "x_floor": 1.0,
            "x_floor_p95": floor["p95"] / floor["seconds"],
            "clicks": len(measured["floor"]),
            "load": load,
        }
    ]
    if measured.get("default_floor"):
        default = summary(measured["default_floor"])
        out.append(
            {
                "group": "browser",
                "step": DEFAULT_FLOOR_STEP,
                "rows": rows,
                **default,
                "x_floor": default["seconds"] / floor["seconds"],
                "x_floor_p95": default["p95"] / floor["seconds"],
                "x_default_floor": 1.0,
                "clicks": len(measured["default_floor"]),
                "load": load,
            }
        )
    for name, times in measured["pages"].items():
        kinds = [("new", "new filter state"), ("cached", "same state again (cached)")]
        if any(d > a + 0.001 for a, d in zip(times["new"], times["new_drawn"], strict=True)):
            kinds.insert(1, ("new_drawn", "new filter state, result drawn"))
        for kind, label in kinds:
            figures = summary(times[kind])
            out.append(
                {
                    "group": "browser",
                    "step": f"{name}: {label}",
                    "rows": rows,
                    **figures,
                    "x_floor": figures["seconds"] / floor["seconds"],
                    "x_floor_p95": figures["p95"] / floor["seconds"],
                    **over_default(figures["seconds"]),
                    "clicks": len(times[kind]),
                    "peak_rss_mb": float(measured["server_rss_mb"]),
                    "load": load,
                }
            )
    return out


FLOOR_STEP = "floor: a one-button Streamlit app"
DEFAULT_FLOOR_STEP = "the same app, Streamlit's default settings (a full gc.collect after every run)"


# --- a new store: from `streamlit run` to the first painted Overview ------------------------------------------


def first_paint(rows: int) -> dict[str, float]:
    """`streamlit run streamlit_app.py` on a store that does not exist yet (LGS_DEMO_ROWS=``rows``): seconds
    until /_stcore/health answers, and from then until a browser that asked for the Overview at once shows
    it painted (its KPI cards drawn, the run finished, nothing stale)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lgs_first_paint_") as tmp:
        env = {"LGS_DB": str(Path(tmp) / "new.duckdb"), "LGS_DEMO_ROWS": str(rows)}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
                with serve(REPO / "streamlit_app.py", OUT / "browser_first_paint.log", env) as (
                    url,
                    _,
                    health,
                ):
                    healthy = time.perf_counter()
                    page.goto(url)
                    page.wait_for_selector("[data-testid='stMetricValue']", timeout=TIMEOUT_MS)
                    wait_painted(page)
                    painted = time.perf_counter() - healthy
            finally:
                browser.close()
    return {"health_seconds": health, "seconds": painted}


def wait_painted(page: Any) -> None:
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector(\"[data-stale='true']\")", timeout=TIMEOUT_MS)


def first_paint_row(rows: int, repeat: int) -> dict[str, object]:
    runs = [first_paint(rows) for _ in range(repeat)]
    return {
        "group": "start",
        "step": FIRST_PAINT,
        "rows": rows,
        "seconds": statistics.median(r["seconds"] for r in runs),
        "p95": max(r["seconds"] for r in runs),
        "health_seconds": statistics.median(r["health_seconds"] for r in runs),
        "runs": len(runs),
    }
