"""Deeper segments (issue #9): cohort retention, segment migration, customer lifetime value, product affinity.

Layout only: every figure comes from lgs_core.cohorts / migration / clv / affinity (tested there); each tab runs
only when it is open, and each computation is cached on the store's path, its data key and the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from lgs_core import affinity, clv, cohorts, export, migration, store
from lgs_core.display import literal
from lgs_core.rfm import RfmParams
from lgs_core.views import count_text, money_text
from lgs_core.window import Window
from pages import _common

T = TypeVar("T")
_SPINNER = "Computing…"


def _with_store(path: str, work: Callable[[Any], T]) -> T:
    con = store.connect(path)  # one connection per call, closed after (never shared across sessions)
    try:
        return work(con)
    finally:
        con.close()


@st.cache_data(show_spinner=_SPINNER, max_entries=16)
def _cohorts(path: str, key: str, window: Window, preset: str) -> cohorts.CohortRetention:
    return _with_store(path, lambda con: cohorts.cohort_retention(con, window, preset))


@st.cache_data(show_spinner=False, max_entries=16)
def _reference_dates(path: str, key: str, window: Window) -> tuple[date, date]:
    return _with_store(path, lambda con: migration.default_reference_dates(con, window))


@st.cache_data(show_spinner=_SPINNER, max_entries=16)
def _migration(
    path: str, key: str, window: Window, first: date, second: date, params: RfmParams, lapsed: bool
) -> migration.Migration:
    return _with_store(
        path, lambda con: migration.migration(con, window, first, second, params, lapsed_as_state=lapsed)
    )


@st.cache_data(show_spinner="Fitting BG/NBD and Gamma-Gamma…", max_entries=16)
def _customer_value(path: str, key: str, window: Window, preset: str) -> clv.CustomerValue:
    return _with_store(path, lambda con: clv.customer_value(con, window, preset=preset))


@st.cache_data(show_spinner="Holding out the last months and refitting…", max_entries=16)
def _calibration(path: str, key: str, window: Window, preset: str, months: int) -> clv.Calibration:
    return _with_store(path, lambda con: clv.calibrate(con, window, holdout_months=months, preset=preset))


@st.cache_data(show_spinner=_SPINNER, max_entries=32)
def _affinity(
    path: str, key: str, window: Window, segment: str, params: RfmParams, options: affinity.AffinityOptions
) -> affinity.Affinity:
    return _with_store(path, lambda con: affinity.affinity(con, window, segment, params, options))


def _compute(fn: Callable[..., T], *args: Any) -> T | None:
    """``fn(path, key, *args)``, or None after showing the one-line message of an LgsError."""
    try:
        return fn(str(_common.db_path()), _common.data_key(), *args)
    except Exception as exc:  # an LgsError, or a damaged block met by a query (else raised again)
        _common.show_failure(exc)
        return None


def _downloads(stem: str, table: pl.DataFrame, manifest: Callable[[], dict[str, Any]], key: str) -> None:
    """CSV, Excel (with a manifest sheet) and the CSV's manifest of ``table``, built only when clicked."""
    _common.list_downloads(
        tuple(st.columns(3)),  # type: ignore[arg-type]
        stem,
        csv=lambda: export.segment_export_csv(table, manifest())[0],
        xlsx=lambda: export.segment_export_xlsx(table, manifest(), sheet="list"),
        manifest=lambda: export.segment_export_csv(table, manifest())[1],
        disabled=table.is_empty(),
        key=key,
        customers=table.height,
    )


view = _common.require_view()
window, preset = view.window, view.preset
st.title("Deeper segments")
st.caption(literal(view.label))  # its countries come from the data

tab_cohorts, tab_migration, tab_value, tab_affinity = st.tabs(
    ["Cohort retention", "Segment migration", "Lifetime value", "Product affinity"],
    key="deeper_tab",
    on_change="rerun",
)

