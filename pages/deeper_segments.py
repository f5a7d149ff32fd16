"""Deeper segments (issue #9): cohort retention, segment migration, customer lifetime value, product affinity.

Layout only: each tab gets its data through one call of its page model (lgs_core.app.deeper_segments), only when
the tab is open, through pages/_common (cached on the store's path, its data key and the parameters). The slow
ones (cohort retention, the lifetime-value fits, affinity) run beside the page (``_common.beside_model``): the page
draws at once, saying what is being computed, and draws the result when it is there (issue #14).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from lgs_core.analyses import affinity, clv, cohorts, export, migration
from lgs_core.analyses.rfm import RfmParams
from lgs_core.app import deeper_segments as deeper_model
from lgs_core.app.filters import read_choice, read_day, read_flag, read_number
from lgs_core.present import segment_charts
from lgs_core.present import text as app_text
from lgs_core.present.display import literal
from lgs_core.present.text import count_text, money_text
from lgs_core.query.window import Window
from pages import _common

T = TypeVar("T")


def _downloads(
    what: str, table: pl.DataFrame, manifest: Callable[[], dict[str, Any]], key: str, names: dict[str, str]
) -> None:
    """CSV, Excel (with a manifest sheet) and the CSV's manifest of ``table``, built only when clicked; the
    files' headers in words (``names``), the manifest with the keys; the name says what, where and when."""
    labels = app_text.column_labels(table.columns, names)
    _common.list_downloads(
        tuple(st.columns(3)),  # type: ignore[arg-type]
        export.file_stem(what, window),
        csv=lambda: export.segment_export_csv(table, manifest(), labels=labels)[0],
        xlsx=lambda: export.segment_export_xlsx(table, manifest(), sheet="list", labels=labels),
        manifest=lambda: export.segment_export_csv(table, manifest(), labels=labels)[1],
        disabled=table.is_empty(),
        key=key,
        customers=table.height,
    )


def _shown(table: pl.DataFrame, columns: list[str], names: dict[str, str]) -> pl.DataFrame:
    """The columns a person reads first, headers in words (the download keeps every column)."""
    return app_text.words(table.select([c for c in columns if c in table.columns]), names)


def _read_listed(query: Any, *, name: str, choices: list[str]) -> tuple[str, str | None]:
    """One of ``choices`` from the link's ``name``, else the first."""
    return read_choice(query, name, choices, choices[0])


def _control(key: str, param: str, read: Callable[[Any], tuple[Any, str | None]], default: Any) -> None:
    """Seed a control from the link (``param``) before it is drawn (see ``_common.seed``)."""
    _common.seed(key, param, read, default)


URL = (
    "tab",
    "measure",
    "cohort",
    "first",
    "second",
    "mig_map",
    "lapsed",
    "moved_from",
    "moved_to",
    "horizon",
    "holdout",
    "aff_map",
    "aff_segment",
    "support",
)
TABS = ["Cohort retention", "Segment migration", "Lifetime value", "Product affinity"]
TAB_PARAMS = {
    "Cohort retention": ("measure", "cohort"),
    "Segment migration": ("first", "second", "mig_map", "lapsed", "moved_from", "moved_to"),
    "Lifetime value": ("horizon", "holdout"),
    "Product affinity": ("aff_map", "aff_segment", "support"),
}
D = app_text.DEEPER_TERMS

view = _common.require_view(url_params=URL)
window, preset = view.window, view.preset
state = st.session_state
st.title("Deeper segments")
st.caption(literal(view.label))

_control("deeper_tab", "tab", lambda q: read_choice(q, "tab", TABS, TABS[0]), TABS[0])
tab_cohorts, tab_migration, tab_value, tab_affinity = st.tabs(TABS, key="deeper_tab", on_change="rerun")
opened = state.get("deeper_tab") or TABS[0]
_common.remember("deeper_tab", "tab", None if opened == TABS[0] else opened)
for label, params in TAB_PARAMS.items():  # another tab's controls leave the link
    if label != opened:
        for name in params:
            _common.set_param(name, None)

