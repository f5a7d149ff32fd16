"""Customer segments: RFM scores and segments, their customer lists (CSV / Excel), and why a customer is where.

Every control is in the link (``URL``): a copied link opens the same scoring, segments and list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import streamlit as st

from lgs_core.analyses import rfm, segment_maps
from lgs_core.analyses.rfm import CustomerRule, FixedCuts, RfmParams
from lgs_core.app import segments as segments_model
from lgs_core.app.filters import (
    cuts_to_query,
    grid_to_query,
    read_choice,
    read_cuts,
    read_day,
    read_grid,
    read_many,
    read_number,
)
from lgs_core.errors import LgsError
from lgs_core.present import charts
from lgs_core.present.display import literal
from lgs_core.present.text import count_text, definition, plain
from pages import _common

# The page's parameters in the link, beside the sidebar's.
URL = (
    "ref",
    "scoring",
    "scores",
    "map",
    "th",
    "cuts",
    "cell",
    "list",
    "segment",
    "within",
    "orders",
    "spend",
    "customer",
)
SCORINGS = {"quantile": "Equal-sized groups", "thresholds": "Thresholds", "fixed": "Cut points"}
MAPS = {"classic10": "classic10", "rfm11": "rfm11", "custom": "Edit the grid"}
LISTS = {"segments": "Segments", "rule": "Customers who…"}
# The rule list's starting limits: bought in the last 30 days, at least 2 orders, any spend.
RULE_DEFAULTS: dict[str, float | None] = {"within": 30, "orders": 2, "spend": None}

view = _common.require_view(url_params=URL)
preset = view.preset
state = st.session_state


def _seeded(key: str, param: str, read: Callable[[Any], tuple[Any, str | None]], default: Any) -> Any:
    return _common.seed(key, param, read, default)


def _number(value: Decimal, dim: str) -> int | float:
    """A cut point as its number input holds it: pounds as a float, days and orders as an int."""
    return float(value) if dim == "monetary" else int(value)


def _read_limit(
    query: Any, *, name: str, whole: bool, top: float, default: float | None
) -> tuple[float | None, str | None]:
    """A list rule's limit from the link: days and orders whole, at least 1 order."""
    return read_number(query, name, 0 if name != "orders" else 1, top, default, whole=whole)


st.title("Customer segments")
st.caption(
    f"{literal(view.label)} — choose who to list under **Customer lists** below, then "
    "download them as CSV or Excel."
)

