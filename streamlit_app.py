"""LGS Explorer: the app's entry point. Navigation and first-run data (demo data, or the PostgreSQL sync).

This file draws the shared sidebar once per run, before the page (``pages/_common.shared_setup``), which also
makes sure of the data once per run: it waits for the first-run demo data, or runs the start-up PostgreSQL sync,
and says in one line what to do when the store cannot be opened or written. Its widgets are this file's, so they
keep their values from page to page. A page that Streamlit ran without this file (its v1 ``pages/`` folder mode: the first request of a new server for e.g. /segments) runs again through
it (``pages/_navigation``).

`streamlit run streamlit_app.py` first imports this file to find ``app`` (Streamlit's ASGI server, st.App)
and serves it: its lifespan starts the first-run demo data as the server starts, not when the first visitor
arrives (issue #14). Each session's run executes the file as ``__main__``: the navigation below.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import streamlit as st

if __name__ != "__main__":  # imported by `streamlit run` (or uvicorn) to serve the app
    from pages import _navigation

    _navigation.serving_entrypoint()

    def _first_run() -> None:
        # With no [postgres] section, a new store starts filling with demo data first (lgs_core.app.first_run is
        # light: the generator runs while the pages are imported and the first browser loads); then the
        # pages' shared module, here, once Streamlit's runtime (which holds its caches) exists. A problem
        # (an unwritable location) is left for the pages to say, in one line, when a visitor arrives.
        try:
            postgres = "postgres" in st.secrets
        except Exception:  # no secrets file at all: Streamlit raises rather than answering "no"
            postgres = False
        if not postgres:
            from lgs_core.app import first_run

            with contextlib.suppress(Exception):
                first_run.start_demo_data()
        from pages import _common  # noqa: F401

    @contextlib.asynccontextmanager
    async def _lifespan(_app: st.App) -> AsyncIterator[None]:
        # The server's start: a new store starts filling with demo data at once, beside the server (its
        # health answers meanwhile); the first visitor finds it made, or its progress if early.
        threading.Thread(target=_first_run, name="lgs-first-run", daemon=True).start()
        yield

    app = st.App(__file__, lifespan=_lifespan)
else:  # a session's run
    # The title before anything else: until set_page_config the tab reads "streamlit app"; the imports below
    # (Polars, DuckDB, Altair) and a first start's demo data take seconds. (The same config as
    # pages/_common.PAGE_CONFIG.) The v1 pages/ folder listing is hidden by .streamlit/config.toml until
    # st.navigation below draws the real one.
    st.set_page_config(page_title="LGS Explorer", page_icon="🎁", layout="wide")
    APP_DIR = Path(__file__).resolve().parent

    # With [auth] in the secrets, a visitor sees only the sign-in page until signed in and on the allow-list
    # (issue #16): no figure, no customer, no page of the app.
    from pages import _access, _navigation  # noqa: E402  (after the title: see above)

    if not _access.let_in():
        with _navigation.entrypoint_run():
            st.navigation(_access.sign_in_pages(APP_DIR / "pages"), position="hidden").run()
        st.stop()

    st.set_option("client.showSidebarNavigation", True)
    navigation = st.navigation(_navigation.app_pages())
    from pages import _common  # noqa: E402  (Polars, DuckDB: after the title, as above)

    with _navigation.entrypoint_run():
        _common.shared_setup(navigation)  # the sidebar, once per run, for the page about to run
        navigation.run()