# --- cohort retention --------------------------------------------------------------------------------------
with tab_cohorts:
    if tab_cohorts.open:
        result = _common.beside_model(
            "Following each cohort's customers month by month…", deeper_model.cohort_retention, window, preset
        )
        if result is not None and result.is_empty:
            st.info(
                "No customer's first purchase falls in this date range and these countries.",
                icon=":material/search_off:",
            )
        elif result is not None:
            c1, c2, c3 = st.columns([1, 1, 2])
            c1.metric(
                "Customers in cohorts",
                count_text(result.cohort_customers),
                help="Customers whose first order falls in the date range, grouped by that month.",
            )
            c2.metric(
                "Bought before the range",
                count_text(result.earlier_customers),
                help="Customers with an order in the date range whose first order came before it.",
            )
            measures = list(cohorts.MEASURES)
            _control(
                "cohort_measure",
                "measure",
                lambda q: read_choice(q, "measure", measures, "active_share"),
                "active_share",
            )
            measure = c3.segmented_control(
                "Colour by",
                measures,
                key="cohort_measure",
                required=True,
                format_func=lambda m: {
                    "active_share": "Share of the cohort buying",
                    "active_customers": "Customers buying",
                    "revenue": "Revenue (£)",
                }[m],
                help="Share: of the customers who first bought in a month, how many bought again each month "
                "after. Revenue: what they spent each month.",
            )
            chosen_measure = measure or "active_share"
            _common.remember(
                "cohort_measure", "measure", None if chosen_measure == "active_share" else chosen_measure
            )
            st.vega_lite_chart(segment_charts.retention_heatmap(result, chosen_measure), width="stretch")
            st.caption(
                "Each row: the customers who first bought in that month; each column: months after it (0: the "
                "month of the first order). Faded cells: months the date range cuts short."
            )
            with st.expander("The triangle as a table", icon=":material/table:"):
                st.dataframe(
                    result.triangle(chosen_measure),
                    hide_index=True,
                    width="stretch",
                    placeholder="–",
                    column_config={
                        "cohort_month": st.column_config.DateColumn("Cohort", format="YYYY-MM"),
                        "customers": st.column_config.NumberColumn("Customers", format="localized"),
                    },
                )
            st.subheader("Customers of a cohort")
            months = result.cohorts()["cohort_month"].to_list()
            options: list[date | None] = [*months, None]
            by_text = {("earlier" if m is None else f"{m:%Y-%m}"): m for m in options}
            newest = months[-1] if months else None

            def _read_cohort(query: Any) -> tuple[Any, str | None]:
                text, notice = read_choice(
                    query, "cohort", list(by_text), "earlier" if newest is None else f"{newest:%Y-%m}"
                )
                return by_text[text], notice

            if "cohort_pick" in state and state["cohort_pick"] not in options:
                state["cohort_pick"] = newest
            _control("cohort_pick", "cohort", _read_cohort, newest)
            picked = st.selectbox(
                "Cohort",
                options,
                key="cohort_pick",
                format_func=lambda m: "Bought before the range" if m is None else f"{m:%B %Y}",
            )
            name = "earlier" if picked is None else f"{picked:%Y-%m}"
            _common.remember("cohort_pick", "cohort", None if picked == newest else name)
            table = result.customers_of(picked)
            _downloads(
                f"cohort {name}",
                table,
                partial(result.manifest, table, f"cohort customers ({name})", {"cohort": name}),
                "cohort",
                D,
            )
            st.dataframe(
                _shown(table, ["customer_id", "first_purchase", "cohort_month", "purchases", "revenue"], D),
                hide_index=True,
                width="stretch",
                placeholder="–",
                column_config={
                    "Customer": st.column_config.NumberColumn(format="%d"),
                    "First order": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
                    D["cohort_month"]: st.column_config.DateColumn(format="YYYY-MM"),
                    D["purchases"]: st.column_config.NumberColumn(format="localized"),
                    D["revenue"]: st.column_config.NumberColumn(format="£%,.2f"),
                },
            )
        with st.expander("Definitions and formulas", icon=":material/menu_book:"):
            st.markdown(
                "\n".join(f"- **{k.replace('_', ' ')}**: {v}" for k, v in cohorts.DEFINITIONS.items())
            )

