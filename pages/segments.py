"""Customer segments: RFM scores and segments, their customer lists (CSV / Excel), and why a customer is where."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from lgs_core import charts, views
from lgs_core.display import literal
from lgs_core.rfm import FixedCuts, RfmParams
from lgs_core.views import count_text, definition
from pages import _common

view = _common.require_view()
preset = view.preset
st.title("Customer segments")
st.caption(
    f"{literal(view.label)} — pick dates and countries in the sidebar; choose segments under **Customer lists** to "
    "see and download their customers."
)

# --- how to score -------------------------------------------------------------------------------------
with st.expander("Scoring and segment map", expanded=True, icon=":material/tune:"):
    c1, c2, c3, c4 = st.columns([1, 1.4, 1, 1.6])
    reference = c1.date_input(
        "Reference date",
        value=None,
        # Without bounds Streamlit offers only the last ten years (before today), not the data's dates.
        min_value=view.filters.start,
        max_value=view.filters.end + timedelta(days=3660),
        format="DD/MM/YYYY",
        help=f"{definition('reference_date', preset)} Leave it empty for that default.",
    )
    scoring = c2.segmented_control(
        "Scoring",
        ["quantile", "fixed"],
        default="quantile",
        required=True,
        format_func=lambda s: {"quantile": "Quantile bins", "fixed": "Fixed cut points"}[s],
        help=f"Quantile bins: {definition('quantile_cuts', preset)} Fixed: {definition('fixed_cuts', preset)}",
    )
    scores = c3.segmented_control(
        "Scores per dimension",
        [3, 4, 5],
        default=5,
        required=True,
        help="How many scores R, F and M each have (5: the notebook's quintiles). classic10 and rfm11 are "
        "defined on 5 × 5 scores; on a smaller grid each cell takes the segment of the 5 × 5 cell at the "
        "same place (see the heat map).",
    )
    map_choice = c4.segmented_control(
        "Segment map",
        ["classic10", "rfm11", "custom"],
        default="classic10",
        required=True,
        format_func=lambda m: {"classic10": "classic10", "rfm11": "rfm11", "custom": "Edit the grid"}[m],
        help=f"classic10: {definition('classic10', preset)} rfm11: {definition('rfm11', preset)}",
    )
    scores = int(scores or 5)
    cuts = None
    if scoring == "fixed":
        suggested = views.default_fixed_cuts(scores)
        cr, cf, cm = st.columns(3)
        recency = [
            cr.number_input(
                f"Recency cut {i + 1} (days)", min_value=0, value=int(v), step=1, key=f"cut_r_{scores}_{i}"
            )
            for i, v in enumerate(suggested.recency)
        ]
        frequency = [
            cf.number_input(
                f"Frequency cut {i + 1} (invoices)",
                min_value=0,
                value=int(v),
                step=1,
                key=f"cut_f_{scores}_{i}",
            )
            for i, v in enumerate(suggested.frequency)
        ]
        monetary = [
            cm.number_input(
                f"Monetary cut {i + 1} (£)",
                min_value=0.0,
                value=float(v),
                step=50.0,
                format="%.2f",
                key=f"cut_m_{scores}_{i}",
            )
            for i, v in enumerate(suggested.monetary)
        ]
        st.caption(
            f"**Fixed cut points**: {definition('fixed_cuts', preset)} **Scores**: {definition('score_rule', preset)}"
        )
        cuts = _common.guarded(
            FixedCuts, tuple(map(str, recency)), tuple(map(str, frequency)), tuple(map(str, monetary))
        )
    grid = None
    if map_choice == "custom":
        start_from = views.grid_table(views.segment_map_for("classic10", scores, scores))
        edited = st.data_editor(
            start_from,
            disabled=["R"],
            hide_index=True,
            placeholder="–",
            width="stretch",
            key=f"grid_{scores}",
        )
        grid = views.grid_from_table(edited.to_dicts())
        st.caption(
            "The R × F grid: type a segment name in any cell (cells with the same name form one segment). "
            "It starts from classic10."
        )
    segment_map = _common.guarded(views.segment_map_for, map_choice or "classic10", scores, scores, grid)
    params = _common.guarded(RfmParams, preset, reference, scoring or "quantile", scores, cuts, segment_map)

result = _common.guarded(_common.segments, view, params)
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
    "Customers scored", count_text(result.customers.height), help=definition("customers", preset), border=True
)
c2.metric("Reference date", result.reference_text, help=definition("reference_date", preset), border=True)
with c3.container(border=True):
    st.markdown("**Cut points** (" + literal(result.segment_map_name) + ")")
    st.caption(" · ".join(result.cut_point_lines()) + f" — {definition('score_rule', preset)}")

left, right = st.columns(2)
with left:
    st.altair_chart(charts.rf_heatmap(result.grid), width="stretch")
    st.caption(f"**Heat map**: {definition('rf_grid', preset)} **Segment**: {definition('segment', preset)}")
with right:
    st.altair_chart(charts.segment_customers(result.summary, result.segment_names), width="stretch")
    st.caption(f"**Customers**: {definition('segment_customers', preset)}")
    st.altair_chart(charts.segment_revenue(result.summary, result.segment_names), width="stretch")
    st.caption(f"**Revenue**: {definition('revenue', preset)} **Monetary**: {definition('monetary', preset)}")

st.dataframe(
    result.summary_table(),
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={
        "segment": st.column_config.TextColumn("Segment"),
        "customers": st.column_config.NumberColumn(
            "Customers", format="localized", help=definition("customers", preset)
        ),
        "customer_share": st.column_config.NumberColumn(
            "Share of customers", format="percent", help=definition("customer_share", preset)
        ),
        "revenue": st.column_config.NumberColumn(
            "Revenue (£)", format="£%,.2f", help=definition("revenue", preset)
        ),
        "revenue_share": st.column_config.NumberColumn(
            "Share of revenue", format="percent", help=definition("revenue_share", preset)
        ),
        "mean_recency_days": st.column_config.NumberColumn(
            "Mean recency (days)", format="%.0f", help=definition("mean_recency_days", preset)
        ),
        "mean_frequency": st.column_config.NumberColumn(
            "Mean frequency (invoices)", format="%.1f", help=definition("mean_frequency", preset)
        ),
        "mean_monetary": st.column_config.NumberColumn(
            "Mean monetary (£)", format="£%,.2f", help=definition("mean_monetary", preset)
        ),
    },
)

# --- customer lists -------------------------------------------------------------------------------------
st.subheader("Customer lists")
chosen = st.multiselect(
    "Segments",
    list(result.segment_names),
    default=result.default_segments(),
    placeholder="Choose one or more segments",
    help="The customers of these segments, for a campaign.",
)
if not chosen:
    st.info("Choose one or more segments to list their customers.", icon=":material/touch_app:")
    st.stop()
table = result.customer_table(chosen)
stem = views.export_file_stem(result.window, chosen)
c1, c2, c3, c4 = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
c1.metric(f"Customers in {literal(', '.join(chosen))}", count_text(table.height))  # names a user typed
_common.list_downloads(
    (c2, c3, c4),
    stem,
    csv=lambda: views.segment_csv(result, chosen),
    xlsx=lambda: views.segment_xlsx(result, chosen),
    manifest=lambda: views.segment_manifest(result, chosen),
    disabled=table.is_empty(),
    customers=table.height,
)
st.dataframe(
    table,
    hide_index=True,
    placeholder="–",
    width="stretch",
    column_config={
        "customer_id": st.column_config.NumberColumn("Customer", format="%d"),
        "country": "Country",
        "segment": "Segment",
        "rfm": st.column_config.TextColumn("RFM", help=definition("rfm", preset)),
        "r": st.column_config.NumberColumn("R", help=definition("r", preset)),
        "f": st.column_config.NumberColumn("F", help=definition("f", preset)),
        "m": st.column_config.NumberColumn("M", help=definition("m", preset)),
        "fm": st.column_config.NumberColumn("FM", help=definition("fm", preset)),
        "monetary": st.column_config.NumberColumn(
            "Monetary (£)", format="£%,.2f", help=definition("monetary", preset)
        ),
        "recency_days": st.column_config.NumberColumn(
            "Recency (days)", help=definition("recency_days", preset)
        ),
        "frequency": st.column_config.NumberColumn(
            "Frequency (invoices)", help=definition("frequency", preset)
        ),
        "first_purchase": st.column_config.DatetimeColumn("First purchase", format="DD/MM/YYYY HH:mm"),
        "last_purchase": st.column_config.DatetimeColumn("Last purchase", format="DD/MM/YYYY HH:mm"),
    },
)
st.caption(f"Spreadsheet safety: {definition('formula_guard', preset)}")

# --- one customer ---------------------------------------------------------------------------------------
if not table.is_empty():
    st.subheader("Why is a customer in their segment?")
    labels = result.customer_labels(chosen)
    customer = st.selectbox("Customer", list(labels), format_func=lambda c: labels[c])
    if customer is not None:
        left, right = st.columns([1, 1])
        with left:
            st.markdown("\n".join(f"- {literal(line)}" for line in result.explain(int(customer))))
        with right:
            invoices = _common.guarded(_common.customer_invoices, view, int(customer))
            st.dataframe(
                invoices,
                hide_index=True,
                placeholder="–",
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
            st.caption(
                f"The customer's invoices in the date range. **Frequency**: {definition('frequency', preset)}"
            )
