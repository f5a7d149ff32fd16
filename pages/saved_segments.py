"""Saved segments (issue #18): build a segment from rules, see its customers live, save it by name, download it,
see why a customer is in it, how it changed over time and who moved in or out; behaviour clusters.

Layout only: the rules are lgs_core.analyses.segment_rules, their evaluation lgs_core.analyses.saved_segments, the clusters
lgs_core.analyses.clusters (tested there). The page's state is in the URL like the sidebar's: ``seg`` (the open saved
segment), ``rule`` (the rule being built, when it is not the saved one), ``tab`` and ``k`` (the clusters'
range), so a copied link opens the same segment. Saving and deleting go through ``_change`` alone: a change of
shared state, where sign-in can gate it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar, cast

import polars as pl
import streamlit as st

from lgs_core.analyses import clusters, export, saved_segments
from lgs_core.analyses.saved_segments import DeleteSegment, SaveSegment, SegmentChange
from lgs_core.analyses.segment_rules import (
    FIELDS,
    MAX_COUNT,
    MAX_DAYS,
    OP_CHOICES,
    RFM_MAPS,
    TIER_LABELS,
    Condition,
    Group,
    rule_from_text,
)
from lgs_core.app import saved_segments as saved_model
from lgs_core.app import segments as segments_model
from lgs_core.errors import LgsError
from lgs_core.present import segment_charts
from lgs_core.present.display import literal
from lgs_core.present.text import count_text, money_text
from lgs_core.query.window import Window
from lgs_core.store import access
from lgs_core.store.access import Action
from pages import _access, _common

T = TypeVar("T")
_SPINNER = "Finding the customers…"
NEW = ""  # the segment picker's "new segment" entry
TABS = ("Build and save", "Over time", "Behaviour clusters")
STATE = "_sseg"  # the page's own state (not a widget's): the open segment, the rule, the rows


# --- the page's data: each one call of its page model (lgs_core.app.saved_segments) through pages/_common ---


def _facts(window: Window, preset: str) -> saved_segments.Facts:
    return _common.model(saved_model.facts, window, preset, spinner=_SPINNER)


def _evaluate(window: Window, preset: str, rule_text: str, name: str) -> saved_segments.SegmentResult:
    """The rule's customers: on the window's facts, and the RFM or value frames when the rule reads them (each
    computed once per window and preset, for every rule evaluated on it)."""
    rule = rule_from_text(rule_text)
    facts = _facts(window, preset)
    maps = rule.rfm_maps()
    rfm_frame = (
        _common.model(
            saved_model.rfm_frame,
            window,
            preset,
            maps,
            spinner="Scoring RFM segments…",
            given={"facts": facts},
        )
        if maps
        else None
    )
    value_frame = (
        _common.model(
            saved_model.value_frame,
            window,
            preset,
            spinner="Fitting the lifetime-value model…",
            given={"facts": facts},
        )
        if rule.uses("value_tier")
        else None
    )
    return _common.model(
        saved_model.evaluate,
        window,
        preset,
        rule_text,
        name,
        spinner=_SPINNER,
        given={"facts": facts, "rfm_frame": rfm_frame, "value_frame": value_frame},
    )


def _clusters(window: Window, preset: str, k_range: tuple[int, int]) -> clusters.Clusters | None:
    """The behaviour clusters, or None after showing in place why not."""
    facts = _common.tab_model(saved_model.facts, window, preset, spinner=_SPINNER)
    if facts is None:
        return None
    return _common.tab_model(
        saved_model.behaviour_clusters,
        window,
        preset,
        k_range,
        spinner="Clustering the customers (k-means for each number of clusters)…",
        given={"facts": facts},
    )


def _change(change: SegmentChange) -> saved_segments.SavedSegment | None:
    """Save, rename or delete a saved segment: the page's one change of shared state, an editor's (issue #16):
    a viewer's request is refused here (``AccessDenied``, one line) even if a crafted one reaches it."""
    access.require(_access.principal(), Action.SAVE_SEGMENTS)
    return _common.change_store(saved_segments.apply_change, change)  # the segment list is stale after it


# --- the rule builder's widgets ⇄ a rule ----------------------------------------------------------------


def _defaults(field: str, last_day: date) -> tuple[str, list[Any], str]:
    """A new condition on ``field``: its operator, values and option."""
    spec = FIELDS[field]
    known: dict[str, tuple[str, list[Any], str]] = {
        "recency_days": ("le", [90], ""),
        "orders": ("ge", [2], ""),
        "spend": ("gt", [Decimal(1000)], ""),
        "aov": ("ge", [Decimal(100)], ""),
        "first_order": ("ge", [last_day - timedelta(days=365)], ""),
        "country": ("in", [], ""),
        "product": ("in", [], ""),
        "product_group": ("in", [], ""),
        "rfm_segment": ("in", ["Champions"], "classic10"),
        "value_tier": ("in", ["high"], ""),
    }
    return known.get(field, (spec.ops[0], [], ""))


def _seed_row(row: int, field: str, op: str, values: list[Any], option: str, last_day: date) -> None:
    """Give row ``row``'s widgets their values (before they are drawn)."""
    state = st.session_state
    kind = FIELDS[field].kind
    state[f"sseg_f_{row}"] = field
    state[f"sseg_o_{row}"] = op
    for key in (f"sseg_v_{row}", f"sseg_w_{row}", f"sseg_m_{row}"):
        state.pop(key, None)
    if kind in ("days", "count"):
        whole = int(values[0]) if values else 0
        state[f"sseg_v_{row}"] = whole
        state[f"sseg_w_{row}"] = int(values[1]) if len(values) > 1 else whole
    elif kind == "money":
        pounds = float(values[0]) if values else 0.0
        state[f"sseg_v_{row}"] = pounds
        state[f"sseg_w_{row}"] = float(values[1]) if len(values) > 1 else pounds
    elif kind == "date":
        day = values[0] if values else last_day
        state[f"sseg_v_{row}"] = day
        state[f"sseg_w_{row}"] = values[1] if len(values) > 1 else day
    elif kind in ("products", "text"):
        state[f"sseg_v_{row}"] = ", ".join(str(v) for v in values)
    elif kind == "segments":
        state[f"sseg_m_{row}"] = option or "classic10"
        state[f"sseg_v_{row}"] = [str(v) for v in values]
    else:  # countries, tiers
        state[f"sseg_v_{row}"] = [str(v) for v in values]


def _seed(rule: Group, last_day: date) -> None:
    """The builder's widgets set to ``rule`` (a flat rule: its conditions, all or any)."""
    state = st.session_state
    page = state[STATE]
    page["rows"] = list(range(len(rule.items)))
    page["next"] = len(rule.items)
    state["sseg_match"] = rule.match
    for row, item in enumerate(rule.items):
        if isinstance(item, Condition):
            _seed_row(row, item.field, item.op, list(item.values), item.option, last_day)


def _row_condition(row: int) -> tuple[Condition | None, str]:
    """The condition row ``row``'s widgets make, or (None, why it is left out)."""
    state = st.session_state
    field = state.get(f"sseg_f_{row}", "spend")
    op = state.get(f"sseg_o_{row}") or FIELDS[field].ops[0]
    kind = FIELDS[field].kind
    value = state.get(f"sseg_v_{row}")
    if kind in ("days", "count", "money", "date"):
        values = [value, state.get(f"sseg_w_{row}")] if op == "between" else [value]
        if kind == "money":
            values = [Decimal(str(round(float(v), 2))) for v in values if v is not None]
    elif kind in ("products", "text"):
        values = [v.strip() for v in str(value or "").split(",") if v.strip()]
    else:
        values = list(value or [])
    if not values:
        what = {"countries": "a country", "products": "a stock code", "text": "a word of the description"}
        return None, f"choose {what.get(kind, 'a value')} — this condition is left out until then"
    try:
        return Condition.make(
            field, op, values, state.get(f"sseg_m_{row}", "") if kind == "segments" else ""
        ), ""
    except LgsError as exc:
        return None, f"{exc.what} — {exc.todo}" if exc.todo else exc.what


def _add_row(last_day: date) -> None:
    page = st.session_state[STATE]
    row = page["next"]
    page["next"] += 1
    page["rows"].append(row)
    used = {st.session_state.get(f"sseg_f_{r}") for r in page["rows"][:-1]}
    field = next((f for f in ("country", "recency_days", "spend", "orders") if f not in used), "spend")
    op, values, option = _defaults(field, last_day)
    _seed_row(row, field, op, values, option, last_day)


def _remove_row(row: int) -> None:
    st.session_state[STATE]["rows"].remove(row)


def _field_changed(row: int, last_day: date) -> None:
    field = st.session_state[f"sseg_f_{row}"]
    op, values, option = _defaults(field, last_day)
    _seed_row(row, field, op, values, option, last_day)


def _open_changed(saved: dict[str, saved_segments.SavedSegment], last_day: date) -> None:
    """The segment picker moved: load that segment (or a new one) into the builder."""
    name = st.session_state["sseg_open"]
    page = st.session_state[STATE]
    page["open"] = name
    rule = saved[name].rule if name in saved else _starting_rule(last_day)
    _seed(rule, last_day)
    st.session_state["sseg_name"] = name


def _starting_rule(last_day: date) -> Group:
    op, values, _ = _defaults("recency_days", last_day)
    return Group("all", (Condition.make("recency_days", op, values),))


def _draw_row(row: int, known: list[str], first_day: date, last_day: date, position: int) -> str:
    """One condition's widgets; returns the reason it is left out ("" when it counts)."""
    c_field, c_op, c_value, c_remove = st.columns([2.2, 2.2, 4.6, 0.6], vertical_alignment="bottom")
    field = c_field.selectbox(
        "Condition" if position == 0 else "and" if st.session_state.get("sseg_match") == "all" else "or",
        list(FIELDS),
        key=f"sseg_f_{row}",
        format_func=lambda f: FIELDS[f].label,
        on_change=_field_changed,
        args=(row, last_day),
        help=" ".join(f"**{s.label}**: {s.help}" for s in FIELDS.values()),
    )
    spec = FIELDS[field]
    choices = OP_CHOICES[spec.kind]
    if st.session_state.get(f"sseg_o_{row}") not in spec.ops:
        st.session_state[f"sseg_o_{row}"] = spec.ops[0]
    op = c_op.selectbox(
        "Test",
        list(spec.ops),
        key=f"sseg_o_{row}",
        format_func=lambda o: choices[o],
        label_visibility="hidden",
    )
    unit = {"days": "days ago", "count": "orders", "money": "£"}.get(spec.kind, "")
    with c_value:
        if spec.kind in ("days", "count", "money", "date"):
            left, right = st.columns(2) if op == "between" else (st.container(), None)
            boxes = [(left, f"sseg_v_{row}", "From" if op == "between" else "Value")]
            if right is not None:
                boxes.append((right, f"sseg_w_{row}", "To"))
            for box, key, label in boxes:
                if spec.kind == "date":
                    box.date_input(
                        label, key=key, format="DD/MM/YYYY", min_value=date(1990, 1, 1), max_value=last_day
                    )
                elif spec.kind == "money":
                    box.number_input(
                        f"{label} (£)", key=key, step=100.0, format="%.2f", min_value=-1e12, max_value=1e12
                    )
                else:
                    box.number_input(
                        f"{label} ({unit})",
                        key=key,
                        step=1,
                        min_value=0,
                        max_value=MAX_DAYS if spec.kind == "days" else MAX_COUNT,
                    )
        elif spec.kind == "countries":
            chosen = st.session_state.get(f"sseg_v_{row}") or []
            st.multiselect(
                "Countries",
                sorted(set(known) | set(chosen)),
                key=f"sseg_v_{row}",
                placeholder="Choose countries",
                label_visibility="hidden",
            )
        elif spec.kind == "products":
            st.text_input(
                "Stock codes", key=f"sseg_v_{row}", placeholder="e.g. 85123A, 22423 (commas between codes)"
            )
        elif spec.kind == "text":
            st.text_input(
                "Description contains",
                key=f"sseg_v_{row}",
                placeholder="e.g. CHRISTMAS (any case; commas between alternatives)",
            )
        elif spec.kind == "segments":
            m_map, m_segments = st.columns([1, 3])
            chosen_map = m_map.selectbox("Map", list(RFM_MAPS), key=f"sseg_m_{row}")
            picked = [s for s in st.session_state.get(f"sseg_v_{row}") or [] if s in RFM_MAPS[chosen_map]]
            st.session_state[f"sseg_v_{row}"] = picked
            m_segments.multiselect(
                "Segments", list(RFM_MAPS[chosen_map]), key=f"sseg_v_{row}", placeholder="Choose segments"
            )
        else:
            st.multiselect(
                "Tiers",
                list(TIER_LABELS),
                key=f"sseg_v_{row}",
                format_func=lambda t: TIER_LABELS[t],
                placeholder="Choose tiers",
                label_visibility="hidden",
            )
    c_remove.button(
        "",
        key=f"sseg_x_{row}",
        icon=":material/delete:",
        help="Remove this condition",
        on_click=_remove_row,
        args=(row,),
    )
    _, why = _row_condition(row)
    return why


# --- the page ------------------------------------------------------------------------------------------------

view = _common.require_view(url_params=("seg", "rule", "tab", "k"))
window, preset = view.window, view.preset
info = _common.store_info()
last_day = info.last_date.date() if info.last_date else date.today()
first_day = info.first_date.date() if info.first_date else last_day
known = _common.countries()
saved_list = _common.page_model(saved_model.saved, spinner=None)
saved = {s.name: s for s in saved_list}

st.title("Saved segments")
st.caption(
    f"{view.label} — build a list of customers from plain rules (no RFM needed), save it by name for everyone, "
    "and download it; it is worked out again on the current data every time."
)

# The page's state: from the URL on a session's first visit (a shared link), else from the last visit (a page
# switch drops the widgets' values: the rule is kept here and the widgets are seeded from it).
state = st.session_state
if STATE not in state:
    state[STATE] = {"open": NEW, "rows": [], "next": 0}
    url_open = st.query_params.get("seg", NEW)
    url_rule = st.query_params.get("rule")
    opened = saved.get(url_open) or next(
        (s for s in saved_list if s.name.casefold() == url_open.casefold()), None
    )
    state[STATE]["open"] = opened.name if opened else NEW
    rule_seed = opened.rule if opened else _starting_rule(last_day)
    if url_rule:
        try:
            rule_seed = rule_from_text(url_rule)
        except LgsError:
            st.warning(
                "The link's rule could not be read; it starts from the saved one.", icon=":material/link_off:"
            )
    state[STATE]["rule"] = rule_seed.to_text()
    state[STATE]["name"] = opened.name if opened else ""
page = state[STATE]
if page["open"] and page["open"] not in saved:  # deleted or renamed by someone else meanwhile
    page["open"] = NEW
if state.get("sseg_open", NEW) not in (NEW, *saved):
    state["sseg_open"] = page["open"]
if "sseg_match" not in state:  # the widgets are gone (first run, or back from another page): seed them
    _seed(rule_from_text(page["rule"]), last_day)
    state["sseg_open"] = page["open"]
    state["sseg_name"] = page.get("name", page["open"])

# The tab a link opens: read once per session (a default that changed between runs would make a new widget).
if "tab" not in page:
    asked = st.query_params.get("tab")
    page["tab"] = asked if asked in TABS else TABS[0]
tab_build, tab_time, tab_clusters = st.tabs(
    list(TABS), key="sseg_tab", on_change="rerun", default=page["tab"]
)


def _write_url() -> None:
    """The page's state in the URL (the sidebar's keys are the sidebar's): a copied link opens the same segment."""
    wanted: dict[str, str] = {}
    opened = saved.get(page["open"])
    if page["open"]:
        wanted["seg"] = page["open"]
    if not opened or opened.rule.to_text() != page["rule"]:
        wanted["rule"] = page["rule"]
    if state.get("sseg_tab") and state["sseg_tab"] != TABS[0]:
        wanted["tab"] = state["sseg_tab"]
    if tuple(state.get("sseg_k") or clusters.DEFAULT_K_RANGE) != clusters.DEFAULT_K_RANGE:
        wanted["k"] = "{}-{}".format(*state["sseg_k"])
    for param in ("seg", "rule", "tab", "k"):
        if param in wanted and st.query_params.get(param) != wanted[param]:
            st.query_params[param] = wanted[param]
        elif param not in wanted and param in st.query_params:
            del st.query_params[param]


# --- build and save -------------------------------------------------------------------------------------------
@st.fragment
def _build_tab() -> None:
    """The builder, its live preview, saving, the customers and why: a fragment, so a change of the rule reruns
    this tab only (not the sidebar and the page around it)."""
    opened_segment = saved.get(page["open"])
    rule = rule_from_text(page["rule"])
    top_left, top_right = st.columns([3, 2], vertical_alignment="bottom")
    top_left.selectbox(
        "Segment",
        [NEW, *saved],
        key="sseg_open",
        format_func=lambda n: "New segment" if n == NEW else n,
        on_change=_open_changed,
        args=(saved, last_day),
        help="Open a saved segment to see, edit or download it, or start a new one.",
    )
    top_right.segmented_control(
        "Customers must meet",
        ["all", "any"],
        key="sseg_match",
        required=True,
        format_func=lambda m: {"all": "all conditions (AND)", "any": "any condition (OR)"}[m],
    )
    rule_text_now = page["rule"]
    nested = any(not isinstance(i, Condition) for i in rule_from_text(rule_text_now).items)
    if nested:
        st.info(
            "This rule has groups of conditions the builder cannot show (it came from a link or the CLI): it is "
            "used as it is; start a new segment to build one here.",
            icon=":material/account_tree:",
        )
        rule = rule_from_text(rule_text_now)
    else:
        conditions: list[Condition] = []
        for position, row in enumerate(list(page["rows"])):
            why = _draw_row(row, known, first_day, last_day, position)
            condition, _ = _row_condition(row)
            if condition is not None:
                conditions.append(condition)
            else:
                st.caption(f"⚠ {why}")
        st.button(
            "Add a condition",
            icon=":material/add:",
            on_click=_add_row,
            args=(last_day,),
            help="Every condition narrows (all) or widens (any) the segment.",
        )
        rule = Group(state.get("sseg_match") or "all", tuple(conditions))
    page["rule"] = rule.to_text()

    result = _common.guarded(_evaluate, window, preset, rule.to_text(), page["open"])
    st.text("Customers who: " + rule.label() + ".")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        "Customers in the segment",
        count_text(result.count),
        help=saved_segments.DEFINITIONS["segment_customers"],
        border=True,
    )
    m2.metric(
        "Share of all customers",
        "–" if result.share is None else f"{result.share:.1%}",
        help=f"{saved_segments.DEFINITIONS['segment_share']} All customers: {result.total:,}.",
        border=True,
    )
    m3.metric(
        "Their spend",
        money_text(result.revenue),
        help=saved_segments.DEFINITIONS["segment_revenue"],
        border=True,
    )
    m4.metric(
        "Reference date",
        "–" if result.reference_date is None else f"{result.reference_date:%d %b %Y}",
        help="'Today' for 'last order within N days': the day after the last line in the date range "
        "(classic: 2012-01-01).",
        border=True,
    )
    missing = result.unknown_values(known)
    if missing:
        st.warning(
            "The data has no customers in "
            + ", ".join(literal(m) for m in missing)
            + ": those values match nobody "
            "(the data set may have been replaced since the segment was saved).",
            icon=":material/help:",
        )

    # save, rename, delete
    locked = not _access.can(Action.SAVE_SEGMENTS)
    if locked:
        st.caption("Saving, renaming or deleting a segment changes it for everyone: that needs an editor.")
    with st.container(border=True):
        s_name, s_save, s_new, s_delete = st.columns([3, 1.2, 1.4, 1], vertical_alignment="bottom")
        name = s_name.text_input(
            "Name",
            key="sseg_name",
            max_chars=saved_segments.NAME_MAX,
            placeholder="e.g. France, recent, spent over £1,000",
            help="Saved in the store for everyone using this data; names are unique ignoring case.",
        )
        page["name"] = name
        label = "Save changes" if opened_segment else "Save segment"
        if s_save.button(
            label,
            type="primary",
            icon=":material/save:",
            width="stretch",
            disabled=locked or (nested and not opened_segment),
        ):
            try:
                done = _change(
                    SaveSegment(name, rule, replaces=opened_segment.name if opened_segment else None)
                )
            except LgsError as exc:
                _common.show_error(exc)
            else:
                assert done is not None
                page["open"] = done.name
                page["name"] = done.name
                state.pop("sseg_match", None)  # reseed the widgets from the saved rule on the rerun
                st.toast(f"Saved “{literal(done.name)}”.", icon=":material/bookmark_added:")
                st.rerun()
        if (
            opened_segment
            and not locked
            and s_new.button("Save as new", icon=":material/library_add:", width="stretch")
        ):
            try:
                done = _change(SaveSegment(name, rule))
            except LgsError as exc:
                _common.show_error(exc)
            else:
                assert done is not None
                page["open"] = done.name
                state.pop("sseg_match", None)
                st.toast(f"Saved “{literal(done.name)}” as a new segment.", icon=":material/bookmark_added:")
                st.rerun()
        if opened_segment and not locked:
            with s_delete.popover("Delete", icon=":material/delete:", width="stretch"):
                st.text(f"Delete “{opened_segment.name}” for everyone? Its rule is gone; no data is lost.")
                if st.button("Delete it", type="primary", key="sseg_delete"):
                    try:
                        _change(DeleteSegment(opened_segment.name))
                    except LgsError as exc:
                        _common.show_error(exc)
                    else:
                        page.update(open=NEW, name="", rule=_starting_rule(last_day).to_text())
                        state.pop("sseg_match", None)
                        st.toast("Deleted.", icon=":material/delete:")
                        st.rerun()
        if opened_segment:
            st.caption(
                f"Saved {opened_segment.updated_at:%d %b %Y %H:%M}. **A saved segment** is "
                + saved_segments.DEFINITIONS["data_replaced"].removeprefix("a saved segment is ")
            )

    # the customers, their downloads
    st.subheader("The segment's customers")
    if result.is_empty:
        st.info(
            "No customer meets these conditions in this date range and these countries. Loosen a condition, "
            "switch to 'any condition', or widen the date range in the sidebar.",
            icon=":material/search_off:",
        )
    else:
        d1, d2, d3 = st.columns(3)
        _common.list_downloads(
            (d1, d2, d3),
            result.file_stem,
            csv=result.csv,
            xlsx=result.xlsx,
            manifest=result.manifest_json,
            disabled=result.is_empty,
            key="sseg_list",
        )
        st.dataframe(
            result.display_table(),
            hide_index=True,
            width="stretch",
            column_config={
                "customer_id": st.column_config.NumberColumn("Customer", format="%d"),
                "country": st.column_config.TextColumn("Country"),
                "last_order": st.column_config.DatetimeColumn("Last order", format="DD/MM/YYYY"),
                "recency_days": st.column_config.NumberColumn("Days since the last order"),
                "orders": st.column_config.NumberColumn("Orders", help=FIELDS["orders"].help),
                "spend": st.column_config.NumberColumn(
                    "Spend (£)", format="£%,.2f", help=FIELDS["spend"].help
                ),
                "average_order_value": st.column_config.NumberColumn(
                    "Average order value (£)", format="£%,.2f", help=FIELDS["aov"].help
                ),
                "first_order": st.column_config.DatetimeColumn(
                    "First order", format="DD/MM/YYYY", help=FIELDS["first_order"].help
                ),
                "value_tier": st.column_config.TextColumn("Lifetime-value tier"),
            },
        )

        # why is this customer here
        st.subheader("Why is a customer in this segment?")
        labels = result.customer_labels(limit=5_000)
        w_pick, w_any = st.columns([3, 1])
        if state.get("sseg_why") not in labels:  # a customer the rule no longer holds
            state.pop("sseg_why", None)
        picked = w_pick.selectbox(
            "Customer",
            list(labels),
            index=None,
            format_func=lambda c: labels[c],
            key="sseg_why",
            placeholder="Choose one of the segment's customers (biggest spender first)",
            help="Each condition with this customer's value, their behaviour cluster, their invoices.",
        )
        other = w_any.number_input(
            "Or any customer id",
            min_value=0,
            value=None,
            step=1,
            key="sseg_why_any",
            placeholder="e.g. 12347",
        )
        customer = int(other) if other else (int(picked) if picked is not None else None)
        if customer is not None:
            try:
                checks = result.explain(customer)
            except LgsError as exc:
                _common.show_error(exc)
                checks = []
            if checks:
                inside = result.customers.filter(pl.col("customer_id") == customer)["matches"][0]
                st.markdown(
                    f"**Customer {customer}** is {'in' if inside else 'not in'} the segment: "
                    f"{'every' if result.rule.match == 'all' else 'at least one'} condition must hold."
                )
                st.dataframe(
                    pl.DataFrame(
                        {
                            "Holds": ["✓" if c.passed else "✗" for c in checks],
                            "Condition": [c.condition for c in checks],
                            "This customer": [c.value for c in checks],
                        }
                    ),
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "Holds": st.column_config.TextColumn(width="small"),
                        "Condition": st.column_config.TextColumn(width="large"),
                        "This customer": st.column_config.TextColumn(width="large"),
                    },
                )
            left, right = st.columns(2)
            with left:
                k_range = tuple(state.get("sseg_k") or clusters.DEFAULT_K_RANGE)
                found = _clusters(window, preset, k_range)
                if found is not None and customer in set(found.customers["customer_id"].to_list()):
                    nearest = found.why(customer)
                    st.markdown(f"**Behaviour cluster**: {literal(nearest.name)} ({found.quality_text}).")
                    st.dataframe(
                        nearest.distances.rename(
                            {"cluster": "Cluster", "name": "Name", "distance": "Distance"}
                        ),
                        hide_index=True,
                        width="stretch",
                        column_config={
                            "Distance": st.column_config.NumberColumn(
                                "Distance to its centre",
                                format="%.2f",
                                help=clusters.DEFINITIONS["distance"],
                            )
                        },
                    )
                    st.caption(
                        "**Why this cluster**: its centre is the nearest. Distances are in standard deviations "
                        "of the log-scaled recency, orders and spend."
                    )
            with right:
                invoices = _common.page_model(
                    segments_model.customer_invoices, view.window, customer, spinner=None
                )
                st.markdown("**The customer's invoices** in the date range")
                st.dataframe(
                    invoices,
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "invoice": "Invoice",
                        "kind": "Kind",
                        "country": "Country",
                        "lines": st.column_config.NumberColumn("Lines", format="localized"),
                        "items": st.column_config.NumberColumn("Items", format="localized"),
                        "invoice_date": st.column_config.DatetimeColumn("Date", format="DD/MM/YYYY HH:mm"),
                        "amount": st.column_config.NumberColumn("Amount (£)", format="£%,.2f"),
                    },
                )

    # who joined and who left
    moves = st.expander(
        "Who joined and who left the segment",
        icon=":material/swap_horiz:",
        key="sseg_moves",
        on_change="rerun",
    )
    with moves:
        dates = (
            _common.tab_model(saved_model.migration_dates, window, spinner=None) if moves.open else None
        )  # computed only when opened
        if dates is not None:
            j1, j2 = st.columns(2)
            first = j1.date_input("First date", value=dates[0], format="DD/MM/YYYY", key="sseg_mig_from")
            second = j2.date_input("Second date", value=dates[1], format="DD/MM/YYYY", key="sseg_mig_to")
            moved = _common.tab_model(
                saved_model.migration,
                window,
                preset,
                rule.to_text(),
                first,
                second,
                page["open"],
                spinner="Evaluating the segment at both dates…",
            )
            if moved is not None:
                n1, n2, n3, n4 = st.columns(4)
                n1.metric(f"In the segment on {first:%d %b %Y}", count_text(moved.stayed + moved.left))
                n2.metric(f"In the segment on {second:%d %b %Y}", count_text(moved.stayed + moved.joined))
                n3.metric(
                    "Joined",
                    count_text(moved.joined),
                    help="Not in it at the first date (or not yet a customer).",
                )
                n4.metric("Left", count_text(moved.left))
                st.vega_lite_chart(segment_charts.flow_chart(moved), width="stretch")
                st.caption(f"**States**: {saved_segments.DEFINITIONS['migration_states']}")
                c_from, c_to = st.columns(2)
                from_state = c_from.selectbox("From", moved.from_states, index=2, key="sseg_mig_cell_from")
                to_state = c_to.selectbox("To", moved.to_states, index=0, key="sseg_mig_cell_to")
                cell = moved.cell(from_state, to_state)
                st.metric(f"{from_state} → {to_state}", count_text(cell.height))
                e1, e2, e3 = st.columns(3)
                _common.list_downloads(
                    (e1, e2, e3),
                    f"{result.file_stem}-moved-{first:%Y%m%d}-{second:%Y%m%d}",
                    csv=lambda: export.segment_export_csv(
                        cell, moved.manifest(cell, f"{from_state} → {to_state}")
                    )[0],
                    xlsx=lambda: export.segment_export_xlsx(
                        cell, moved.manifest(cell, f"{from_state} → {to_state}"), sheet="customers"
                    ),
                    manifest=lambda: export.segment_export_csv(
                        cell, moved.manifest(cell, f"{from_state} → {to_state}")
                    )[1],
                    disabled=cell.is_empty(),
                    key="sseg_moved",
                )
                st.dataframe(cell, hide_index=True, width="stretch")
    _write_url()