# --- how to score -------------------------------------------------------------------------------------
with st.expander("How customers are scored", expanded=True, icon=":material/tune:"):
    c1, c2, c3, c4 = st.columns([1, 2, 0.9, 1.6])
    low, high = view.filters.start, view.filters.end + timedelta(days=3660)
    _seeded("seg_ref", "ref", lambda q: read_day(q, "ref", low, high, None), None)
    if state["seg_ref"] is not None and not low <= state["seg_ref"] <= high:
        state["seg_ref"] = min(max(state["seg_ref"], low), high)
    reference = c1.date_input(
        "Reference date",
        key="seg_ref",
        # Without bounds Streamlit offers only the last ten years (before today), not the data's dates.
        min_value=low,
        max_value=high,
        format="DD/MM/YYYY",
        help=f"{plain('reference_date', preset)} Leave it empty for that default.",
    )
    _seeded(
        "seg_scoring", "scoring", lambda q: read_choice(q, "scoring", list(SCORINGS), "quantile"), "quantile"
    )
    scoring = c2.segmented_control(
        "Scoring",
        list(SCORINGS),
        key="seg_scoring",
        required=True,
        format_func=SCORINGS.__getitem__,
        help=f"Equal-sized groups: {plain('quantile_cuts', preset)} Thresholds: {plain('thresholds', preset)} "
        f"Cut points: {plain('fixed_cuts', preset)}",
    )
    _seeded("seg_scores", "scores", lambda q: read_choice(q, "scores", [3, 4, 5], 5), 5)
    scores_picked = c3.segmented_control(
        "Scores per measure",
        [3, 4, 5],
        key="seg_scores",
        required=True,
        help="How many scores recency, frequency and spend each have (5: from 1 to 5). The named maps are "
        "drawn on 5 × 5 scores; on a smaller grid each cell takes the segment of the same place (see the "
        "heat map).",
    )
    _seeded("seg_map", "map", lambda q: read_choice(q, "map", list(MAPS), "classic10"), "classic10")
    map_choice = c4.segmented_control(
        "Segment map",
        list(MAPS),
        key="seg_map",
        required=True,
        format_func=MAPS.__getitem__,
        help=f"classic10: {plain('classic10', preset)} rfm11: {plain('rfm11', preset)} Edit the grid: name "
        "the segment of each cell yourself.",
    )
    scoring = scoring or "quantile"
    scores = int(scores_picked or 5)
    map_choice = map_choice or "classic10"
    for key, param, value, default in (
        ("seg_ref", "ref", reference, None),
        ("seg_scoring", "scoring", scoring, "quantile"),
        ("seg_scores", "scores", scores, 5),
        ("seg_map", "map", map_choice, "classic10"),
    ):
        shown = value.isoformat() if isinstance(value, date) else (None if value is None else str(value))
        _common.remember(key, param, None if value == default else shown)

    def cut_inputs(param: str, suggested: FixedCuts) -> FixedCuts | None:
        """The number inputs of thresholds (``param`` "th") or the analyst's cut points ("cuts"), seeded from
        the link once, written back to it; None when they do not make a scoring (the error is shown)."""
        at_least = param == "th"
        prefix = "th" if at_least else "cut"
        keys = {
            dim: [f"{prefix}_{dim[0]}_{scores}_{i}" for i in range(scores - 1)]
            for dim in ("recency", "frequency", "monetary")
        }
        if any(k not in state for ks in keys.values() for k in ks):
            from_url, notice = (None, None)
            if param in st.query_params:
                from_url, notice = read_cuts(
                    {param: st.query_params[param]}, param, scores, at_least=at_least
                )
                if notice:
                    _common.link_notice(notice)
            saved = state.get(_common.KEY_PAGE_SAVED, {})
            for dim, ks in keys.items():
                for i, k in enumerate(ks):
                    if k in state:
                        continue
                    if from_url is not None:
                        state[k] = _number(getattr(from_url, dim)[i], dim)
                    else:
                        state[k] = saved.get(k, _number(getattr(suggested, dim)[i], dim))
        cr, cf, cm = st.columns(3)
        if at_least:
            cr.markdown("**Last order** (recency score)")
            cf.markdown("**Orders** (frequency score)")
            cm.markdown("**Spend** (spend score)")
            top = scores
            # Top score first: R 5 is the shortest "within", F 5 and M 5 the largest "at least".
            for i in range(scores - 1):
                cr.number_input(
                    f"R {top - i}: last order within … days (≤)", min_value=0, step=1, key=keys["recency"][i]
                )
            cr.caption(
                f"R 1: longer ago. Within {state[keys['recency'][0]]:,} days includes day {state[keys['recency'][0]]:,}."
            )
            for i in reversed(range(scores - 1)):
                cf.number_input(
                    f"F {i + 2}: at least … orders (≥)", min_value=1, step=1, key=keys["frequency"][i]
                )
            cf.caption(
                f"F 1: fewer. At least {state[keys['frequency'][-1]]:,} includes {state[keys['frequency'][-1]]:,}."
            )
            for i in reversed(range(scores - 1)):
                cm.number_input(
                    f"M {i + 2}: spent at least £ … (≥)",
                    min_value=0.0,
                    step=50.0,
                    format="%.2f",
                    key=keys["monetary"][i],
                )
            cm.caption("M 1: less than the lowest amount. Each amount itself is included.")
        else:
            for i, k in enumerate(keys["recency"]):
                cr.number_input(f"Recency cut {i + 1} (days)", min_value=0, step=1, key=k)
            for i, k in enumerate(keys["frequency"]):
                cf.number_input(f"Frequency cut {i + 1} (orders)", min_value=0, step=1, key=k)
            for i, k in enumerate(keys["monetary"]):
                cm.number_input(f"Spend cut {i + 1} (£)", min_value=0.0, step=50.0, format="%.2f", key=k)
            st.caption(
                f"**Cut points**: {plain('fixed_cuts', preset)} Customers with a value above a cut point score "
                "one more."
            )
        try:
            recency, frequency, monetary = (
                tuple(Decimal(format(Decimal(str(state[k])).normalize(), "f")) for k in keys[dim])
                for dim in ("recency", "frequency", "monetary")
            )
            cuts = FixedCuts(recency, frequency, monetary, at_least=at_least)
        except LgsError as exc:  # e.g. thresholds that do not grow: one line, and the link forgets them
            _common.set_param(param, None)
            _common.stop_with(exc)
        for ks in keys.values():
            for k in ks:
                st.session_state.setdefault(_common.KEY_PAGE_SAVED, {})[k] = state[k]
        _common.set_param(param, None if cuts == suggested else cuts_to_query(cuts))
        return cuts

    cuts = None
    if scoring == "thresholds":
        cuts = cut_inputs("th", segment_maps.default_thresholds(scores))
    elif scoring == "fixed":
        cuts = cut_inputs("cuts", segment_maps.default_fixed_cuts(scores))
    for other in ("th", "cuts"):
        if (scoring, other) not in (("thresholds", "th"), ("fixed", "cuts")):
            _common.set_param(other, None)
    grid = None
    if map_choice == "custom":
        base = segment_maps.segment_map_for("classic10", scores, scores).lookup()
        start_key, editor_key = f"seg_grid_start_{scores}", f"grid_{scores}"
        if editor_key not in state or start_key not in state:
            saved_grid = state.get(_common.KEY_PAGE_SAVED, {}).get(start_key)
            if "cell" in st.query_params:
                start, notice = read_grid({"cell": st.query_params.get_all("cell")}, "cell", base)
                if notice:
                    _common.link_notice(notice)
            else:
                start = saved_grid or dict(base)
            state[start_key] = start
        edited = st.data_editor(
            segment_maps.grid_table(rfm.SegmentMap.from_grid(state[start_key], r_bins=scores, x_bins=scores)),
            disabled=["R"],
            hide_index=True,
            placeholder="–",
            width="stretch",
            key=editor_key,
        )
        grid = segment_maps.grid_from_table(edited.to_dicts())
        st.session_state.setdefault(_common.KEY_PAGE_SAVED, {})[start_key] = grid
        _common.set_param("cell", grid_to_query(grid, base) or None)
        st.caption(
            "The recency × frequency grid: type a segment name in any cell (cells with the same name form one "
            "segment). It starts from classic10."
        )
    else:
        _common.set_param("cell", None)
    segment_map = _common.guarded(segment_maps.segment_map_for, map_choice, scores, scores, grid)
    params = _common.guarded(
        RfmParams, preset, reference, "fixed" if cuts is not None else "quantile", scores, cuts, segment_map
    )

