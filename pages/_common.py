"""What every page shares: the store, the sidebar filters, cached calls into lgs_core, error boxes.

UI glue only: no numbers are computed here. Every page and tab gets its data through one call of its page
model (``lgs_core.app``): ``page_model`` / ``tab_model`` (cached with ``st.cache_data``) or ``beside_model`` (on a
worker thread, for the slow fits), each opening a DuckDB connection for the call and closing it after, keyed on
the store's path, its data key (file mtime: changes whenever the data changes), the model and its arguments.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import duckdb
import pandas  # noqa: F401
import streamlit as st

from lgs_core.analyses.analytics import PRESETS
from lgs_core.app import background, first_run
from lgs_core.app import data as data_model
from lgs_core.app import figures as app_figures
from lgs_core.app.filters import Filters, Query, filters_to_query, quick_ranges, read_filters
from lgs_core.app.first_run import demo_rows
from lgs_core.errors import LgsError
from lgs_core.present import text as app_text
from lgs_core.present.display import literal
from lgs_core.query.window import Window
from lgs_core.store import store
from lgs_core.store.access import Principal
from pages import _navigation

# pandas is imported above, with this module (once, under the import lock, before any page runs): with 20
# sessions starting at once, one session's chart met pandas half-imported by another session's thread
# ("AttributeError: partially initialized module 'pandas' has no attribute 'Timestamp'";
# tests/e2e/test_concurrency.py found it).
T = TypeVar("T")
_log = logging.getLogger("lgs_explorer")

# Session-state keys of the shared sidebar's widgets (rendered by streamlit_app.py on every page but Data).
KEY_DATES = "flt_dates"
KEY_COUNTRIES = "flt_countries"
KEY_PRODUCTS = "flt_products"
KEY_PRESET = "flt_preset"
KEY_QUICK = "flt_quick"
# The last complete view: restores the sidebar after a page that does not show it (Data), whose run drops
# the widgets' state, and after a page switch that dropped the query string.
KEY_SAVED = "_lgs_view"
# (data key, error) of a store found damaged by a run: later runs offer the rebuild until the file changes.
KEY_DAMAGED = "_lgs_damaged"
# The last values of each page's own controls (scoring, cut points, the report's week …): a page switch drops
# the widgets' state and the link's page parameters, and coming back restores them from here.
KEY_PAGE_SAVED = "_lgs_page_controls"
_KEY_NOTICES = "_lgs_notice_box"
_KEY_REBUILD = "_lgs_rebuild_clicked"  # the Rebuild button was clicked (its callback: see offer_rebuild)
# The sidebar's parameters in the link; every page adds its own (page_setup's ``url_params``).
SIDEBAR_PARAMS = ("start", "end", "country", "products", "preset")
DEFAULT_PRESET = "standard"
PAGE_CONFIG: dict[str, Any] = {"page_title": "LGS Explorer", "page_icon": "🎁", "layout": "wide"}


# One first-run demo generation or start-up sync per server process, whatever the number of sessions.
# Module state: this module is imported once, unlike streamlit_app.py, which is re-executed on every run.
_first_run_lock = threading.Lock()
_started_syncs: set[str] = set()
# Why the start-up sync failed (one line, never the password), until a sync succeeds: every session then
# sees what it is looking at (the last synced data) and why, not only the session that started the server.
_start_sync_failure: dict[str, str] = {}


def start_sync_once(dsn: str) -> bool:
    """True the first time this process sees ``dsn`` (the start-up sync runs once, not on every rerun)."""
    with _first_run_lock:
        if dsn in _started_syncs:
            return False
        _started_syncs.add(dsn)
        return True


def progress_to(bar: Any) -> Callable[[float, str], None]:
    """An lgs_core progress callback (fraction, message) that moves a ``st.progress`` bar."""

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    return report


def ensure_data() -> None:
    """With no configuration, fill a new store with demo data (once per store, with progress); with a
    [postgres] section in the secrets, sync it once per server process instead (then "Refresh")."""
    section = postgres_section()
    if section is not None:
        from lgs_core.sources import postgres  # psycopg only when PostgreSQL is configured

        dsn, _ = postgres.section_settings(section)
        if start_sync_once(dsn):
            try:
                sync_postgres(section)
            except LgsError as exc:  # PostgreSQL down: serve the last synced data, with a banner saying so
                _start_sync_failure[dsn] = str(exc)
        return
    info = store_info() if db_path().exists() else None
    if info is not None and info.lines > 0:
        return
    job = start_demo_data()
    if job is None:
        return
    # Usually started by the server as it started (server_lifespan); a visitor who arrives before it is
    # done watches its progress, and every session waits for the same job.
    rows = demo_rows()
    bar = st.progress(
        job.fraction, text=f"First start: generating demo data ({rows:,} lines, a few seconds)…"
    )
    while not job.wait(0.2):
        if job.message:
            bar.progress(job.fraction, text=job.message)
    bar.empty()
    job.result()  # a failed generation raises its one-line LgsError here (e.g. an unwritable location)
    clear_caches()


def start_demo_data() -> background.Job[Any] | None:
    """The first-run demo generation of this process's store (lgs_core.app.first_run): the one running, else
    started now when the store holds no lines; None when it holds data."""
    return first_run.start_demo_data(db_path())


# --- the store ------------------------------------------------------------------------------------------


def db_path() -> Path:
    return store.resolve_db_path(None)


def data_key() -> str:
    """Changes whenever the store file changes: the cache key for every query (no DB round-trip)."""
    path = db_path()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return "missing"
    wal = path.with_name(path.name + ".wal")
    wal_mtime = os.stat(wal).st_mtime_ns if wal.exists() else 0
    return f"{stat.st_mtime_ns}-{stat.st_size}-{wal_mtime}"


@contextmanager
def _connection(path: str) -> Iterator[duckdb.DuckDBPyConnection]:
    # One connection per call, closed after: a DuckDB connection is never shared across threads/sessions.
    con = store.connect(path)
    try:
        yield con
    except (
        duckdb.Error
    ) as exc:  # a query met a damaged block: the store is damaged, not "something went wrong"
        known = store.failure(exc, path)
        if known is None:
            raise
        raise known from None
    finally:
        con.close()


def store_info() -> store.StoreInfo:
    """What the store holds (lines, dates, loads): the sidebar's and every page's first call."""
    return model(store.store_info, str(db_path()), spinner=None)


def countries() -> list[str]:
    """The countries the sidebar offers, A–Z."""
    return model(app_figures.countries, spinner=None)


def clear_caches() -> None:
    """After the data changed (load, demo, sync): every cached figure is stale."""
    st.cache_data.clear()


# --- the page models: every page and tab gets its data through one cached call --------------------------

_SPINNER = "Computing the figures…"


@st.cache_data(show_spinner=False, max_entries=256)
def _model(
    path: str,
    key: str,
    name: str,
    args: tuple[Any, ...],
    _fn: Callable[..., Any],
    _given: Mapping[str, Any],
) -> Any:
    # The cache key: the store's path and data key, the model's name (module.function) and its arguments.
    # ``_fn`` is the model itself, ``_given`` earlier models' results it builds on (they follow from ``args``,
    # so they are not hashed again): Streamlit hashes no argument whose name starts with "_".
    with _connection(path) as con:
        return _fn(con, *args, **_given)


def model(
    fn: Callable[..., T],
    *args: Any,
    spinner: str | None = _SPINNER,
    given: Mapping[str, Any] | None = None,
) -> T:
    """``fn(con, *args, **given)`` on the store: a page model's one call (``lgs_core.app``), on a connection
    opened for it and closed after, cached on the store's path, its data key, the model and ``args`` (the
    session that computes it first serves the others; a load, demo or sync makes a new data key). ``spinner``
    is said while it computes, after half a second (None: nothing). Raises what the model raises."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    if spinner is None:
        return _model(str(db_path()), data_key(), name, args, fn, given or {})
    with st.spinner(spinner):
        return _model(str(db_path()), data_key(), name, args, fn, given or {})