with tab_build:
    if tab_build.open:
        _build_tab()
rule = rule_from_text(page["rule"])  # the rule the builder made

# --- over time -------------------------------------------------------------------------------------------------
with tab_time:
    if tab_time.open:
        st.text(f"{page['open'] or 'The segment being built'} — customers who: {rule.label()}.")
        past = _common.tab_model(
            saved_model.history,
            window,
            preset,
            rule.to_text(),
            spinner="Evaluating the segment at each month's end…",
        )
        if past is not None and past.is_empty:
            st.info(
                "The segment had no customer at any month's end of this date range.",
                icon=":material/search_off:",
            )
        elif past is not None:
            left, right = st.columns(2)
            left.vega_lite_chart(segment_charts.history_customers_chart(past), width="stretch")
            left.caption(
                f"**Customers at the month's end**: {saved_segments.DEFINITIONS['history_customers']}"
            )
            right.vega_lite_chart(segment_charts.history_revenue_chart(past), width="stretch")
            right.caption(
                f"**Revenue**: {saved_segments.DEFINITIONS['history_revenue']} Faded: a month the date range cuts short."
            )
            st.dataframe(
                past.table(),
                hide_index=True,
                width="stretch",
                column_config={
                    "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
                    "customers": st.column_config.NumberColumn(
                        "Customers at the month's end", format="localized"
                    ),
                    "revenue": st.column_config.NumberColumn("Their spend in the month (£)", format="£%,.2f"),
                    "whole_month": st.column_config.CheckboxColumn("Whole month in the date range"),
                },
            )