result = _common.page_model(segments_model.segments, view.window, params)
if result.is_empty:
    st.info(
        "No customer bought anything in this date range and these countries. Widen the date range, or "
        "clear the countries in the sidebar.",
        icon=":material/search_off:",
    )
    st.stop()

# --- what the segments are ----------------------------------------------------------------------------
c1, c2, c3 = st.columns([1, 1, 2])
c1.metric(
    "Customers scored", count_text(result.customers.height), help=plain("customers", preset), border=True
)
c2.metric("Reference date", result.reference_text, help=plain("reference_date", preset), border=True)
with c3.container(border=True):
    st.markdown(f"**What the scores mean** ({literal(result.segment_map_name)})")
    names = {"recency": "Days since last order", "frequency": "Orders", "monetary": "Spend"}
    letters = {"recency": "R", "frequency": "F", "monetary": "M"}
    st.caption(
        "  \n".join(
            f"**{names[dim]}**: " + " · ".join(f"{letters[dim]} {score}: {text}" for score, text in items)
            for dim, items in result.score_ranges().items()
        )
    )

left, right = st.columns(2)
with left:
    st.vega_lite_chart(charts.rf_heatmap(result.grid), width="stretch")
    st.caption(f"**Heat map**: {plain('rf_grid', preset)}")
