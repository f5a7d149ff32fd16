"""Data: where the numbers come from, how fresh they are, what was quarantined; load, regenerate or sync."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from lgs_core.app import data as data_model
from lgs_core.errors import AlreadyLoadedError, LgsError
from lgs_core.present.display import literal
from lgs_core.present.text import count_text
from lgs_core.sources.ingest import load_file
from lgs_core.store.access import Action
from pages import _access, _common

# What the last load or regeneration did: shown once, after the rerun that redraws the page from the new data
# (drawn before it, the header still named the old source and "Nothing quarantined" stood beside the new
# load's "3 quarantined").
_KEY_DONE = "_lgs_data_done"
APPEND_LABEL = "Add to the current data instead of replacing it"

_common.page_setup(filters=False)
st.title("Data")
_access.who_note()
status = _common.page_model(data_model.data_status, str(_common.db_path()), spinner=None)
info = status.info
done = st.session_state.pop(_KEY_DONE, None)
if done is not None:
    st.success(literal(done), icon=":material/check_circle:")
st.markdown("**Current source:** " + literal(status.source_text))
cols = st.columns(4)
cols[0].metric("Lines", count_text(info.lines), help="Transaction lines in the store.", border=True)
cols[1].metric(
    "Quarantined",
    count_text(info.quarantined),
    help="Input lines refused, each with its reason.",
    border=True,
)
cols[2].metric("Invoices", count_text(info.invoices), border=True)
cols[3].metric(
    "Customers",
    count_text(info.customers),
    help="Distinct customer ids (guest lines have none).",
    border=True,
)
if info.first_date is not None and info.last_date is not None:
    st.caption(
        f"Invoice dates {info.first_date:%d %b %Y %H:%M} – {info.last_date:%d %b %Y %H:%M} (UK time), "
        f"{info.countries} countries. Store file: {literal(info.path)}."
    )

if info.loads:
    st.subheader("Loads in the current data set")
    st.dataframe(
        info.loads,
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config={
            "load_id": st.column_config.NumberColumn("Load", format="%d"),
            "kind": "Kind",
            "source": "Source",
            "mode": "Mode",
            "loaded_at": "Loaded at",
            "rows_read": st.column_config.NumberColumn("Lines read", format="localized"),
            "rows_loaded": st.column_config.NumberColumn("Loaded", format="localized"),
            "rows_quarantined": st.column_config.NumberColumn("Quarantined", format="localized"),
            "fingerprint": "Fingerprint",
        },
    )

st.subheader("Quarantine")
if info.quarantined == 0:
    st.success("Nothing quarantined: every line read was loaded.", icon=":material/check_circle:")
else:
    left, right = st.columns([1, 2])
    with left:
        st.markdown("**Why lines were refused**")
        st.dataframe(
            status.reasons,
            hide_index=True,
            placeholder="–",
            width="stretch",
            column_config={
                "reason": "Reason",
                "lines": st.column_config.NumberColumn("Lines", format="%d"),
                "first_source": "First seen in",
                "first_row": st.column_config.NumberColumn("First row", format="%d"),
            },
        )
        st.download_button(
            "Download the quarantine (CSV)",
            # Refused lines carry customer numbers: the download is recorded in the export log (issue #16).
            data=_access.logged_export(
                _common.quarantine_csv_maker(),
                what="the quarantine (refused lines)",
                customers=status.quarantine_customers,
                fmt="csv",
                file="lgs-quarantine.csv",
            ),
            file_name="lgs-quarantine.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
            help="Every refused line with its reason, file, sheet and row: fix them at the source and load again.",
        )
    with right:
        shown = status.quarantine_sample.height
        st.markdown(f"**Refused lines** (the first {shown:,} of {info.quarantined:,})")
        st.dataframe(status.quarantine_sample, hide_index=True, placeholder="–", width="stretch")

_access.kept_data_sets()
if not _access.can(Action.LOAD):  # a viewer: no control that changes the data (issue #16)
    st.stop()
replaced = _access.current_description()  # what a replace would replace, named in its confirmation

st.subheader("Load a file")
upload = st.file_uploader(
    "Transactions (.xlsx or .csv): the UCI workbook, its CSV dump, or the original Online Retail set",
    type=["xlsx", "csv"],
)
append = st.checkbox(APPEND_LABEL)
if upload is not None and _access.confirmed_button(
    "Load", key="load_file", action=Action.LOAD, replaces=None if append else replaced, type="primary"
):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / upload.name
        path.write_bytes(upload.getbuffer())
        bar = st.progress(0.0, text=f"Loading {upload.name}…")
        try:
            result = load_file(
                path,
                _common.db_path(),
                append=append,
                progress=_common.progress_to(bar),
                by=_access.principal(),
            )
        except AlreadyLoadedError as exc:  # said for this page: a checkbox, not the CLI's --append
            bar.empty()
            _common.show_error(
                LgsError(
                    exc.what,
                    where=exc.where,
                    todo=f"nothing to do; to load it again, untick “{APPEND_LABEL}” (that replaces the data set)",
                )
            )
        except Exception as exc:
            bar.empty()
            _common.show_failure(exc)
        else:
            bar.empty()
            _common.clear_caches()
            st.session_state[_KEY_DONE] = data_model.load_message(info, result)
            st.rerun()

st.subheader("Demo data")
st.caption("Realistic, generated London Gift Shop lines (not real customers): replaces the current data.")
left, right, _ = st.columns([1, 1, 2])
rows = left.number_input("Lines", min_value=10_000, max_value=10_000_000, value=1_000_000, step=100_000)
seed = right.number_input("Seed", min_value=0, value=42, help="The same seed gives the same data.")
if _access.confirmed_button("Regenerate demo data", key="demo", action=Action.DEMO, replaces=replaced):
    from lgs_core.sources.demo import load_demo

    bar = st.progress(0.0, text="Generating…")
    try:
        made = load_demo(
            _common.db_path(),
            rows=int(rows),
            seed=int(seed),
            progress=_common.progress_to(bar),
            by=_access.principal(),
        )
    except Exception as exc:
        bar.empty()
        _common.show_failure(exc)
    else:
        bar.empty()
        _common.clear_caches()
        st.session_state[_KEY_DONE] = data_model.load_message(info, made)
        st.rerun()

section = _common.postgres_section()
if section is not None:
    st.subheader("PostgreSQL")
    st.caption(
        "LGS's `retail` table, as configured in the app's secrets ([postgres]). A sync adds the lines newer "
        "than the last one; a full sync replaces the data set."
    )
    full = st.checkbox("Full sync (replace the data set)")
    if _access.confirmed_button(
        "Sync PostgreSQL", key="sync", action=Action.SYNC, replaces=replaced if full else None, type="primary"
    ):
        try:
            _common.sync_postgres(section, full=full, by=_access.principal())
        except Exception as exc:
            _common.show_failure(exc)
        else:
            st.rerun()

_access.logs()