def page_model(
    fn: Callable[..., T],
    *args: Any,
    spinner: str | None = _SPINNER,
    given: Mapping[str, Any] | None = None,
) -> T:
    """``model(fn, *args)``, or the page stops with one line saying what went wrong and what to do
    (``guarded``): for the figures a page cannot be drawn without."""
    return guarded(lambda: model(fn, *args, spinner=spinner, given=given))


def tab_model(
    fn: Callable[..., T],
    *args: Any,
    spinner: str | None = _SPINNER,
    given: Mapping[str, Any] | None = None,
) -> T | None:
    """``model(fn, *args)``, or None after showing its one-line message in place: for a tab or a part of a
    page, whose failure leaves the rest of the page working."""
    try:
        return model(fn, *args, spinner=spinner, given=given)
    except Exception as exc:  # an LgsError, or a damaged block met by a query (anything else: raised again)
        show_failure(exc)
        return None


# A slow model that finishes within this is drawn at once; a longer one draws what it is computing first.
_GRACE_SECONDS = 0.1


def beside_model(doing: str, fn: Callable[..., T], *args: Any) -> T | None:
    """``fn(con, *args)`` on a worker thread (``lgs_core.app.background``, which keeps its results: the same
    key as ``model``'s), so a slow fit never holds the page: the sidebar and the other tabs answer at once,
    and a new filter does not wait for the old fit. The result when it is done (at once when computed before,
    by any session), else None after drawing ``doing`` and how long it has taken, redrawn until it is there.
    A failure is shown as its one line (None)."""
    job_key, job = start_beside(fn, *args)
    if not job.wait(_GRACE_SECONDS):
        _pending(job_key, doing)
        return None
    try:
        return job.result()
    except Exception as exc:
        show_failure(exc)
        return None