with right:
    st.vega_lite_chart(charts.segment_customers(result.summary, result.segment_names), width="stretch")
    st.caption(f"**Customers**: {plain('segment_customers', preset)}")
    st.vega_lite_chart(charts.segment_revenue(result.summary, result.segment_names), width="stretch")
    st.caption(f"**Revenue**: {plain('revenue', preset)}")

st.dataframe(
    result.summary_table(),
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={
        "segment": st.column_config.TextColumn("Segment"),
        "customers": st.column_config.NumberColumn(
            "Customers", format="localized", help=plain("segment_customers", preset)
        ),
        "customer_share": st.column_config.NumberColumn(
            "Share of customers", format="percent", help=plain("customer_share", preset)
        ),
        "revenue": st.column_config.NumberColumn(
            "Revenue (£)", format="£%,.2f", help=plain("revenue", preset)
        ),
        "revenue_share": st.column_config.NumberColumn(
            "Share of revenue", format="percent", help=plain("revenue_share", preset)
        ),
        "mean_recency_days": st.column_config.NumberColumn(
            "Average days since last order", format="%.0f", help=plain("mean_recency_days", preset)
        ),
        "mean_frequency": st.column_config.NumberColumn(
            "Average orders", format="%.1f", help=plain("mean_frequency", preset)
        ),
        "mean_monetary": st.column_config.NumberColumn(
            "Average spend (£)", format="£%,.2f", help=plain("mean_monetary", preset)
        ),
    },
)

# --- customer lists -------------------------------------------------------------------------------------
st.subheader("Customer lists")
_seeded("seg_list", "list", lambda q: read_choice(q, "list", list(LISTS), "segments"), "segments")
mode = st.segmented_control(
    "List",
    list(LISTS),
    key="seg_list",
    required=True,
    format_func=LISTS.__getitem__,
    help="Segments: the customers of one or more segments. Customers who…: a list by your own limits on the "
    "last order, the number of orders and the spend, whatever their segment.",
)
mode = mode or "segments"
_common.remember("seg_list", "list", None if mode == "segments" else mode)
chosen: list[str] | CustomerRule
if mode == "rule":
    for name in ("segment",):
        _common.set_param(name, None)
    r1, r2, r3 = st.columns(3)
    limits: dict[str, Any] = {}
    for column, name, label, whole, top in (
        (r1, "within", "Last order within … days (≤)", True, 10_000),
        (r2, "orders", "At least … orders (≥)", True, 100_000),
        (r3, "spend", "Spent at least £ … (≥)", False, 1e12),
    ):
        rule_default = RULE_DEFAULTS[name]
        key = f"seg_rule_{name}"
        _seeded(
            key,
            name,
            partial(_read_limit, name=name, whole=whole, top=top, default=rule_default),
            rule_default,
        )
        if state[key] is not None:
            state[key] = int(state[key]) if whole else float(state[key])
        limits[name] = column.number_input(
            label,
            min_value=(1 if name == "orders" else 0) if whole else 0.0,
            step=1 if whole else 50.0,
            format=None if whole else "%.2f",
            key=key,
            placeholder="no limit",
            help={
                "within": "Counted back from the reference date; the day itself included. Empty: any time.",
                "orders": "Orders placed in the date range; the number itself included. Empty: any number.",
                "spend": "Spent in the date range, minus cancellations; the amount itself included. Empty: any "
                "amount.",
            }[name],
        )
        value = limits[name]
        text = (
            None
            if value is None
            else (str(int(value)) if whole else format(Decimal(str(value)).normalize(), "f"))
        )
        _common.remember(key, name, None if value == rule_default else (text if text is not None else ""))
    rule = _common.guarded(
        CustomerRule,
        None if limits["within"] is None else int(limits["within"]),
        None if limits["orders"] is None else int(limits["orders"]),
        None if limits["spend"] is None else Decimal(str(limits["spend"])),
    )
    chosen = rule
    st.caption(
        "Customers with a "
        + literal(rule.describe(result.result.reference_date))
        + " (each limit included), in this date range and these countries."
    )
