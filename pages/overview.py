"""Overview: KPI cards with their change on the previous period, monthly sales, growth and customers."""

from __future__ import annotations

import streamlit as st

from lgs_core.app import overview as overview_model
from lgs_core.present import charts
from lgs_core.present.display import literal
from lgs_core.present.text import plain
from pages import _common

view = _common.require_view()
st.title("Overview")
st.caption(literal(view.label))  # its countries come from the data
result = _common.page_model(overview_model.overview, view.window, view.preset)
if result.is_empty:
    st.info(
        "No lines in this date range and these countries. Widen the date range, or clear the countries "
        "in the sidebar.",
        icon=":material/search_off:",
    )
    st.stop()

for column, kpi in zip(st.columns(len(result.kpis)), result.kpis, strict=True):
    column.metric(
        kpi.label,
        kpi.value_text,
        kpi.delta_text,
        delta_color="off" if kpi.flat else "normal",
        delta_arrow="off" if kpi.flat else "auto",
        help=kpi.help_text,
        border=True,
    )
st.caption(result.comparison_note)

left, right = st.columns(2)
with left:
    st.vega_lite_chart(charts.monthly_sales(result.monthly), width="stretch")
    st.caption(f"**Sales**: {plain('sales', view.preset)}")
with right:
    st.vega_lite_chart(charts.monthly_growth(result.monthly), width="stretch")
    st.caption(f"**Growth**: {plain('growth_pct', view.preset)}")

left, right = st.columns(2)
with left:
    st.vega_lite_chart(charts.monthly_active_customers(result.monthly), width="stretch")
    st.caption(f"**Active customers**: {plain('active_customers', view.preset)}")
with right:
    st.vega_lite_chart(charts.new_vs_existing(result.monthly), width="stretch")
    note = (
        " The data's first month counts every customer as new: there is no earlier history."
        if result.starts_with_first_data_month
        else ""
    )
    st.caption(f"**New customers**: {plain('new_customers', view.preset)}{note}")

if not result.monthly["whole_month"].all():
    st.caption("Faded bars: months the date range cuts short, so their figures cover only part of the month.")

_common.definitions_expander(
    (
        "sales",
        "placed",
        "active_customers",
        "new_customers",
        "existing_customers",
        "aov",
        "change",
        "growth_pct",
        "month",
    ),
    view.preset,
)