# --- segment migration -------------------------------------------------------------------------------------
with tab_migration:
    if tab_migration.open:
        dates = _common.tab_model(deeper_model.reference_dates, window, spinner=None)
        if dates is not None:
            earliest, latest = dates
            c1, c2, c3, c4 = st.columns(4)
            low, high = (window.start or earliest), (window.end or latest) + timedelta(days=1)
            _control("mig_from", "first", lambda q: read_day(q, "first", low, high, earliest), earliest)
            first = c1.date_input(
                "First date",
                key="mig_from",
                min_value=low,
                max_value=high,
                format="DD/MM/YYYY",
                help="The segments are worked out twice, as they stood on each date (the same scoring); the "
                "bands show who moved from one to the other.",
            )
            _control("mig_to", "second", lambda q: read_day(q, "second", low, high, latest), latest)
            second = c2.date_input(
                "Second date",
                key="mig_to",
                min_value=low,
                max_value=high,
                format="DD/MM/YYYY",
                help="The later date: where they are now.",
            )
            _control(
                "mig_map",
                "mig_map",
                lambda q: read_choice(q, "mig_map", ["classic10", "rfm11"], "classic10"),
                "classic10",
            )
            map_name = c3.segmented_control(
                "Segment map", ["classic10", "rfm11"], key="mig_map", required=True
            )
            _control("mig_lapsed", "lapsed", lambda q: read_flag(q, "lapsed", True), True)
            lapsed = c4.toggle(
                "Lapsed as its own column",
                key="mig_lapsed",
                help="Lapsed: a customer at the first date who has not bought again by the second. Off: they "
                "keep the segment they have at the second date.",
            )
            for key, param, value, default in (
                ("mig_from", "first", first, dates[0]),
                ("mig_to", "second", second, dates[1]),
                ("mig_map", "mig_map", map_name, "classic10"),
                ("mig_lapsed", "lapsed", lapsed, True),
            ):
                text = (
                    value.isoformat()
                    if isinstance(value, date)
                    else ("1" if value is True else "0" if value is False else value)
                )
                _common.remember(key, param, None if value == default else text)
            mig_params = RfmParams(preset=preset, segment_map=map_name or "classic10")
            segment_moves = _common.tab_model(
                deeper_model.segment_migration,
                window,
                first,
                second,
                mig_params,
                lapsed,
                spinner="Computing…",
            )
            if segment_moves is not None:
                m1, m2, m3, m4 = st.columns(4)
                m1.metric(f"Customers at {first:%d %b %Y}", count_text(segment_moves.from_customers))
                m2.metric(f"Customers at {second:%d %b %Y}", count_text(segment_moves.to_customers))
                m3.metric(
                    "New",
                    count_text(segment_moves.new_customers),
                    help="Customers at the second date who were not customers at the first.",
                )
                m4.metric(
                    "Lapsed",
                    count_text(segment_moves.lapsed_customers),
                    help="Customers at the first date who had not bought again by the second.",
                )
                st.vega_lite_chart(segment_charts.flow_chart(segment_moves), width="stretch")
                st.caption(
                    "Each band: the customers who moved from a segment at the first date (left) to one at the "
                    "second (right). Hover a band for its share of the left segment."
                )
                with st.expander("Who moved where, as a table (customers)", icon=":material/table:"):
                    matrix = segment_moves.matrix()
                    st.dataframe(
                        matrix.rename({"from_state": "From ↓ · to →", "total": "Total"}),
                        hide_index=True,
                        width="stretch",
                        placeholder="–",
                    )
                st.subheader("Who moved")
                c1, c2 = st.columns(2)
                froms, tos = list(segment_moves.from_states), list(segment_moves.to_states)
                for key, param, choices in (
                    ("mig_cell_from", "moved_from", froms),
                    ("mig_cell_to", "moved_to", tos),
                ):
                    if key in state and state[key] not in choices:
                        state[key] = choices[0]
                    _control(key, param, partial(_read_listed, name=param, choices=choices), choices[0])
                from_state = c1.selectbox(
                    "From",
                    froms,
                    key="mig_cell_from",
                    help="The segment at the first date (New: not a customer yet).",
                )
                to_state = c2.selectbox(
                    "To",
                    tos,
                    key="mig_cell_to",
                    help="The segment at the second date (Lapsed: no order since).",
                )
                _common.remember(
                    "mig_cell_from", "moved_from", None if from_state == froms[0] else from_state
                )
                _common.remember("mig_cell_to", "moved_to", None if to_state == tos[0] else to_state)
                table = segment_moves.cell(from_state, to_state)
                st.metric(f"{from_state} → {to_state}", count_text(table.height))
                _downloads(
                    f"moved {from_state} to {to_state} {first:%Y%m%d}-{second:%Y%m%d}",
                    table,
                    partial(
                        segment_moves.manifest,
                        table,
                        f"migration customers ({from_state} → {to_state})",
                        {"from_state": [from_state], "to_state": [to_state]},
                    ),
                    "migration",
                    D,
                )
                st.dataframe(
                    _shown(
                        table,
                        [
                            "customer_id",
                            "country",
                            "from_segment",
                            "to_segment",
                            "from_frequency",
                            "to_frequency",
                            "from_monetary",
                            "to_monetary",
                            "last_purchase",
                        ],
                        D,
                    ),
                    hide_index=True,
                    width="stretch",
                    placeholder="–",
                    column_config={
                        "Customer": st.column_config.NumberColumn(format="%d"),
                        D["from_monetary"]: st.column_config.NumberColumn(format="£%,.2f"),
                        D["to_monetary"]: st.column_config.NumberColumn(format="£%,.2f"),
                        "Last order": st.column_config.DatetimeColumn(format="DD/MM/YYYY"),
                    },
                )
        with st.expander("Definitions and formulas", icon=":material/menu_book:"):
            st.markdown(
                "\n".join(f"- **{k.replace('_', ' ')}**: {v}" for k, v in migration.DEFINITIONS.items())
            )