# --- cohort retention --------------------------------------------------------------------------------------
with tab_cohorts:
    if tab_cohorts.open:
        defs = cohorts.DEFINITIONS
        result = _compute(_cohorts, window, preset)
        if result is not None and result.is_empty:
            st.info("No customer's first purchase falls in this date range and these countries.", icon="🔎")
        elif result is not None:
            c1, c2, c3 = st.columns([1, 1, 2])
            c1.metric(
                "Customers in cohorts", count_text(result.cohort_customers), help=defs["cohort_customers"]
            )
            c2.metric(
                "Bought before the range",
                count_text(result.earlier_customers),
                help=defs["earlier_customers"],
            )
            measure = c3.segmented_control(
                "Colour by",
                list(cohorts.MEASURES),
                default="active_share",
                required=True,
                format_func=lambda m: {
                    "active_share": "Share of the cohort buying",
                    "active_customers": "Customers buying",
                    "revenue": "Revenue (£)",
                }[m],
                help=f"{defs['active_share']} {defs['cohort_revenue']}",
                key="cohort_measure",
            )
            chosen_measure = measure or "active_share"
            st.altair_chart(result.heatmap(chosen_measure), width="stretch")
            st.caption(
                f"**Cohort**: {defs['cohort_month']} **Months since**: {defs['months_since']} "
                "Faded cells: months the date range cuts short."
            )
            with st.expander("The triangle as a table", icon="🔢"):
                st.dataframe(
                    result.triangle(chosen_measure),
                    hide_index=True,
                    width="stretch",
                    column_config={"cohort_month": st.column_config.DateColumn("Cohort", format="YYYY-MM")},
                )
            st.subheader("Customers of a cohort")
            months = result.cohorts()["cohort_month"].to_list()
            options: list[date | None] = [*months, None]
            picked = st.selectbox(
                "Cohort",
                options,
                index=len(months) - 1 if months else 0,
                format_func=lambda m: "Bought before the range" if m is None else f"{m:%B %Y}",
                key="cohort_pick",
            )
            table = result.customers_of(picked)
            name = "earlier" if picked is None else f"{picked:%Y-%m}"
            _downloads(
                f"lgs_cohort_{name}",
                table,
                partial(result.manifest, table, f"cohort customers ({name})", {"cohort": name}),
                "cohort",
            )
            st.dataframe(
                table,
                hide_index=True,
                width="stretch",
                column_config={
                    "customer_id": st.column_config.NumberColumn("Customer", format="%d"),
                    "first_purchase": st.column_config.DatetimeColumn(
                        "First purchase", format="DD/MM/YYYY HH:mm"
                    ),
                    "cohort_month": st.column_config.DateColumn("Cohort", format="YYYY-MM"),
                    "purchases": st.column_config.NumberColumn("Invoices in the range", format="%d"),
                    "revenue": st.column_config.NumberColumn("Revenue in the range (£)", format="£%.2f"),
                },
            )

# --- segment migration -------------------------------------------------------------------------------------
with tab_migration:
    if tab_migration.open:
        defs = migration.DEFINITIONS
        dates = _compute(_reference_dates, window)
        if dates is not None:
            c1, c2, c3, c4 = st.columns(4)
            first = c1.date_input(
                "First reference date",
                value=dates[0],
                format="DD/MM/YYYY",
                key="mig_from",
                help=defs["reference_dates"],
            )
            second = c2.date_input(
                "Second reference date",
                value=dates[1],
                format="DD/MM/YYYY",
                key="mig_to",
                help=defs["reference_dates"],
            )
            map_name = c3.segmented_control(
                "Segment map", ["classic10", "rfm11"], default="classic10", required=True, key="mig_map"
            )
            lapsed = c4.toggle("Lapsed as its own column", value=True, key="mig_lapsed", help=defs["lapsed"])
            params = RfmParams(preset=preset, segment_map=map_name or "classic10")
            result = _compute(_migration, window, first, second, params, lapsed)
            if result is not None:
                m1, m2, m3, m4 = st.columns(4)
                m1.metric(f"Customers at {first:%d %b %Y}", count_text(result.from_customers))
                m2.metric(f"Customers at {second:%d %b %Y}", count_text(result.to_customers))
                m3.metric("New", count_text(result.new_customers), help=defs["new"])
                m4.metric("Lapsed", count_text(result.lapsed_customers), help=defs["lapsed"])
                st.altair_chart(result.flow_chart(), width="stretch")
                st.caption(
                    f"**Bands**: {defs['transition_customers']} {defs['new']} {defs['lapsed']} "
                    "Hover a band for its share of the left state."
                )
                with st.expander("The transition matrix (customers)", icon="🔢"):
                    st.dataframe(result.matrix(), hide_index=True, width="stretch")
                st.subheader("Who moved")
                c1, c2 = st.columns(2)
                from_state = c1.selectbox(
                    "From", result.from_states, key="mig_cell_from", help=defs["from_state"]
                )
                to_state = c2.selectbox("To", result.to_states, key="mig_cell_to", help=defs["to_state"])
                table = result.cell(from_state, to_state)
                st.metric(f"{from_state} → {to_state}", count_text(table.height))
                stem = f"lgs_migration_{first:%Y%m%d}_{second:%Y%m%d}_{from_state}_{to_state}".replace(
                    " ", "_"
                )
                _downloads(
                    stem.replace("'", ""),
                    table,
                    partial(
                        result.manifest,
                        table,
                        f"migration customers ({from_state} → {to_state})",
                        {"from_state": [from_state], "to_state": [to_state]},
                    ),
                    "migration",
                )
                st.dataframe(
                    table,
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "customer_id": st.column_config.NumberColumn("Customer", format="%d"),
                        "from_monetary": st.column_config.NumberColumn("Monetary then (£)", format="£%.2f"),
                        "to_monetary": st.column_config.NumberColumn("Monetary now (£)", format="£%.2f"),
                        "first_purchase": st.column_config.DatetimeColumn(
                            "First purchase", format="DD/MM/YYYY"
                        ),
                        "last_purchase": st.column_config.DatetimeColumn(
                            "Last purchase", format="DD/MM/YYYY"
                        ),
                    },
                )