else:
    for name in ("within", "orders", "spend"):
        _common.set_param(name, None)
    options = list(result.segment_names)
    default_segments = result.default_segments()
    if "seg_segments" in state and any(s not in options for s in state["seg_segments"]):
        # another map: keep the segments it shares, else its default (not the link's: that was the old map)
        state["seg_segments"] = [s for s in state["seg_segments"] if s in options] or default_segments
    _seeded(
        "seg_segments",
        "segment",
        lambda q: read_many(q, "segment", options, default_segments),
        default_segments,
    )
    picked = st.multiselect(
        "Segments",
        options,
        key="seg_segments",
        placeholder="Choose one or more segments",
        help="The customers of these segments, for a campaign.",
        filter_mode="contains",
        select_all=False,
    )
    _common.remember("seg_segments", "segment", None if picked == default_segments else (picked or [""]))
    chosen = picked
    if not picked:
        st.info("Choose one or more segments to list their customers.", icon=":material/touch_app:")
        st.stop()

table = result.customer_table(chosen)
name = result.list_name(chosen)
c1, c2, c3, c4 = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
c1.metric(
    f"Customers in {literal(name)}" if mode == "segments" else "Customers on the list",
    count_text(table.height),
    help=None if mode == "segments" else f"Customers with a {literal(name)}.",
)
_common.list_downloads(
    (c2, c3, c4),
    result.file_stem(chosen),
    csv=lambda: segments_model.segment_csv(result, chosen),
    xlsx=lambda: segments_model.segment_xlsx(result, chosen),
    manifest=lambda: segments_model.segment_manifest(result, chosen),
    disabled=table.is_empty(),
    customers=table.height,
)
st.dataframe(
    table,
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={
        "Customer": st.column_config.NumberColumn("Customer", format="%d"),
        "Days since last order": st.column_config.NumberColumn(help=plain("recency_days", preset)),
        "Orders": st.column_config.NumberColumn(format="localized", help=plain("frequency", preset)),
        "Spend (£)": st.column_config.NumberColumn(format="£%,.2f", help=plain("monetary", preset)),
        "Last order": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
        "First order": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
        "Recency score": st.column_config.NumberColumn(help=plain("r", preset)),
        "Frequency score": st.column_config.NumberColumn(help=plain("f", preset)),
        "Spend score": st.column_config.NumberColumn(help=plain("m", preset)),
        "Frequency and spend score": st.column_config.NumberColumn(help=plain("fm", preset)),
        "RFM score": st.column_config.TextColumn(help=plain("rfm", preset)),
    },
)
st.caption(f"Spreadsheet safety: {plain('formula_guard', preset)} {plain('manifest', preset)}")

# --- one customer ---------------------------------------------------------------------------------------
st.subheader("Why is a customer in their segment?")
labels = result.customer_labels(chosen)
ids: list[int | str] = list(labels)
scored = set(result.customers["customer_id"].to_list())


def _read_customer(query: Any) -> tuple[Any, str | None]:
    number, notice = read_number(query, "customer", 0, 99_999_999, None, whole=True)
    if number is not None and int(number) not in scored:
        return (ids[0] if ids else None), f"customer {int(number)} has no purchase in this view: left out"
    return (int(number) if number is not None else (ids[0] if ids else None)), notice