@st.fragment
def _value_table(value: clv.CustomerValue) -> None:
    """The horizon control and the customer list it orders: a fragment, so a new horizon reruns only this."""
    st.subheader("Customers by expected spend")
    horizons = list(value.horizons)
    _control(
        "clv_h",
        "horizon",
        lambda q: read_choice(q, "horizon", horizons, max(horizons)),
        max(horizons),
    )
    horizon = st.segmented_control(
        "Horizon", horizons, key="clv_h", required=True, format_func=lambda h: f"Next {h} days"
    )
    chosen_h = horizon or max(horizons)
    _common.remember("clv_h", "horizon", None if chosen_h == max(horizons) else str(chosen_h))
    table = value.by_spend(chosen_h)
    names = app_text.clv_terms(horizons)
    _downloads(
        f"lifetime value {value.reference_date:%Y-%m-%d}",
        table,
        partial(value.manifest, table, "customer lifetime value"),
        "clv",
        names,
    )
    spend, purchases = clv.spend_column(chosen_h), clv.expected_column(chosen_h)
    st.dataframe(
        _shown(
            table,
            [
                "customer_id",
                "country",
                spend,
                "p_alive",
                purchases,
                "total_spend",
                "purchase_days",
                "last_purchase",
                "first_purchase",
                "mean_repeat_spend",
                "expected_value",
            ],
            names,
        ),
        hide_index=True,
        width="stretch",
        placeholder="–",
        column_config={
            "Customer": st.column_config.NumberColumn(format="%d"),
            names[spend]: st.column_config.NumberColumn(
                format="£%,.2f", help="Expected order days × the expected value of one, in pounds."
            ),
            "Chance still active": st.column_config.ProgressColumn(
                min_value=0.0,
                max_value=1.0,
                format="percent",
                help="How likely the customer still buys from the shop (has not drifted away).",
            ),
            names[purchases]: st.column_config.NumberColumn(
                format="%.2f", help="Days with an order expected in the period."
            ),
            "Total spend (£)": st.column_config.NumberColumn(format="£%,.2f"),
            "Days with an order": st.column_config.NumberColumn(
                help="Several orders on one day count as one."
            ),
            "Last order": st.column_config.DateColumn(format="DD/MM/YYYY"),
            "First order": st.column_config.DateColumn(format="DD/MM/YYYY"),
            "Average repeat order day (£)": st.column_config.NumberColumn(format="£%,.2f"),
            "Expected value of an order day (£)": st.column_config.NumberColumn(format="£%,.2f"),
        },
    )


