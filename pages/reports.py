"""Reports: the weekly report for a chosen ISO week — what was unusual and why, the figures, the chart, downloads.

Layout only: every number comes from ``lgs_core.report.build_report`` (tests/test_report.py calls it directly).
The sidebar's countries and "products only" narrow the report; its date range does not (a report looks at one
week and the weeks before it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import streamlit as st

from lgs_core import report, store
from lgs_core.anomaly import DETECTED, METRICS, DetectorSettings
from pages import _common


@st.cache_data(show_spinner=False, max_entries=8)
def _weeks(path: str, key: str) -> list[date]:
    con = store.connect(path, read_only=True)
    try:
        return report.complete_weeks(con)
    finally:
        con.close()


@st.cache_data(show_spinner="Building the report…", max_entries=16)
def _report(
    path: str,
    key: str,
    week: date,
    countries: tuple[str, ...],
    products_only: bool,
    settings: DetectorSettings,
    weeks: int,
) -> report.WeeklyReport:
    con = store.connect(path, read_only=True)
    try:
        return report.build_report(
            con,
            as_of=week + timedelta(days=6),
            weeks=weeks,
            settings=settings,
            countries=countries,
            products_only=products_only,
        )
    finally:
        con.close()


view = _common.require_view()
st.title("Weekly report")
st.caption(
    "The sidebar's countries and *products only* narrow the report; its date range does not: a report judges "
    "one ISO week against the weeks before it and the same week last year. `lgs report` emails it every week "
    "(docs/REPORTING.md)."
)

path, key = str(_common.db_path()), _common.data_key()
choices = _common.guarded(_weeks, path, key)
if not choices:
    st.info("The data does not cover a complete ISO week yet.", icon="🗓️")
    st.stop()
default = next((i for i, w in enumerate(choices) if w + timedelta(days=6) <= view.filters.end), 0)

top = st.columns([2, 3])
week = top[0].selectbox(
    "ISO week",
    choices,
    index=default,
    format_func=lambda w: (
        f"{w.isocalendar()[0]}-W{w.isocalendar()[1]:02d} · {w:%d %b} – {w + timedelta(days=6):%d %b %Y}"
    ),
    help="Complete weeks only (Monday to Sunday); the newest first. Default: the last week the date range covers.",
)
with top[1].expander("Detector settings", icon=":material/tune:"):
    base = DetectorSettings()
    c1, c2 = st.columns(2)
    z = c1.slider(
        "z threshold",
        2.0,
        6.0,
        base.z,
        0.5,
        help="A week is unusual when |x − median| ÷ (1.4826 × MAD) over the trailing 12 weeks reaches this.",
    )
    history = c2.slider(
        "Weeks shown", 8, 104, report.DEFAULT_WEEKS, help="History in the chart and the table."
    )
    floors = {
        metric: st.number_input(
            f"Minimum change: {METRICS[metric].label.lower()}" + (" (£)" if METRICS[metric].money else ""),
            min_value=0.0,
            value=float(base.floor(metric)),
            step=1000.0 if METRICS[metric].money else 1.0,
            help=f"A smaller change on the median never flags. Default {METRICS[metric].why}.",
        )
        for metric in DETECTED
    }
    seasonal = st.toggle(
        "Check against the same week last year",
        value=True,
        help="A flag must also stand out against last year's same ISO week (scaled by the change of level): "
        "the season alone never flags. Off: the z and the minimum change decide alone.",
    )
settings = _common.guarded(lambda: replace(base, z=z, min_change=floors, seasonal=seasonal))
rep = _common.guarded(
    _report, path, key, week, view.filters.countries, view.filters.products_only, settings, history
)

st.subheader(rep.title.replace("LGS weekly report: ", "").capitalize())
st.caption(rep.scope)
if not rep.trading:
    st.info(
        "No lines at all in the store this week: the shop was closed, or the week's data is missing.",
        icon="🎄",
    )
elif rep.quiet:
    st.success(rep.headline, icon="✅")
else:
    st.error(rep.headline, icon="🚩")
for flag in rep.flags:
    st.markdown(f"**{flag.arrow} {flag.assessment.status.capitalize()}:** {flag.text}")
    if flag.countries:
        st.markdown(flag.countries_text())
    st.caption(f"Why: {flag.assessment.reason}.")
for flag in rep.watches:
    st.warning(f"**Watch (not flagged):** {flag.text} {flag.assessment.reason}.", icon="👀")
for move in rep.moved_segments:  # saved segments whose size moved unusually (names are users' text: st.text)
    st.text(f"{move.text()} Rule: {move.rule_text}.")
if rep.segment_moves:
    with st.expander(f"Saved segments this week ({len(rep.segment_moves)})", icon=":material/bookmarks:"):
        st.dataframe(report.segment_table(rep), hide_index=True, width="stretch")

cols = st.columns(len(rep.kpis))
for column, kpi in zip(cols, rep.kpis, strict=True):
    column.metric(
        kpi.label,
        kpi.text(kpi.value),
        None if kpi.change(kpi.last_week) is None else f"{kpi.change_text(kpi.last_week)} on last week",
        delta_color="off" if kpi.key == "cancel_rate" else "normal",
        help=f"{kpi.definition} Same week last year: {kpi.text(kpi.last_year)}; "
        f"median of the trailing 12 weeks: {kpi.text(kpi.trailing_median)}.",
        border=True,
    )
st.dataframe(report.kpi_table(rep), hide_index=True, width="stretch")

shown = st.segmented_control(
    "Chart",
    list(DETECTED),
    default="new_customers",
    required=True,
    format_func=lambda m: METRICS[m].label,
)
st.altair_chart(report.weekly_chart(rep, shown or "new_customers", width="container"), width="stretch")
st.caption(
    "Grey band: the expected range (median of the trailing 12 weeks ± the larger of z × s and the minimum "
    "change); large points: spikes (red), dips (blue) and watches (sand); the line marks the chosen week."
)
with st.expander(f"The last {rep.weeks.height} weeks", icon=":material/table:"):
    st.dataframe(report.history_table(rep), hide_index=True, width="stretch")
for note in rep.notes:
    st.caption(f"Note: {note}")

d1, d2, d3 = st.columns(3)
d1.download_button(
    "Download HTML",
    data=lambda: report.to_html(rep),
    file_name=f"{rep.file_stem}.html",
    mime="text/html",
    on_click="ignore",
    type="primary",
    icon=":material/download:",
    help="One self-contained page (charts inline): opens offline, attaches to an email.",
    width="stretch",
)
d2.download_button(
    "Download Markdown",
    data=lambda: report.to_markdown(rep),
    file_name=f"{rep.file_stem}.md",
    mime="text/markdown",
    on_click="ignore",
    icon=":material/description:",
    width="stretch",
)
d3.download_button(
    "Download JSON",
    data=lambda: report.to_json_text(rep),
    file_name=f"{rep.file_stem}.json",
    mime="application/json",
    on_click="ignore",
    icon=":material/data_object:",
    width="stretch",
)
