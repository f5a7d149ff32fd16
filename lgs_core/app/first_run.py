"""A first start on a new store (issue #14): demo data made beside the app, once per store, with progress.

The app's server starts it as it starts (streamlit_app.py's lifespan), before it has imported the pages, so
the generation runs while the first visitor's browser loads; a page that finds the store empty waits on the
same job with a progress bar (or starts it, where no lifespan ran: AppTest, the Rebuild button). Light to
import: the generator (NumPy, DuckDB) is imported by the job.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lgs_core.app import background
from lgs_core.store import store

# The size of the real data set: what a new user explores until real data is loaded.
DEMO_ROWS = 1_000_000
SEED = 42


def demo_rows() -> int:
    """How many demo lines a first start generates: DEMO_ROWS, or env LGS_DEMO_ROWS (a small machine, a test)."""
    return int(os.environ.get("LGS_DEMO_ROWS") or DEMO_ROWS)


def store_has_lines(path: Path) -> bool:
    """Whether the store at ``path`` holds any line (read directly: no cache, no session needed). A damaged
    file counts as data: the app offers to rebuild it, nothing overwrites it unasked."""
    if not path.exists():
        return False
    try:
        con = store.connect(path)
    except store.StoreCorruptError:
        return True
    try:
        return store.store_info(con, str(path)).lines > 0
    finally:
        con.close()


def start_demo_data(path: str | os.PathLike[str] | None = None) -> background.Job[Any] | None:
    """The first-run demo generation of the store (``path``, else LGS_DB's, else the default): the one
    running, else started now on a thread of its own when the store holds no lines; None when it has data.
    Raises the store's LgsError when its location cannot be opened."""
    target = store.resolve_db_path(path)
    key = ("first-run demo data", str(target))
    running = background.get(key)
    if running is not None and not running.done:
        return running
    if store_has_lines(target):
        return None
    background.forget(key)  # a generation done earlier (the store has been emptied or set aside since)
    rows = demo_rows()

    def generate(job: background.Job[Any]) -> object:
        from lgs_core.sources.demo import load_demo

        return load_demo(target, rows=rows, seed=SEED, progress=job.progress)

    return background.start(key, generate, f"generating {rows:,} demo lines", own_thread=True)
