"""LGS Explorer: the app's entry point. Navigation, first-run data, and the shared sidebar."""

from __future__ import annotations

import threading

import streamlit as st

from lgs_core import store
from lgs_core.errors import LgsError
from pages import _common

st.set_page_config(page_title="LGS Explorer", page_icon="🎁", layout="wide")

DEMO_ROWS = 1_000_000  # the size of the real data set: what a new user explores until real data is loaded
_first_run_lock = threading.Lock()


def ensure_data() -> None:
    """With no configuration, fill a new store with demo data (once, with progress)."""
    info = _common.store_info() if _common.db_path().exists() else None
    if info is not None and info.lines > 0:
        return
    with _first_run_lock:
        info = _common.store_info() if _common.db_path().exists() else None
        if info is not None and info.lines > 0:
            return
        from lgs_core.demo import load_demo

        bar = st.progress(0.0, text="First start: generating demo data (1,000,000 lines, about 10 s)…")
        load_demo(_common.db_path(), rows=DEMO_ROWS, seed=42, progress=lambda f, m: bar.progress(f, text=m))
        bar.empty()
        st.cache_data.clear()


try:
    ensure_data()
except LgsError as exc:
    _common.show_error(exc)
    st.stop()

pages = [
    st.Page("pages/overview.py", title="Overview", icon="📈", default=True),
    st.Page("pages/data.py", title="Data", icon="🗄️"),
]
page = st.navigation(pages)
st.sidebar.title("LGS Explorer")
page.run()
_ = store  # the store module is the app's only source of data
