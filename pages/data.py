"""Data: where the numbers come from, how fresh they are, what was quarantined; load or regenerate."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import streamlit as st

from lgs_core.errors import LgsError
from lgs_core.ingest import load_file
from pages import _common

st.title("Data")
info = _common.store_info()
latest = info.loads[-1] if info.loads else None
source = f"{latest['kind']}: {latest['source']}" if latest else "nothing loaded"
st.markdown(f"**Current source:** {source}" + (f" — loaded {latest['loaded_at']}" if latest else ""))
cols = st.columns(4)
cols[0].metric("Lines", f"{info.lines:,}", help="Transaction lines in the store.")
cols[1].metric("Quarantined", f"{info.quarantined:,}", help="Input lines refused, each with its reason.")
cols[2].metric("Invoices", f"{info.invoices:,}")
cols[3].metric("Customers", f"{info.customers:,}", help="Distinct customer ids (guest lines have none).")

if info.loads:
    st.subheader("Loads in the current data set")
    st.dataframe(pl.DataFrame(info.loads), hide_index=True, width="stretch")

st.subheader("Load a file")
upload = st.file_uploader(
    "Transactions (.xlsx or .csv): the UCI workbook, its CSV dump, or the original Online Retail set",
    type=["xlsx", "csv"],
)
append = st.checkbox("Add to the current data instead of replacing it")
if upload is not None and st.button("Load", type="primary"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / upload.name
        path.write_bytes(upload.getbuffer())
        bar = st.progress(0.0, text=f"Loading {upload.name}…")
        try:
            result = load_file(
                path, _common.db_path(), append=append, progress=lambda f, m: bar.progress(f, text=m)
            )
        except LgsError as exc:
            bar.empty()
            _common.show_error(exc)
        else:
            bar.empty()
            st.cache_data.clear()
            st.success(
                f"{result.source}: {result.rows_loaded:,} lines loaded, {result.rows_quarantined:,} quarantined."
            )

st.subheader("Demo data")
rows = st.number_input("Lines", min_value=10_000, max_value=10_000_000, value=1_000_000, step=100_000)
seed = st.number_input("Seed", min_value=0, value=42, help="The same seed gives the same data.")
if st.button("Regenerate demo data"):
    from lgs_core.demo import load_demo

    bar = st.progress(0.0, text="Generating…")
    load_demo(
        _common.db_path(), rows=int(rows), seed=int(seed), progress=lambda f, m: bar.progress(f, text=m)
    )
    bar.empty()
    st.cache_data.clear()
    st.rerun()