def start_beside(fn: Callable[..., T], *args: Any) -> tuple[tuple[Any, ...], background.Job[T]]:
    """Start ``fn(con, *args)`` beside the page (or find it running or done): its key and its job. A page
    starts what it will soon need (the calibration behind the lifetime-value table) this way."""
    path, key = str(db_path()), data_key()
    job_key = (f"{fn.__module__}.{fn.__qualname__}", path, key, *args)

    def work(_job: Any) -> T:
        with _connection(path) as con:
            return fn(con, *args)

    return job_key, background.start(job_key, work)


@st.fragment(run_every=0.25)
def _pending(job_key: tuple[Any, ...], doing: str) -> None:
    """What is being computed and for how long (redrawn four times a second); once it is done, the page runs
    again and draws it."""
    job = background.get(job_key)
    if job is None or job.done:
        st.rerun()
    with st.container(key="lgs_pending"):
        if job.started_at is None:
            waited = "waiting for another computation to finish"
        else:
            waited = f"{job.seconds:.0f} s" if job.seconds >= 1 else "just started"
        st.info(f"{doing} ({waited})", icon=":material/hourglass_top:")


def change_store(fn: Callable[..., T], *args: Any) -> T:
    """``fn(con, *args)``: a page's change of what the store holds (a saved segment), on a connection opened for
    it; every cached figure is stale after it (``clear_caches``), done or not. Raises what ``fn`` raises."""
    try:
        with _connection(str(db_path())) as con:
            return fn(con, *args)
    finally:
        clear_caches()


def _quarantine_csv(path: str) -> bytes:
    with _connection(path) as con:
        return data_model.quarantine_csv(con)


def quarantine_csv_maker() -> Callable[[], bytes]:
    """For a download button: builds the CSV only when clicked."""
    path = str(db_path())
    return lambda: _quarantine_csv(path)


