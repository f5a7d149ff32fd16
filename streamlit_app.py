"""LGS Explorer: the app's entry point. Navigation, first-run data, the PostgreSQL sync, the shared sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lgs_core import views
from lgs_core.errors import LgsError
from pages import _common

st.set_page_config(page_title="LGS Explorer", page_icon="🎁", layout="wide")

DEMO_ROWS = 1_000_000  # the size of the real data set: what a new user explores until real data is loaded
APP_DIR = Path(__file__).resolve().parent


def ensure_data() -> None:
    """With no configuration, fill a new store with demo data (once, with progress); with a [postgres]
    section, sync it at the server's start instead."""
    section = _common.postgres_section()
    if section is not None:
        dsn, _ = views.postgres_settings(section)
        if _common.start_sync_once(dsn):
            _common.sync_postgres(section)
        return
    info = _common.store_info() if _common.db_path().exists() else None
    if info is not None and info.lines > 0:
        return
    with _common.first_run_lock():
        info = _common.store_info() if _common.db_path().exists() else None
        if info is not None and info.lines > 0:
            return
        from lgs_core.demo import load_demo

        bar = st.progress(0.0, text="First start: generating demo data (1,000,000 lines, about 10 s)…")
        load_demo(_common.db_path(), rows=DEMO_ROWS, seed=42, progress=lambda f, m: bar.progress(f, text=m))
        bar.empty()
        _common.clear_caches()


try:
    ensure_data()
except LgsError as exc:  # e.g. PostgreSQL unreachable: say so in one line, keep what the store holds
    _common.show_error(exc)

pages = [
    st.Page("pages/overview.py", title="Overview", icon="📈", default=True),
    st.Page("pages/orders.py", title="Orders", icon="🧾"),
    st.Page("pages/segments.py", title="Customer segments", icon="🎯"),
]
if (APP_DIR / "pages" / "reports.py").exists():
    pages.append(st.Page("pages/reports.py", title="Reports", icon="📰"))
data_page = st.Page("pages/data.py", title="Data", icon="🗄️")
pages.append(data_page)
page = st.navigation(pages)

st.sidebar.title("🎁 LGS Explorer")
if page.url_path != data_page.url_path:
    _common.sidebar_filters()
section = _common.postgres_section()
if section is not None and st.sidebar.button(
    "Refresh from PostgreSQL", help="Pull the lines added to LGS's database since the last sync."
):
    try:
        _common.sync_postgres(section)
    except LgsError as exc:
        _common.show_error(exc)
    else:
        st.rerun()
page.run()