# --- customer lifetime value -------------------------------------------------------------------------------
with tab_value:
    if tab_value.open:
        defs = clv.DEFINITIONS
        value = _compute(_customer_value, window, preset)
        if value is not None:
            st.caption(f"Predictions from {value.reference_date:%d %b %Y}, the day after the date range.")
            totals = value.totals()
            columns = st.columns(len(value.horizons))
            for column, row in zip(columns, totals.iter_rows(named=True), strict=True):
                column.metric(
                    f"Expected spend, next {row['horizon_days']} days",
                    money_text(row["expected_spend"]),
                    help=f"{defs['expected_spend']} Expected purchase days: {row['expected_purchases']:,.0f}.",
                    border=True,
                )
            with st.expander("The fitted models", icon="🧮"):
                bg, gg = value.bg_nbd, value.gamma_gamma
                st.markdown(
                    f"- **BG/NBD** ({bg.customers:,} customers, time in days): r = {bg.r:.4f}, α = {bg.alpha:.4f}, "
                    f"a = {bg.a:.4f}, b = {bg.b:.4f}; log-likelihood {bg.log_likelihood:,.1f}\n"
                    f"- **Gamma-Gamma** ({gg.customers:,} repeat buyers): p = {gg.p:.4f}, q = {gg.q:.4f}, "
                    f"γ = £{gg.gamma:,.2f}; mean value per purchase day {money_text(gg.population_mean, pence=True)}\n"
                    f"- Correlation of repeat purchases with mean repeat value: "
                    f"{value.spend_frequency_correlation if value.spend_frequency_correlation is not None else float('nan'):.2f}"
                    " (Gamma-Gamma assumes none; docs/SEGMENTATION.md)"
                )
            st.subheader("Customers by expected spend")
            horizon = st.segmented_control(
                "Horizon (days)",
                list(value.horizons),
                default=max(value.horizons),
                required=True,
                key="clv_h",
            )
            chosen_h = horizon or max(value.horizons)
            table = value.by_spend(chosen_h)
            _downloads(
                f"lgs_clv_{value.reference_date:%Y%m%d}",
                table,
                partial(value.manifest, table, "customer lifetime value"),
                "clv",
            )
            money = {
                c: st.column_config.NumberColumn(c.replace("_", " ").capitalize() + " (£)", format="£%.2f")
                for c in table.columns
                if "spend" in c or c == "expected_value"
            }
            counts = {
                clv.expected_column(h): st.column_config.NumberColumn(
                    f"Expected purchases, {h} days", format="%.2f", help=defs["expected_purchases"]
                )
                for h in value.horizons
            }
            st.dataframe(
                table,
                hide_index=True,
                width="stretch",
                column_config={
                    **money,
                    **counts,
                    "customer_id": st.column_config.NumberColumn("Customer", format="%d"),
                    "country": st.column_config.TextColumn("Country"),
                    "first_purchase": st.column_config.DateColumn("First purchase", format="DD/MM/YYYY"),
                    "last_purchase": st.column_config.DateColumn("Last purchase", format="DD/MM/YYYY"),
                    "purchase_days": st.column_config.NumberColumn("Purchase days", help=defs["transaction"]),
                    "repeat_purchases": st.column_config.NumberColumn(
                        "Repeat (x)", help=defs["repeat_purchases"]
                    ),
                    "recency_days": st.column_config.NumberColumn(
                        "Recency t_x (days)", help=defs["recency_days"]
                    ),
                    "age_days": st.column_config.NumberColumn("Age T (days)", help=defs["age_days"]),
                    "mean_repeat_spend": st.column_config.NumberColumn(
                        "Mean repeat value (£)", format="£%.2f", help=defs["mean_repeat_spend"]
                    ),
                    "expected_value": st.column_config.NumberColumn(
                        "Expected value per purchase (£)", format="£%.2f", help=defs["expected_value"]
                    ),
                    "p_alive": st.column_config.ProgressColumn(
                        "P(active)", min_value=0.0, max_value=1.0, format="percent", help=defs["p_alive"]
                    ),
                },
            )
            st.caption(
                f"**Expected purchases**: {defs['expected_purchases']} **Expected value**: {defs['expected_value']} "
                f"**Transaction**: {defs['transaction']}"
            )
            st.subheader("Does the model predict well?")
            months = st.slider("Months held out", 1, 12, 6, key="clv_holdout", help=defs["calibration"])
            cal = _compute(_calibration, window, preset, months)
            if cal is not None:
                st.altair_chart(cal.chart(), width="stretch")
                st.caption(defs["calibration"])
                st.dataframe(cal.deciles, hide_index=True, width="stretch")