# --- the shared sidebar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What the sidebar chose: the filters (date range, countries, products only) and the preset."""

    filters: Filters
    preset: str = DEFAULT_PRESET

    @property
    def window(self) -> Window:
        return self.filters.window

    @property
    def label(self) -> str:
        return f"{self.filters.label} · {self.preset} definitions"


def _query_lists() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _to_query(view: View, first: date, last: date) -> dict[str, list[str]]:
    wanted = filters_to_query(view.filters, first, last)
    if view.preset != DEFAULT_PRESET:
        wanted["preset"] = view.preset
    return {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}


def _seed_widgets(first: date, last: date, known: list[str]) -> None:
    """Give the sidebar's widgets their values before they are drawn: from the URL on a session's first
    run (a shared link opens the same view), else from the last view (after the Data page or a page switch
    dropped them), clamped to what the store holds now (it may have changed since)."""
    state = st.session_state
    saved: View | None = state.get(KEY_SAVED)
    if KEY_DATES not in state or KEY_COUNTRIES not in state or KEY_PRODUCTS not in state:
        in_url = {k: v for k, v in _query_lists().items() if k in SIDEBAR_PARAMS}
        if saved is not None and not in_url:
            query: dict[str, Any] = _to_query(saved, first, last)
            preset = saved.preset
        else:
            query = dict(in_url)
            preset = (in_url.get("preset") or [DEFAULT_PRESET])[-1]
        current, notices = read_filters(query, first, last, known)
        if preset not in PRESETS:
            notices.append(f"preset “{preset[:40]}” is not standard or classic: standard used")
        for notice in notices:
            link_notice(notice)
        state[KEY_DATES] = (current.start, current.end)
        state[KEY_COUNTRIES] = list(current.countries)
        state[KEY_PRODUCTS] = current.products_only
        state[KEY_PRESET] = preset if preset in PRESETS else DEFAULT_PRESET
    # Clamp to the store as it is now: a load or demo regeneration may have moved its dates or countries.
    picked = state[KEY_DATES]
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        start, end = (min(max(d, first), last) for d in picked)
        if (start, end) != tuple(picked):
            state[KEY_DATES] = (start, end)
    elif not isinstance(picked, (tuple, list)) or not picked:
        state[KEY_DATES] = (first, last)
    chosen = [c for c in state[KEY_COUNTRIES] if c in known]
    if chosen != state[KEY_COUNTRIES]:
        state[KEY_COUNTRIES] = chosen
    if state.get(KEY_PRESET) not in PRESETS:
        state[KEY_PRESET] = DEFAULT_PRESET
    # The entrypoint draws these widgets on every page but the Data page (no filters there: Streamlit drops an
    # undrawn widget's value), and a page run alone draws its own: re-assigning the values hands them over
    # (Streamlit's documented way to keep a widget's value across pages).
    for key in (KEY_DATES, KEY_COUNTRIES, KEY_PRODUCTS, KEY_PRESET):
        state[key] = state[key]
    # The quick-range pill of the dates shown is lit (none when the dates are no quick range).
    dates = tuple(state[KEY_DATES]) if isinstance(state[KEY_DATES], (tuple, list)) else ()
    ranges = quick_ranges(first, last)
    state[KEY_QUICK] = next((name for name, span in ranges.items() if span == dates), None)


def _apply_quick_range(ranges: dict[str, tuple[date, date]]) -> None:
    # A pill sets the date range; clicking the lit one again leaves the dates as they are (it lights again).
    choice = st.session_state.get(KEY_QUICK)
    if choice in ranges:
        st.session_state[KEY_DATES] = ranges[choice]