# The customer shown follows the list (its first customer) until the person picks one: a picked customer stays
# while they have a purchase in the view, whatever the list. The list's first, picked by the page, is not kept
# after a filter change (the explanation kept showing the old list's top customer, and the link gained a
# customer= nobody chose, which another path to the same filters did not: two links for one view).
_KEY_SHOWN_FIRST = "_seg_customer_default"
on_screen = state.get("seg_customer")
gone = on_screen not in labels and not (str(on_screen).isdigit() and int(str(on_screen)) in scored)
if on_screen is not None and (on_screen == state.get(_KEY_SHOWN_FIRST) or gone):
    state["seg_customer"] = ids[0] if ids else None  # the list's first customer


def _typed_number() -> None:
    """A number typed in and Enter (the picker's "Add: 12347"): the customer it names, as on the list."""
    typed = state.get("seg_customer")
    if isinstance(typed, str) and typed.strip().isdigit():
        state["seg_customer"] = int(typed.strip())


_seeded("seg_customer", "customer", _read_customer, ids[0] if ids else None)
if state["seg_customer"] is not None and state["seg_customer"] not in ids:
    ids.append(state["seg_customer"])  # a customer from the link or typed in, not on the list
# "prefix": each label starts with the customer's number, so typing 12347 finds 12347 alone (the fuzzy match
# ranked "15923 · … · £2,347.23" first); any other customer's number can be typed in and Enter (new option).
customer = st.selectbox(
    "Customer",
    ids,
    key="seg_customer",
    format_func=lambda c: (
        labels.get(c) or result.customer_label(int(c)) or str(c) if str(c).isdigit() else str(c)
    ),
    filter_mode="prefix",
    accept_new_options=True,
    on_change=_typed_number,
    placeholder="Type a customer number",
    help="The list's customers, biggest spender first; type any customer's number and press Enter.",
)
first_id = next(iter(labels), None)
state[_KEY_SHOWN_FIRST] = first_id
_common.remember("seg_customer", "customer", None if customer in (None, first_id) else str(customer))
if customer is not None and (not str(customer).isdigit() or int(customer) not in scored):
    st.info(
        f"No customer numbered {literal(str(customer))} bought anything in this date range "
        "and these countries.",
        icon=":material/search_off:",
    )
elif customer is not None:
    st.markdown("\n".join(f"- {literal(line)}" for line in result.explain_plain(int(customer))))
    invoices = _common.page_model(segments_model.customer_invoices, view.window, int(customer), spinner=None)
    st.dataframe(
        invoices.select("invoice_date", "invoice", "amount", "kind", "lines", "items", "country").rename(
            {
                "invoice_date": "Date",
                "invoice": "Invoice",
                "amount": "Amount (£)",
                "kind": "Kind",
                "lines": "Lines",
                "items": "Items",
                "country": "Country",
            }
        ),
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config={
            "Date": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
            "Amount (£)": st.column_config.NumberColumn(format="£%,.2f"),
            "Lines": st.column_config.NumberColumn(format="localized"),
            "Items": st.column_config.NumberColumn(format="localized"),
        },
    )
    st.caption(f"The customer's invoices in the date range. **Orders**: {plain('frequency', preset)}")
    with st.expander("The scoring in detail", icon=":material/calculate:"):
        st.markdown("\n".join(f"- {literal(line)}" for line in result.explain(int(customer))))

_common.definitions_expander(
    (
        "reference_date",
        "customers",
        "recency_days",
        "frequency",
        "monetary",
        "r",
        "f",
        "m",
        "fm",
        "rfm",
        "score_rule",
        "quantile_cuts",
        "fixed_cuts",
        "collapsed_bins",
        "segment",
        "classic10",
        "rfm11",
        "revenue",
        "formula_guard",
        "manifest",
    ),
    preset,
    extra=(("cut_points", " · ".join(result.cut_point_lines()) + f" — {definition('score_rule', preset)}"),),
)