# --- behaviour clusters ----------------------------------------------------------------------------------------
with tab_clusters:
    if tab_clusters.open:
        defs = clusters.DEFINITIONS
        if "sseg_k" not in state:
            from_url = re.fullmatch(r"(\d{1,2})-(\d{1,2})", st.query_params.get("k", ""))
            state["sseg_k"] = (int(from_url[1]), int(from_url[2])) if from_url else clusters.DEFAULT_K_RANGE
        # A range slider: its state (seeded above) is a (low, high) pair, which its overloads cannot see.
        k_low, k_high = cast(
            tuple[int, int],
            st.slider(
                "Numbers of clusters to try",
                min_value=2,
                max_value=clusters.MAX_K,
                key="sseg_k",
                help=defs["k_range"],
            ),
        )
        found = _clusters(window, preset, (k_low, k_high))
        if found is not None:
            q1, q2, q3 = st.columns(3)
            q1.metric("Clusters", f"{found.k}", help=defs["k_range"], border=True)
            q2.metric("Quality (silhouette)", f"{found.silhouette:.2f}", help=defs["silhouette"], border=True)
            q3.metric("Customers clustered", count_text(found.customers.height), border=True)
            st.caption(
                f"**Quality {found.silhouette:.2f}: {clusters.quality_words(found.silhouette)}** (over 0.5: clear "
                f"groups; under 0.25: none). **Clusters**: {defs['clusters']}"
            )
            st.markdown(" · ".join(f"**{i}** {literal(name)}" for i, name in enumerate(found.names, start=1)))
            profile = found.profile_table()
            st.dataframe(
                profile.drop("recency_z", "orders_z", "spend_z"),
                hide_index=True,
                width="stretch",
                column_config={
                    "cluster": st.column_config.NumberColumn("Cluster", format="%d"),
                    "name": st.column_config.TextColumn("Name"),
                    "customers": st.column_config.NumberColumn("Customers", format="localized"),
                    "customer_share": st.column_config.NumberColumn("Share of customers", format="percent"),
                    "revenue": st.column_config.NumberColumn("Spend (£)", format="£%,.0f"),
                    "revenue_share": st.column_config.NumberColumn("Share of spend", format="percent"),
                    "median_recency_days": st.column_config.NumberColumn(
                        "Median days since last order", format="%.0f"
                    ),
                    "median_orders": st.column_config.NumberColumn("Median orders", format="%.0f"),
                    "median_spend": st.column_config.NumberColumn("Median spend (£)", format="£%,.0f"),
                },
            )
            with st.expander("How the names are chosen", icon=":material/label:"):
                st.caption(
                    "Each centre's place on each axis, in standard deviations from the average customer (z): below "
                    "−0.5 or above +0.5 names the cluster (recency: recent / lapsed; orders: one-off / occasional / "
                    f"frequent; spend: small / mid / big spenders). {defs['centre_z']}"
                )
                st.dataframe(
                    profile.select("cluster", "name", "recency_z", "orders_z", "spend_z"),
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "cluster": st.column_config.NumberColumn("Cluster", format="%d"),
                        "name": st.column_config.TextColumn("Name"),
                        "recency_z": st.column_config.NumberColumn("Recency (z)", format="%+.2f"),
                        "orders_z": st.column_config.NumberColumn("Orders (z)", format="%+.2f"),
                        "spend_z": st.column_config.NumberColumn("Spend (z)", format="%+.2f"),
                    },
                )
            left, right = st.columns([3, 2])
            left.vega_lite_chart(segment_charts.cluster_scatter(found), width="stretch")
            with right:
                st.dataframe(
                    found.silhouettes,
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "k": st.column_config.NumberColumn("Clusters", format="%d"),
                        "silhouette": st.column_config.NumberColumn(
                            "Silhouette", format="%.3f", help=defs["silhouette"]
                        ),
                    },
                )
                st.caption(
                    f"The best silhouette wins; a tie goes to fewer clusters. Seed {found.seed}: the same data gives the same clusters."
                )
            cluster_names = found.names
            cluster = st.selectbox(
                "Customers of a cluster",
                list(range(1, found.k + 1)),
                format_func=lambda c: f"{c}: {cluster_names[c - 1]}",
                key="sseg_cluster",
            )
            table = found.members(int(cluster or 1))
            manifest = partial(found.manifest, table, f"cluster {cluster}")
            g1, g2, g3 = st.columns(3)
            _common.list_downloads(
                (g1, g2, g3),
                f"lgs-cluster-{cluster}-{found.window.start}-to-{found.window.end}",
                csv=lambda: export.segment_export_csv(table, manifest())[0],
                xlsx=lambda: export.segment_export_xlsx(table, manifest(), sheet="customers"),
                manifest=lambda: export.segment_export_csv(table, manifest())[1],
                disabled=table.is_empty(),
                key="sseg_cluster_list",
            )
            st.dataframe(
                table.with_columns(pl.col("monetary").cast(pl.Float64)),
                hide_index=True,
                width="stretch",
                column_config={
                    "customer_id": st.column_config.NumberColumn("Customer", format="%d"),
                    "country": st.column_config.TextColumn("Country"),
                    "recency_days": st.column_config.NumberColumn("Days since the last order"),
                    "frequency": st.column_config.NumberColumn("Orders"),
                    "monetary": st.column_config.NumberColumn("Spend (£)", format="£%,.2f"),
                    "cluster": st.column_config.NumberColumn("Cluster", format="%d"),
                    "name": st.column_config.TextColumn("Cluster name"),
                },
            )

_write_url()