def sidebar_filters() -> View | None:
    """The shared sidebar. Its state lives in the URL, so a link opens the same view; None: no data yet."""
    info = store_info()
    if info.first_date is None or info.last_date is None:
        st.session_state.pop(KEY_SAVED, None)
        st.sidebar.info("No data yet: load a file or generate demo data on the Data page.")
        return None
    first, last = info.first_date.date(), info.last_date.date()
    known = countries()
    _seed_widgets(first, last, known)
    saved: View | None = st.session_state.get(KEY_SAVED)

    st.sidebar.header("Filters")
    ranges = quick_ranges(first, last)
    st.sidebar.pills(
        "Quick range",
        list(ranges),
        key=KEY_QUICK,
        on_change=_apply_quick_range,
        args=(ranges,),
        help="Sets the date range below. Years are calendar years, cut to the data's first and last day.",
    )
    picked = st.sidebar.date_input(
        "Date range",
        key=KEY_DATES,
        min_value=first,
        max_value=last,
        format="DD/MM/YYYY",
        help="Invoice dates, inclusive, UK time. Default: all the data.",
    )
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        start, end = picked
    elif saved is not None:  # half-picked range (start clicked, end not yet): keep the last full range
        start, end = saved.filters.start, saved.filters.end
    else:
        start, end = first, last
    # "contains", not Streamlit's fuzzy match, and no "Select all matches" entry: with both, typing EIRE and
    # Enter added EIRE and United Arab Emirates (E…I…R…E in order), the matches entry being the first.
    chosen = st.sidebar.multiselect(
        "Countries",
        known,
        key=KEY_COUNTRIES,
        placeholder="All countries",
        help="The country recorded on the invoice. Empty: all countries. Type to search.",
        filter_mode="contains",
        select_all=False,
    )
    products_only = st.sidebar.toggle(
        "Products only",
        key=KEY_PRODUCTS,
        help="Leave out postage, carriage, manual, discount, fees and other non-product lines "
        "(a product's stock code is 5 digits, optionally followed by letters).",
    )
    preset = st.sidebar.segmented_control(
        "Definitions",
        list(PRESETS),
        key=KEY_PRESET,
        required=True,
        format_func=lambda p: {"standard": "Standard", "classic": "Classic (notebook)"}[p],
        help="How the figures are counted. Standard: the app's definitions. Classic: exactly as the "
        "original analysis counted them, to compare with its figures (each figure's definitions are one "
        "click away, under Definitions on every page).",
    )
    view = View(Filters(start, end, tuple(sorted(chosen)), bool(products_only)), preset or DEFAULT_PRESET)
    st.session_state[KEY_SAVED] = view
    wanted = _to_query(view, first, last)
    for name in SIDEBAR_PARAMS:
        set_param(name, wanted.get(name))
    st.sidebar.caption(f"Data: {info.lines:,} lines, {info.first_date:%d %b %Y} – {info.last_date:%d %b %Y}")
    return view


def shared_setup(page: Any) -> None:
    """streamlit_app.py, once per run, before ``page`` runs (``page``: what st.navigation returned): what every
    page starts with (``_draw_shared``), drawn by the entrypoint, so its widgets are the entrypoint's and keep
    their values from page to page. The page's ``page_setup`` then finds it drawn."""
    _navigation.drew_shared(_draw_shared(filters=_navigation.has_filters(page)))


def page_setup(*, filters: bool = True, url_params: tuple[str, ...] = ()) -> View | None:
    """What every page starts with: data present, the sidebar (title, filters unless ``filters`` is False,
    the PostgreSQL refresh when configured), the demo-data banner. Returns the sidebar's view (None: no data
    yet). ``url_params``: the page's own parameters in the link; any other (another page's) is dropped.

    Drawn once per run by streamlit_app.py (``shared_setup``) before the page: then this only returns its
    view. A page run without the entrypoint (Streamlit's pages/ folder mode: see pages/_navigation) draws it
    here."""
    _navigation.leave_pages_folder_mode()
    view = _navigation.shared_view() if _navigation.shared_drawn() else _draw_shared(filters=filters)
    if filters:
        for name in list(st.query_params):
            if name not in SIDEBAR_PARAMS and name not in url_params:
                del st.query_params[name]
    return view


