"""What every page shares: the store, the sidebar filters, error boxes. UI glue only: no numbers here."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import streamlit as st

from lgs_core import store
from lgs_core.errors import LgsError
from lgs_core.filters import Filters, filters_from_query, filters_to_query


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


@st.cache_data(show_spinner=False, max_entries=8)
def _store_info(path: str, key: str) -> store.StoreInfo:
    con = store.connect(path)
    try:
        return store.store_info(con, path)
    finally:
        con.close()


def store_info() -> store.StoreInfo:
    return _store_info(str(db_path()), data_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _countries(path: str, key: str) -> list[str]:
    con = store.connect(path)
    try:
        return [r[0] for r in con.sql("select distinct country from lines order by 1").fetchall()]
    finally:
        con.close()


def countries() -> list[str]:
    return _countries(str(db_path()), data_key())


def _query_lists() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def sidebar_filters() -> Filters:
    """The shared sidebar. Its state lives in the URL, so a link opens the same view."""
    info = store_info()
    if info.first_date is None or info.last_date is None:
        st.sidebar.info("No data yet: load a file or generate demo data on the Data page.")
        today = date.today()
        return Filters(today, today)
    first, last = info.first_date.date(), info.last_date.date()
    known = countries()
    in_url = _query_lists()
    current = filters_from_query(in_url, first, last, known)
    st.sidebar.header("Filters")
    picked = st.sidebar.date_input(
        "Date range",
        value=(current.start, current.end),
        min_value=first,
        max_value=last,
        format="DD/MM/YYYY",
        help="Invoice dates, inclusive, UK time. Default: all the data.",
    )
    start, end = picked if isinstance(picked, tuple) and len(picked) == 2 else (current.start, current.end)
    chosen = st.sidebar.multiselect(
        "Countries",
        known,
        default=list(current.countries),
        placeholder="All countries",
        help="The customer's country as recorded on the invoice. Empty: all countries.",
    )
    products_only = st.sidebar.toggle(
        "Products only",
        value=current.products_only,
        help="Leave out postage, carriage, manual, discount, fees and other non-product lines "
        "(a product's stock code is 5 digits, optionally followed by letters).",
    )
    filters = Filters(start, end, tuple(sorted(chosen)), products_only)
    wanted = filters_to_query(filters, first, last)
    if {k: v if isinstance(v, list) else [v] for k, v in wanted.items()} != in_url:
        st.query_params.from_dict(wanted)
    st.sidebar.caption(f"Data: {info.lines:,} lines, {info.first_date:%d %b %Y} – {info.last_date:%d %b %Y}")
    return filters


def show_error(exc: LgsError) -> None:
    st.error(str(exc), icon="⚠️")
