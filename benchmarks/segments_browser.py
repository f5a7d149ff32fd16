"""`python -m benchmarks.segments_browser [--rows 1000000] [--changes 12]`: one rule change on the Saved
segments page in a real browser (Debian's Chromium), against the same change in a trivial Streamlit app.

Issue #18's target: a filter change answers within 4× a trivial Streamlit app's click time. Both are timed the
same way, from pressing Enter in a number box to the script's end (``data-test-script-state`` back to
``notRunning``), over ``--changes`` different values (each one a new rule: nothing cached), median and p90.
The trivial app is a number box and a metric. The store is the benchmarks' cached demo store of ``--rows``
lines. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
IDLE = "[data-test-script-state='notRunning']"
TRIVIAL_APP = (
    'import streamlit as st\n\nn = st.number_input("Value", value=1, step=1)\nst.metric("Doubled", n * 2)\n'
)


def _serve(script: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(
        command, cwd=script.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"no answer from {script} in 90 s")


def _changes(page: object, label: str, values: list[int]) -> list[float]:
    box = page.get_by_label(label, exact=True)  # type: ignore[attr-defined]
    times = []
    for value in values:
        box.fill(str(value))
        started = time.perf_counter()
        box.press("Enter")
        page.wait_for_timeout(30)  # type: ignore[attr-defined]  # let the rerun start
        page.wait_for_selector(IDLE, timeout=120_000)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - started)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median": statistics.median(ordered), "p90": ordered[int(0.9 * (len(ordered) - 1))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=12)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from benchmarks.steps import demo_store

    repo = Path(__file__).resolve().parent.parent
    store = demo_store(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        trivial_script = Path(folder) / "trivial_app.py"
        trivial_script.write_text(TRIVIAL_APP)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            try:
                proc, url = _serve(trivial_script, dict(os.environ))
                try:
                    page = browser.new_page(viewport={"width": 1440, "height": 1000})
                    page.goto(url)
                    page.wait_for_selector(IDLE, timeout=120_000)
                    trivial = _changes(page, "Value", list(range(2, 2 + args.changes)))
                finally:
                    proc.terminate()
                    proc.wait(timeout=15)
                proc, url = _serve(repo / "streamlit_app.py", {**os.environ, "LGS_DB": str(store)})
                try:
                    page = browser.new_page(viewport={"width": 1440, "height": 1000})
                    page.goto(f"{url}/saved_segments")
                    page.wait_for_selector(IDLE, timeout=120_000)
                    page.wait_for_timeout(2_000)
                    page.wait_for_selector(IDLE, timeout=120_000)
                    ours = _changes(page, "Value (days ago)", list(range(31, 31 + args.changes)))
                finally:
                    proc.terminate()
                    proc.wait(timeout=15)
            finally:
                browser.close()
    result = {
        "rows": args.rows,
        "load_average": os.getloadavg()[0],
        "trivial_app": _summary(trivial),
        "rule_change": _summary(ours),
    }
    result["ratio_of_medians"] = result["rule_change"]["median"] / result["trivial_app"]["median"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