def _draw_shared(*, filters: bool) -> View | None:
    """The sidebar (title, who is signed in, the filters unless ``filters`` is False, the PostgreSQL refresh
    when configured), the banners above the page, and the data made sure of (``ensure_data``, once per run)."""
    st.set_page_config(**PAGE_CONFIG)
    from pages import _access  # it reads this module

    if not _access.let_in():  # a page run without the entrypoint: still nothing before sign-in (issue #16)
        _access.sign_in_screen()
        st.stop()
    st.sidebar.title("LGS Explorer")
    _access.sidebar_identity()
    damaged = st.session_state.get(KEY_DAMAGED)
    if damaged is not None and damaged[0] == data_key():  # damage found by an earlier run (e.g. a load)
        offer_rebuild(damaged[1])
    st.session_state[_KEY_NOTICES] = st.container()  # what a link's values needed changing, above the page
    view = None
    try:
        ensure_data()  # once per run; a no-op once the store holds data
        info = store_info()
        stale_data_banner(info)
        demo_data_banner(info)
        view = sidebar_filters() if filters else None
    except store.StoreCorruptError as exc:
        offer_rebuild(exc)
    except LgsError as exc:  # e.g. a store location that cannot be written: one line, and nothing else
        stop_with(exc)
    section = postgres_section()
    if (
        section is not None
        and _access.can(_access.Action.SYNC)
        and st.sidebar.button(
            "Refresh from PostgreSQL", help="Pull the lines added to LGS's database since the last sync."
        )
        and _access.allowed(_access.Action.SYNC)
    ):
        try:
            sync_postgres(section, by=_access.principal())
        except LgsError as exc:
            show_error(exc)
        else:
            st.rerun()
    return view


# --- PostgreSQL (only with a [postgres] section in the app's secrets) ------------------------------------


def postgres_section() -> dict[str, Any] | None:
    """The [postgres] section of the app's secrets (secrets.toml, or Community Cloud's secrets), if any."""
    try:
        if "postgres" in st.secrets:
            return dict(st.secrets["postgres"])
    except Exception:  # no secrets file at all: Streamlit raises rather than answering "no"
        return None
    return None


def sync_postgres(section: dict[str, Any], *, full: bool = False, by: Principal | None = None) -> None:
    """Pull LGS's `retail` table into the store with a progress bar (lgs_core.sources.postgres, imported lazily:
    psycopg and a server are needed only with a [postgres] section). ``by``: who (None: the server itself,
    the start-up sync)."""
    from lgs_core.sources import postgres

    dsn, table = postgres.section_settings(section)
    bar = st.progress(0.0, text=f"Syncing the PostgreSQL table {table}…")
    try:
        result = postgres.sync(dsn, db_path(), table=table, full=full, progress=progress_to(bar), by=by)
    finally:
        bar.empty()
    _start_sync_failure.pop(dsn, None)
    clear_caches()
    st.toast(f"PostgreSQL: {result.summary()}.")
    for note in result.notes or []:  # e.g. why an incremental sync became a full one
        st.info(f"PostgreSQL sync: {note}.", icon=":material/info:")


def demo_data_banner(info: store.StoreInfo) -> None:
    """Until real data is loaded: say that the figures are made up, and where to load real ones."""
    if data_model.is_demo_data(info):
        st.info("You are looking at demo data — load your own on the Data page.", icon=":material/science:")


def stale_data_banner(info: store.StoreInfo) -> None:
    """After a failed start-up sync: one line saying how old the data shown is, and why."""
    section = postgres_section()
    reason = None
    if section is not None:
        from lgs_core.sources import postgres  # psycopg only when PostgreSQL is configured

        reason = _start_sync_failure.get(postgres.section_settings(section)[0])
    if reason is None:
        return
    latest = info.loads[-1]["loaded_at"] if info.loads else None
    as_of = f"Data as of {latest} (the last load)" if latest else "No data synced yet"
    st.error(
        f"{as_of}: the start-up sync from PostgreSQL failed. {literal(reason)}", icon=":material/cloud_off:"
    )


# --- a damaged store ---------------------------------------------------------------------------------------