@st.fragment
def _calibration_check(window: Window, preset: str) -> None:
    """The months held out and the refit they need: a fragment, so the slider reruns only this part."""
    st.subheader("Does the model predict well?")
    _control("clv_holdout", "holdout", lambda q: read_number(q, "holdout", 1, 12, 6, whole=True), 6)
    state["clv_holdout"] = int(state["clv_holdout"])
    months = st.slider(
        "Months held out",
        1,
        12,
        key="clv_holdout",
        help="The model is fitted without the last months of the date range, and its predictions for "
        "them are compared with what customers really did.",
    )
    _common.remember("clv_holdout", "holdout", None if months == 6 else str(months))
    cal = _common.beside_model(
        "Holding out the last months and refitting…", deeper_model.calibration, window, preset, months
    )
    if cal is not None:
        st.vega_lite_chart(segment_charts.calibration_chart(cal), width="stretch")
        st.caption(
            "Customers in ten groups by predicted orders (10: the most expected): predicted against "
            "actual, on months the model did not see."
        )
        st.dataframe(
            app_text.words(cal.deciles, D),
            hide_index=True,
            width="stretch",
            placeholder="–",
            column_config={
                D[c]: st.column_config.NumberColumn(format="%.2f")
                for c in ("predicted_mean", "actual_mean", "predicted_total")
            },
        )


# --- customer lifetime value -------------------------------------------------------------------------------
with tab_value:
    if tab_value.open:
        # The calibration below refits on the same window: start it now, beside the main fit, not after it.
        _common.start_beside(
            deeper_model.calibration, window, preset, int(st.session_state.get("clv_holdout", 6))
        )
        customer_value = _common.beside_model(
            "Predicting each customer's future spend…", deeper_model.customer_value, window, preset
        )
        if customer_value is not None:
            st.caption(
                f"What each customer is likely to spend, predicted from {customer_value.reference_date:%d %b %Y}, the day "
                "after the date range, from how often and how much they have bought so far."
            )
            totals = customer_value.totals()
            columns = st.columns(len(customer_value.horizons))
            for column, row in zip(columns, totals.iter_rows(named=True), strict=True):
                column.metric(
                    f"Expected spend, next {row['horizon_days']} days",
                    money_text(row["expected_spend"]),
                    help=f"All customers together, before cancellations. About {row['expected_purchases']:,.0f} "
                    "days with an order are expected.",
                    border=True,
                )
            with st.expander("The models behind the predictions (statistics)", icon=":material/functions:"):
                bg, gg = customer_value.bg_nbd, customer_value.gamma_gamma
                st.markdown(
                    f"- **BG/NBD** ({bg.customers:,} customers, time in days): r = {bg.r:.4f}, α = {bg.alpha:.4f}, "
                    f"a = {bg.a:.4f}, b = {bg.b:.4f}; log-likelihood {bg.log_likelihood:,.1f}\n"
                    f"- **Gamma-Gamma** ({gg.customers:,} repeat buyers): p = {gg.p:.4f}, q = {gg.q:.4f}, "
                    f"γ = £{gg.gamma:,.2f}; mean value per purchase day {money_text(gg.population_mean, pence=True)}\n"
                    f"- Correlation of repeat purchases with mean repeat value: "
                    f"{customer_value.spend_frequency_correlation if customer_value.spend_frequency_correlation is not None else float('nan'):.2f}"
                    " (Gamma-Gamma assumes none; docs/SEGMENTATION.md)\n"
                    + "\n".join(f"- **{k.replace('_', ' ')}**: {v}" for k, v in clv.DEFINITIONS.items())
                )
            _value_table(customer_value)
            _calibration_check(window, preset)

