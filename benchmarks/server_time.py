"""A cached rerun's server time per page (issue #14): the app's script run through Streamlit's AppTest.

A page is opened through streamlit_app.py (its navigation and sidebar), run once so every cache holds its
figures, then rerun unchanged: what is left is the work a page repeats on every rerun (the sidebar, reading
the caches, building and serialising the charts and tables). ``python -m benchmarks.server_time PAGE ROWS``
prints the median of the reruns; ``... --profile FILE`` writes this process's id to FILE once the page is
open, then reruns it 60 times, for ``py-spy record --pid`` to sample (docs/profiles/cached_rerun_charts_1M.txt).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# page name -> (page script, tab of Deeper segments to open)
PAGES: dict[str, tuple[str, str]] = {
    "Overview": ("pages/overview.py", ""),
    "Orders": ("pages/orders.py", ""),
    "Customer segments": ("pages/segments.py", ""),
    "Deeper segments, cohorts tab": ("pages/deeper_segments.py", "Cohort retention"),
    "Deeper segments, migration tab": ("pages/deeper_segments.py", "Segment migration"),
    "Deeper segments, lifetime value tab": ("pages/deeper_segments.py", "Lifetime value"),
    "Deeper segments, affinity tab": ("pages/deeper_segments.py", "Product affinity"),
    "Weekly report": ("pages/reports.py", ""),
}
RERUNS = 15


def opened(page: str, db: Path) -> Any:
    """An AppTest of the app on ``db`` showing ``page`` with every cache filled."""
    from streamlit.testing.v1 import AppTest

    os.environ["LGS_DB"] = str(db)
    os.chdir(REPO)
    script, tab = PAGES[page]
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=600)
    at.run()
    if tab:
        at.session_state["deeper_tab"] = tab
    at.switch_page(script).run()
    at.run()
    if at.exception:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
    return at


def reruns(at: Any, count: int = RERUNS) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
    return times


def measure(page: str, db: Path) -> dict[str, float]:
    times = sorted(reruns(opened(page, db)))
    return {"seconds": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1) + 0.5)]}


def main() -> None:
    from benchmarks.browser import app_store

    page, rows = sys.argv[1], int(sys.argv[2])
    db = app_store(rows)
    at = opened(page, db)
    if "--profile" in sys.argv:
        ready = Path(sys.argv[sys.argv.index("--profile") + 1])
        ready.write_text(str(os.getpid()))
        reruns(at, 60)
    else:
        print(statistics.median(reruns(at)))


if __name__ == "__main__":
    main()