def offer_rebuild(exc: store.StoreCorruptError) -> NoReturn:
    """The store file is damaged: say which file, and offer to rebuild it from its source (the PostgreSQL
    table when configured, else demo data); the damaged file is kept beside it as ``.corrupt-<time>``."""
    st.error(literal(exc), icon=":material/error:")
    st.session_state[KEY_DAMAGED] = (data_key(), exc)
    section = postgres_section()
    source = "PostgreSQL (a full sync)" if section is not None else "demo data"
    from pages import _access

    if not _access.can(_access.Action.REBUILD):
        st.info("Rebuilding the store needs an editor: ask one to open this page.", icon=":material/build:")
        st.stop()
    # The click is kept by the button's callback, which runs before the next run: the button may be drawn by
    # a page (a load met the damage) and the next run's by streamlit_app.py's shared setup, which finds the
    # damage first; two different widgets for Streamlit, so the button's own value would not carry over.
    clicked = st.button(
        f"Rebuild the store from its source: {source}",
        type="primary",
        icon=":material/build:",
        key="lgs_rebuild_store",
        on_click=st.session_state.__setitem__,
        args=(_KEY_REBUILD, True),
    )
    if (st.session_state.pop(_KEY_REBUILD, False) or clicked) and _access.allowed(_access.Action.REBUILD):
        try:
            st.session_state.pop(KEY_DAMAGED, None)
            moved = store.set_aside(db_path())
            clear_caches()
            if section is not None:
                sync_postgres(section, full=True, by=_access.principal())
            else:
                ensure_data()
        except LgsError as failure:
            stop_with(failure)
        st.toast(f"The damaged file was kept as {literal(moved.name)}; the store was rebuilt.")
        st.rerun()
    st.stop()


# --- messages -------------------------------------------------------------------------------------------


def show_error(exc: LgsError) -> None:
    """One line in an error box; for a damaged store also the Rebuild button (and the page stops there)."""
    if isinstance(exc, store.StoreCorruptError):
        offer_rebuild(exc)
    st.error(literal(exc), icon=":material/error:")  # it may quote a file name or a value from the data


def show_failure(exc: Exception) -> None:
    """``show_error`` for an ``LgsError`` or a failure about the store's file (a damaged block met by a
    query, a full disk: ``store.failure``); anything else is raised again."""
    known = exc if isinstance(exc, LgsError) else store.failure(exc, db_path())
    if known is None:
        raise exc
    show_error(known)


def link_notice(text: str) -> None:
    """One line above the page: a value of the link it opened with was changed, and how (shown as text)."""
    box = st.session_state.get(_KEY_NOTICES) or st
    box.warning(literal(f"From the link: {text}."), icon=":material/link_off:")


# --- a page's own controls in the link ------------------------------------------------------------------


def set_param(name: str, value: str | list[str] | None) -> None:
    """The link holds ``value`` under ``name`` (None or []: left out, the control's default)."""
    current = st.query_params.get_all(name)
    wanted = [] if value is None else ([value] if isinstance(value, str) else list(value))
    if current == wanted:
        return
    if not wanted:
        del st.query_params[name]
    else:
        st.query_params[name] = wanted if len(wanted) > 1 else wanted[0]


def seed(key: str, param: str, read: Callable[[Query], tuple[Any, str | None]], default: Any) -> Any:
    """Give widget ``key`` its value before it is drawn: from the link's ``param`` when this session has not
    drawn it yet (a shared link: ``read`` checks it and says what it changed), else the value it had the last
    time this page ran (after a page switch dropped it), else ``default``. Returns the value."""
    state = st.session_state
    if key not in state:
        saved = state.get(KEY_PAGE_SAVED, {})
        if param in st.query_params:
            value, notice = read(_query_lists())
            if notice:
                link_notice(notice)
        elif key in saved:
            value = saved[key]
        else:
            value = default
        state[key] = value
    return state[key]


