"""The app's navigation, and Streamlit's ``pages/`` folder mode (light: streamlit_app.py imports it first).

With a folder named ``pages/`` beside its entrypoint, Streamlit serves an app in its v1 folder mode (each page
script run alone, under a listing of the folder) until a session calls ``st.navigation``: "As soon as any
session of your app executes the st.navigation command, your app will ignore the pages/ directory (across all
sessions)" (st.navigation's documentation). So the first request of a new server for e.g. /segments runs
pages/segments.py alone, and so does every AppTest run after a ``switch_page`` (AppTest decides the mode afresh
before each run). ``page_setup`` then calls ``st.navigation`` itself and reruns (``leave_pages_folder_mode``):
the rerun goes through streamlit_app.py, which draws the real navigation and the sidebar.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import streamlit as st

_PAGES_DIR = Path(__file__).resolve().parent
_entrypoint_thread = threading.local()  # .running: this script thread is inside a run of streamlit_app.py
_serving = {"entrypoint": False}  # streamlit_app.py is this process's entrypoint (`streamlit run` serves it)
KEY_ENTERED = "_lgs_entered"  # this session has run through streamlit_app.py
_KEY_REROUTED = "_lgs_rerouted"  # this run is the rerun page_setup asked for, to go through streamlit_app.py
_DATA_TITLE = "Data"
_OPTIONAL_PAGES = (
    ("deeper_segments.py", "Deeper segments", ":material/insights:"),
    ("saved_segments.py", "Saved segments", ":material/bookmarks:"),
    ("reports.py", "Weekly report", ":material/newspaper:"),
)


def app_pages() -> list[st.Page]:
    """The app's pages in the sidebar's order: streamlit_app.py's navigation."""
    pages = [
        st.Page(_PAGES_DIR / "overview.py", title="Overview", icon=":material/monitoring:", default=True),
        st.Page(_PAGES_DIR / "orders.py", title="Orders", icon=":material/receipt_long:"),
        st.Page(_PAGES_DIR / "segments.py", title="Customer segments", icon=":material/groups:"),
    ]
    for optional, title, icon in _OPTIONAL_PAGES:
        if (_PAGES_DIR / optional).exists():
            pages.append(st.Page(_PAGES_DIR / optional, title=title, icon=icon))
    pages.append(st.Page(_PAGES_DIR / "data.py", title=_DATA_TITLE, icon=":material/database:"))
    return pages


def has_filters(page: Any) -> bool:
    """Whether ``page`` (one of ``app_pages``, as st.navigation returned it) shows the sidebar's filters: all
    but the Data page, which changes what they filter."""
    return str(page.title) != _DATA_TITLE


def shared_drawn() -> bool:
    """streamlit_app.py drew the shared sidebar in this run, before the page (``drew_shared``)."""
    return getattr(_entrypoint_thread, "running", False) and hasattr(_entrypoint_thread, "shared")


def drew_shared(view: Any) -> None:
    """Keep what the shared sidebar chose in this run, for the page (``shared_view``)."""
    _entrypoint_thread.shared = view


def shared_view() -> Any:
    """What the shared sidebar drawn by streamlit_app.py in this run chose (``pages/_common.View`` or None)."""
    return _entrypoint_thread.shared


def serving_entrypoint() -> None:
    """Called when `streamlit run` (or uvicorn) imports streamlit_app.py to serve it: any page that runs alone
    in this process ran in the pages/ folder mode."""
    _serving["entrypoint"] = True


@contextmanager
def entrypoint_run() -> Iterator[None]:
    """Around the page run of streamlit_app.py: page_setup knows the page came through the entrypoint."""
    st.session_state[KEY_ENTERED] = True
    _entrypoint_thread.running = True
    try:
        yield
    finally:  # also when the page stops or reruns (st.stop, st.rerun raise)
        _entrypoint_thread.running = False
        if hasattr(_entrypoint_thread, "shared"):
            del _entrypoint_thread.shared


def leave_pages_folder_mode() -> None:
    """A page run alone in an app whose entrypoint is streamlit_app.py: Streamlit's pages/ folder mode (see
    above). Tell Streamlit the app's navigation (from then on it ignores the folder) and run again."""
    if getattr(_entrypoint_thread, "running", False):
        st.session_state.pop(_KEY_REROUTED, None)
        return
    if not (_serving["entrypoint"] or st.session_state.get(KEY_ENTERED)):
        return  # the page is the app itself (AppTest.from_file("pages/x.py")): there is no entrypoint to run
    if st.session_state.pop(_KEY_REROUTED, False):
        return  # the rerun came without the entrypoint too: the page draws alone rather than rerun forever
    st.navigation(app_pages())
    st.session_state[_KEY_REROUTED] = True
    st.rerun()
