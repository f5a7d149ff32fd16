"""Reports: the weekly report for a chosen ISO week — what was unusual and why, the figures, the chart, downloads.

Layout only: every number comes from its page model (lgs_core.app.reports: ``lgs_core.report.report.build_report``) (tests/store/test_report.py calls it directly).
The sidebar's countries and "products only" narrow the report; its date range does not (a report looks at one
week and the weeks before it). The week and the detector's settings are in the link (``URL``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import streamlit as st

from lgs_core.analyses.anomaly import DETECTED, METRICS, DetectorSettings
from lgs_core.app import reports as reports_model
from lgs_core.app.filters import read_choice, read_flag, read_number
from lgs_core.present.display import literal
from lgs_core.present.text import plain
from lgs_core.report import report
from lgs_core.store.access import Action
from pages import _access, _common

URL = ("week", "z", "weeks", "min_new_customers", "min_orders", "min_sales", "seasonal", "chart")
# The report's figures under the app's plain words (lgs_core.present.text.PLAIN); the exact ones under Definitions.
PLAIN_KEYS = {"orders": "placed", "cancel_rate": "cancellation_rate"}
_FLAG_ROW = "background-color: #F8E9E5"  # the theme's rust, light: a week with a spike or dip


def _iso(week: date) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


view = _common.require_view(url_params=URL)
state = st.session_state
st.title("Weekly report")
st.caption(
    "How one week went, against the weeks before it and the same week last year. The sidebar's countries "
    "and *products only* narrow the report; its date range picks the week (the last complete week it covers)."
)

choices = _common.page_model(reports_model.weeks, spinner=None)
if not choices:
    st.info("The data does not cover a complete week (Monday to Sunday) yet.", icon=":material/event_busy:")
    st.stop()
default = next((w for w in choices if w + timedelta(days=6) <= view.filters.end), choices[0])
by_label = {_iso(w): w for w in choices}
if state.get("rep_week") not in choices:
    state.pop("rep_week", None)
# The week follows the sidebar's date range: when its end moves (a quick range, a new date), the report opens
# on the last complete week the range covers; a week picked here holds while the range stays the same.
if state.get("rep_week_for") not in (None, default):
    state["rep_week"] = default
state["rep_week_for"] = default


def _read_week(query: Any) -> tuple[date, str | None]:
    label, notice = read_choice(query, "week", list(by_label), _iso(default))
    return by_label[label], notice


_common.seed("rep_week", "week", _read_week, default)

top = st.columns([2, 3])
week = top[0].selectbox(
    "Week",
    choices,
    key="rep_week",
    format_func=lambda w: (
        f"Week {w.isocalendar()[1]} of {w.isocalendar()[0]} · {w:%d %b} – {w + timedelta(days=6):%d %b %Y}"
    ),
    help="Complete weeks only (Monday to Sunday), the newest first. It follows the sidebar's date range: "
    "the last complete week the range covers.",
)
_common.remember("rep_week", "week", None if week == default else _iso(week))

# A viewer reads the report as `lgs report` writes it: the settings are an editor's (issue #16). Drawn disabled
# (Streamlit drops a value a request forges for a disabled widget), at their defaults whatever the link says,
# and the defaults are used below anyway.
locked = not _access.can(Action.REPORT_SETTINGS)


def _seed_setting(key: str, param: str, read: Any, default: Any) -> None:
    """An editor's detector settings come from the link (``_common.seed``); a viewer's are the defaults."""
    if locked:
        state[key] = default
    else:
        _common.seed(key, param, read, default)


base = DetectorSettings()
with top[1].expander("How sensitive the flags are", icon=":material/tune:"):
    if locked:
        st.caption("The report's settings, as `lgs report` uses them: changing them needs an editor.")
    c1, c2 = st.columns(2)
    _seed_setting("rep_z", "z", lambda q: read_number(q, "z", 2.0, 6.0, base.z), base.z)
    z = c1.slider(
        "How unusual a week must be",
        2.0,
        6.0,
        disabled=locked,
        step=0.5,
        key="rep_z",
        help=f"Higher: only bigger surprises are flagged; lower: more weeks are. Default {base.z:g}. "
        "(The exact test is under Definitions and formulas below.)",
    )
    _common.remember("rep_z", "z", None if z == base.z else f"{z:g}")
    _common.seed(
        "rep_history",
        "weeks",
        lambda q: read_number(q, "weeks", 8, 104, report.DEFAULT_WEEKS, whole=True),
        report.DEFAULT_WEEKS,
    )
    state["rep_history"] = int(state["rep_history"])
    history = c2.slider("Weeks shown", 8, 104, key="rep_history", help="Weeks in the chart and the table.")
    _common.remember("rep_history", "weeks", None if history == report.DEFAULT_WEEKS else str(history))
    floors: dict[str, float] = {}
    for metric in DETECTED:
        info = METRICS[metric]
        name = f"min_{metric}"
        start = float(base.floor(metric))
        _seed_setting(f"rep_{name}", name, lambda q, n=name, s=start: read_number(q, n, 0.0, 1e12, s), start)
        state[f"rep_{name}"] = float(state[f"rep_{name}"])
        floors[metric] = st.number_input(
            f"Smallest change worth a flag: {info.label.lower()}" + (" (£)" if info.money else ""),
            min_value=0.0,
            disabled=locked,
            step=1000.0 if info.money else 1.0,
            key=f"rep_{name}",
            help=f"A smaller change on a normal week is never flagged. Default {info.why}.",
        )
        _common.remember(f"rep_{name}", name, None if floors[metric] == start else f"{floors[metric]:g}")
    _seed_setting("rep_seasonal", "seasonal", lambda q: read_flag(q, "seasonal", True), True)
    seasonal = st.toggle(
        "Check against the same week last year",
        disabled=locked,
        key="rep_seasonal",
        help="A flag must also stand out against the same week last year, so the season alone never flags. "
        "Off: the two settings above decide alone.",
    )
    _common.remember("rep_seasonal", "seasonal", None if seasonal else "0")
if locked:
    z, floors, seasonal = base.z, {m: float(base.floor(m)) for m in DETECTED}, True
settings = _common.guarded(lambda: replace(base, z=z, min_change=floors, seasonal=seasonal))
rep = _common.page_model(
    reports_model.weekly_report,
    week,
    view.filters.countries,
    view.filters.products_only,
    settings,
    history,
    spinner="Building the report…",
)

st.subheader(rep.heading)
st.text(rep.scope)
if not rep.trading:
    st.info(
        "No lines at all in the store this week: the shop was closed, or the week's data is missing.",
        icon=":material/event_busy:",
    )
elif rep.quiet:
    st.success(literal(rep.headline), icon=":material/check_circle:")
else:
    st.error(literal(rep.headline), icon=":material/flag:")
for flag in rep.flags:
    st.markdown(f"**{flag.arrow} {flag.assessment.status.capitalize()}:** {literal(flag.text)}")
    if flag.countries:
        st.markdown(literal(flag.countries_text()))
    with st.expander("Why it was flagged", icon=":material/calculate:"):
        st.text(f"{flag.assessment.reason}.")
for flag in rep.watches:
    st.warning(
        f"**Watch (not flagged):** {literal(flag.text)} Nothing can tell it from the season "
        "yet: there is no same week last year.",
        icon=":material/visibility:",
    )
    with st.expander("Why it is only a watch", icon=":material/calculate:"):
        st.text(f"{flag.assessment.reason}.")
for move in rep.moved_segments:  # saved segments whose size moved unusually (names are users' text: st.text)
    st.text(f"{move.text()} Rule: {move.rule_text}.")
if rep.segment_moves:
    with st.expander(f"Saved segments this week ({len(rep.segment_moves)})", icon=":material/bookmarks:"):
        st.dataframe(report.segment_table(rep), hide_index=True, width="stretch")

# Three cards a row: six in one row cut labels and values short ("Active custom…", "£294,…").
for row in (rep.kpis[:3], rep.kpis[3:]):
    for column, kpi in zip(st.columns(3), row, strict=False):
        delta = kpi.card_delta(kpi.last_week)
        flat = delta in ("0%", "0 pp")
        column.metric(
            kpi.label,
            kpi.text(kpi.value),
            delta,
            delta_color="off" if flat else ("normal" if kpi.rise_is_good else "inverse"),
            delta_arrow="off" if flat else "auto",
            delta_description="on last week" if delta is not None else None,
            help=f"{plain(PLAIN_KEYS.get(kpi.key, kpi.key))} Same week last year: {kpi.text(kpi.last_year)}; "
            f"a usual week (the middle of the 12 before): {kpi.text(kpi.trailing_median)}.",
            border=True,
        )
st.dataframe(report.kpi_table(rep), hide_index=True, width="stretch")

# --- the weeks before -----------------------------------------------------------------------------------
st.subheader(f"The last {rep.weeks.height} weeks")
flagged = report.flagged_weeks(rep)
if flagged:
    st.markdown(
        f"**{len(flagged)} spike{'s' if len(flagged) != 1 else ''} or dip{'s' if len(flagged) != 1 else ''}:**\n"
        + "\n".join(f"- {literal(line)}" for line in flagged)
    )
else:
    st.markdown(f"No spike or dip in the last {rep.weeks.height} weeks.")

_common.seed(
    "rep_chart", "chart", lambda q: read_choice(q, "chart", list(DETECTED), "new_customers"), "new_customers"
)
shown = st.segmented_control(
    "Chart",
    list(DETECTED),
    key="rep_chart",
    required=True,
    format_func=lambda m: METRICS[m].label,
)
shown = shown or "new_customers"
_common.remember("rep_chart", "chart", None if shown == "new_customers" else shown)
st.vega_lite_chart(report.weekly_chart(rep, shown, width="container"), width="stretch")
st.caption(
    "Grey band: the range a normal week falls in; large points: spikes (red), dips (blue) and weeks to watch "
    "(sand); the vertical line marks the chosen week."
)


def _highlight(row: Any) -> list[str]:
    marked = row["Flags"] not in ("", "closed") and "watch" not in row["Flags"].split(",")[0]
    return [_FLAG_ROW if marked else "" for _ in row]


history_table = report.history_table(rep)
st.dataframe(
    history_table.to_pandas().style.apply(_highlight, axis=1),
    hide_index=True,
    width="stretch",
    column_config={
        "Week": st.column_config.TextColumn(width="medium"),
        "Flags": st.column_config.TextColumn("Flags", width="large", help="Spikes and dips of the week."),
    },
)
for note in rep.notes:
    st.caption(f"Note: {literal(note)}")

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
with st.expander("Definitions and formulas", icon=":material/menu_book:"):
    st.markdown(
        "\n".join(f"- **{k.label}**: {literal(k.definition)}" for k in rep.kpis)
        + f"\n- **Flags**: {literal(report.method_text(rep.settings))}"
        + "\n- **Every week by email**: the command `lgs report` sends this report (docs/REPORTING.md)."
    )