# --- product affinity --------------------------------------------------------------------------------------
with tab_affinity:
    if tab_affinity.open:
        defs = affinity.DEFINITIONS
        c1, c2, c3 = st.columns([1, 2, 1])
        map_name = c1.segmented_control(
            "Segment map", ["classic10", "rfm11"], default="classic10", required=True, key="aff_map"
        )
        params = RfmParams(preset=preset, segment_map=map_name or "classic10")
        segment = c2.selectbox(
            "Segment", params.segments.segments, index=len(params.segments.segments) - 1, key="aff_seg"
        )
        support = c3.number_input(
            "Minimum support (% of invoices)",
            min_value=0.0,
            max_value=100.0,
            value=1.0,
            step=0.5,
            key="aff_support",
            help=defs["min_invoices"],
        )
        options = affinity.AffinityOptions(min_support=support / 100)
        result = _compute(_affinity, window, segment, params, options)
        if result is not None and result.is_empty:
            st.info(f"No customer is in {segment} in this date range and these countries.", icon="🔎")
        elif result is not None:
            m1, m2, m3 = st.columns(3)
            m1.metric(f"Customers in {result.segment}", count_text(result.segment_customers))
            m2.metric("Their invoices", count_text(result.segment_invoices), help=defs["affinity_purchase"])
            m3.metric("A pair needs", f"{result.min_invoices:,} invoices", help=defs["min_invoices"])
            st.altair_chart(result.products_chart(), width="stretch")
            st.caption(
                f"**Reach**: {defs['reach']} **Base reach**: {defs['base_reach']} **Lift**: {defs['product_lift']}"
            )
            _downloads(
                f"lgs_affinity_products_{result.segment}".replace(" ", "_").replace("'", ""),
                result.products,
                partial(result.manifest, result.products, f"affinity products ({result.segment})"),
                "aff_products",
            )
            st.dataframe(
                result.products,
                hide_index=True,
                width="stretch",
                column_config={
                    "reach": st.column_config.NumberColumn("Reach", format="percent", help=defs["reach"]),
                    "base_reach": st.column_config.NumberColumn(
                        "Base reach", format="percent", help=defs["base_reach"]
                    ),
                    "lift": st.column_config.NumberColumn("Lift", format="%.2f", help=defs["product_lift"]),
                    "segment_revenue": st.column_config.NumberColumn("Revenue (£)", format="£%.2f"),
                },
            )
            st.subheader("Bought together")
            if result.pairs.is_empty():
                st.info(
                    f"No two products share {result.min_invoices:,} of the segment's invoices: lower the minimum "
                    "support.",
                    icon="🔎",
                )
            else:
                _downloads(
                    f"lgs_affinity_pairs_{result.segment}".replace(" ", "_").replace("'", ""),
                    result.pairs,
                    partial(result.manifest, result.pairs, f"affinity pairs ({result.segment})"),
                    "aff_pairs",
                )
                st.dataframe(
                    result.pairs,
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "support": st.column_config.NumberColumn(
                            "Support", format="percent", help=defs["support"]
                        ),
                        "confidence": st.column_config.NumberColumn(
                            "Confidence", format="percent", help=defs["confidence"]
                        ),
                        "lift": st.column_config.NumberColumn("Lift", format="%.2f", help=defs["pair_lift"]),
                    },
                )