# --- product affinity --------------------------------------------------------------------------------------
with tab_affinity:
    if tab_affinity.open:
        c1, c2, c3 = st.columns([1, 2, 1])
        _control(
            "aff_map",
            "aff_map",
            lambda q: read_choice(q, "aff_map", ["classic10", "rfm11"], "classic10"),
            "classic10",
        )
        map_name = c1.segmented_control("Segment map", ["classic10", "rfm11"], key="aff_map", required=True)
        _common.remember("aff_map", "aff_map", None if map_name in (None, "classic10") else map_name)
        aff_params = RfmParams(preset=preset, segment_map=map_name or "classic10")
        names_ = list(aff_params.segments.segments)
        if "aff_seg" in state and state["aff_seg"] not in names_:
            state["aff_seg"] = names_[-1]
        _control(
            "aff_seg", "aff_segment", lambda q: read_choice(q, "aff_segment", names_, names_[-1]), names_[-1]
        )
        segment = c2.selectbox("Segment", names_, key="aff_seg")
        _common.remember("aff_seg", "aff_segment", None if segment == names_[-1] else segment)
        _control("aff_support", "support", lambda q: read_number(q, "support", 0.0, 100.0, 1.0), 1.0)
        state["aff_support"] = float(state["aff_support"])
        support = c3.number_input(
            "Pairs on at least … % of orders",
            min_value=0.0,
            max_value=100.0,
            step=0.5,
            key="aff_support",
            help="A pair of products is listed when at least this share of the segment's orders hold both.",
        )
        _common.remember("aff_support", "support", None if support == 1.0 else f"{support:g}")
        aff_options = affinity.AffinityOptions(min_support=support / 100)
        segment_affinity = _common.beside_model(
            f"Counting what {segment} buy, and which products they buy together…",
            deeper_model.product_affinity,
            window,
            segment,
            aff_params,
            aff_options,
        )
        if segment_affinity is not None and segment_affinity.is_empty:
            st.info(
                f"No customer is in {literal(segment)} in this date range and these countries.",
                icon=":material/search_off:",
            )
        elif segment_affinity is not None:
            m1, m2, m3 = st.columns(3)
            m1.metric(
                f"Customers in {segment_affinity.segment}", count_text(segment_affinity.segment_customers)
            )
            m2.metric(
                "Their orders",
                count_text(segment_affinity.segment_invoices),
                help="Orders (not cancellations) by the segment's customers in the date range.",
            )
            m3.metric(
                "A pair needs",
                f"{segment_affinity.min_invoices:,} orders",
                help="How many of the segment's orders must hold both products for a pair to be listed.",
            )
            st.vega_lite_chart(segment_charts.products_chart(segment_affinity), width="stretch")
            st.caption(
                "**Reach**: the share of the segment's customers who bought the product. **Lift**: that share "
                "against all customers' (above 1: the segment favours it)."
            )
            _downloads(
                f"affinity products {segment_affinity.segment}",
                segment_affinity.products,
                partial(
                    segment_affinity.manifest,
                    segment_affinity.products,
                    f"affinity products ({segment_affinity.segment})",
                ),
                "aff_products",
                D,
            )
            st.dataframe(
                app_text.words(segment_affinity.products, D),
                hide_index=True,
                width="stretch",
                placeholder="–",
                column_config={
                    D["reach"]: st.column_config.NumberColumn(format="percent"),
                    D["base_reach"]: st.column_config.NumberColumn(format="percent"),
                    D["lift"]: st.column_config.NumberColumn(
                        format="%.2f", help="Reach ÷ the reach among all customers."
                    ),
                    D["segment_customers"]: st.column_config.NumberColumn(format="localized"),
                    D["all_customers"]: st.column_config.NumberColumn(format="localized"),
                    D["segment_invoices"]: st.column_config.NumberColumn(format="localized"),
                    D["segment_revenue"]: st.column_config.NumberColumn(format="£%,.2f"),
                },
            )
            st.subheader("Bought together")
            pairs = deeper_model.pairs_once(segment_affinity.pairs)
            if pairs.is_empty():
                st.info(
                    f"No two products share {segment_affinity.min_invoices:,} of the segment's orders: lower the share "
                    "of orders above.",
                    icon=":material/search_off:",
                )
            else:
                st.caption(
                    "Each pair once. The two shares say how often one product comes with the other: of the "
                    "orders with A, the share that also have B, and the other way round."
                )
                _downloads(
                    f"affinity pairs {segment_affinity.segment}",
                    pairs,
                    partial(segment_affinity.manifest, pairs, f"affinity pairs ({segment_affinity.segment})"),
                    "aff_pairs",
                    D,
                )
                st.dataframe(
                    app_text.words(pairs, D),
                    hide_index=True,
                    width="stretch",
                    placeholder="–",
                    column_config={
                        D["support"]: st.column_config.NumberColumn(format="percent"),
                        D["a_with_b"]: st.column_config.NumberColumn(format="percent"),
                        D["b_with_a"]: st.column_config.NumberColumn(format="percent"),
                        D["invoices_both"]: st.column_config.NumberColumn(format="localized"),
                        D["lift"]: st.column_config.NumberColumn(
                            format="%.2f", help="Above 1: the two go together more often than by chance."
                        ),
                    },
                )
        with st.expander("Definitions and formulas", icon=":material/menu_book:"):
            st.markdown(
                "\n".join(f"- **{k.replace('_', ' ')}**: {v}" for k, v in affinity.DEFINITIONS.items())
            )