def remember(key: str, param: str, value: str | list[str] | None) -> None:
    """After widget ``key`` was drawn: the link holds ``value`` under ``param`` (None: the default, left
    out), and the page keeps the widget's value for the next visit."""
    st.session_state.setdefault(KEY_PAGE_SAVED, {})[key] = st.session_state.get(key)
    set_param(param, value)


def definitions_expander(
    keys: tuple[str, ...], preset: str, *, extra: tuple[tuple[str, str], ...] = ()
) -> None:
    """The formulas and statistics behind a page's figures, one click away: "Definitions and formulas"."""
    with st.expander("Definitions and formulas", icon=":material/menu_book:"):
        lines = [(key, app_text.definition(key, preset)) for key in keys]
        lines += list(extra)
        st.markdown("\n".join(f"- **{app_text.term(key)}**: {text}" for key, text in lines if text))


def stop_with(exc: LgsError) -> NoReturn:
    """Show a problem the user can act on as one line, and stop the page there."""
    show_error(exc)
    st.stop()


def guarded(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, or the page stops with one line: the ``LgsError``'s message (what, where, what to do),
    or for anything unexpected its type and first line (the traceback goes to the server log, not the user).
    """
    try:
        return fn(*args)
    except LgsError as exc:
        stop_with(exc)
    except Exception as exc:
        known = store.failure(exc, db_path())  # e.g. a damaged block met by a query outside _connection
        if known is not None:
            stop_with(known)
        _log.exception("unexpected error in %s", getattr(fn, "__name__", fn))
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        st.error(
            f"Something went wrong computing this page ({type(exc).__name__}: {literal(first)}). Try another date "
            "range or reload; if it persists, reload the data on the Data page and tell the maintainers "
            "(the details are in the server log).",
            icon=":material/error:",
        )
        st.stop()


def require_view(url_params: tuple[str, ...] = ()) -> View:
    """Set the page up (``page_setup``; ``url_params``: the page's own parameters in the link) and return the
    sidebar's view; stop with what to do when the store holds no data."""
    view = page_setup(url_params=url_params)
    if view is None:
        st.info(
            "No data yet. Open the **Data** page to load a file or generate demo data.",
            icon=":material/database:",
        )
        st.stop()
    return view


def list_downloads(
    columns: tuple[Any, Any, Any],
    stem: str,
    *,
    csv: Callable[[], bytes],
    xlsx: Callable[[], bytes],
    manifest: Callable[[], bytes],
    disabled: bool,
    key: str | None = None,
    customers: int | None = None,
) -> None:
    """A customer list's three download buttons in ``columns``: CSV, Excel (with a manifest sheet) and the
    CSV's manifest (JSON). Each file is built only when its button is clicked, and the CSV and Excel ones
    (personal data) are recorded in the export log then (``customers``: how many the list holds)."""
    from pages import _access

    count = customers or 0
    csv = _access.logged_export(csv, what=stem, customers=count, fmt="csv", file=f"{stem}.csv")
    xlsx = _access.logged_export(xlsx, what=stem, customers=count, fmt="xlsx", file=f"{stem}.xlsx")
    manifest_means = app_text.definition("manifest")
    c1, c2, c3 = columns
    keys = {kind: (f"{key}_{kind}" if key else None) for kind in ("csv", "xlsx", "manifest")}
    c1.download_button(
        "Download CSV",
        data=csv,
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        type="primary",
        icon=":material/download:",
        disabled=disabled,
        key=keys["csv"],
        width="stretch",
    )
    c2.download_button(
        "Download Excel",
        data=xlsx,
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/table:",
        disabled=disabled,
        key=keys["xlsx"],
        help=f"The list, and a 'manifest' sheet: {manifest_means}",
        width="stretch",
    )
    c3.download_button(
        "Manifest (JSON)",
        data=manifest,
        file_name=f"{stem}.manifest.json",
        mime="application/json",
        on_click="ignore",
        icon=":material/description:",
        key=keys["manifest"],
        help=f"Pairs with the CSV (it holds the CSV's SHA-256): {manifest_means}",
        width="stretch",
    )
