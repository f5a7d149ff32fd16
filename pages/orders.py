"""Orders: the invoice amount distribution with the notebook's statistics, placed and canceled orders."""

from __future__ import annotations

import streamlit as st

from lgs_core.app import orders as orders_model
from lgs_core.app.filters import read_flag
from lgs_core.app.orders import Orders
from lgs_core.present import charts
from lgs_core.present.display import literal
from lgs_core.present.text import count_text, money_text, percent_text, plain
from pages import _common

view = _common.require_view(url_params=("trim",))
st.title("Orders")
st.caption(literal(view.label))  # its countries come from the data
result = _common.page_model(orders_model.orders, view.window, view.preset)
if result.is_empty:
    st.info(
        "No invoices in this date range and these countries. Widen the date range, or clear the "
        "countries in the sidebar.",
        icon=":material/search_off:",
    )
    st.stop()

cols = st.columns(3)
cols[0].metric("Orders placed", count_text(result.placed), help=plain("placed", view.preset), border=True)
cols[1].metric(
    "Orders canceled", count_text(result.canceled), help=plain("canceled", view.preset), border=True
)
cols[2].metric(
    "Cancellation rate",
    percent_text(result.cancellation_rate_pct),
    help=plain("cancellation_rate", view.preset),
    border=True,
)


@st.fragment
def _amount_charts(result: Orders, view: _common.View) -> None:
    """The trim toggle and the two charts it changes: a fragment, so toggling reruns only this part."""
    _common.seed("ord_trim", "trim", lambda q: read_flag(q, "trim", False), False)
    trimmed = st.toggle(
        "Leave out the largest 15% of invoices",
        key="ord_trim",
        help=f"{plain('trimmed_85', view.preset)} (The original analysis' view: invoices up to the 85th "
        "percentile.)",
    )
    _common.remember("ord_trim", "trim", "1" if trimmed else None)
    st.vega_lite_chart(charts.amount_histogram(result.histogram(trimmed), trimmed=trimmed), width="stretch")
    st.caption(
        f"**Histogram**: {plain('histogram', view.preset)} Invoices counted: {plain('positive', view.preset)}"
    )
    box = result.box(trimmed)
    if box is not None:
        st.vega_lite_chart(charts.amount_boxplot(box, trimmed=trimmed), width="stretch")
        st.caption(f"**Box plot**: {plain('box_plot', view.preset)}")


st.subheader("Invoice amounts")
chart_col, stats_col = st.columns([2, 1])
with chart_col:
    _amount_charts(result, view)
with stats_col:
    st.dataframe(result.statistics(), hide_index=True, placeholder="–", width="stretch")
    st.caption(
        f"**85th percentile**: {money_text(result.distribution.p85, pence=True)} — "
        f"{plain('p85', view.preset)}"
    )
    st.caption(
        f"**Median**: {plain('median', view.preset)} **Mode**: {plain('mode', view.preset)} "
        f"**Mean**: {plain('mean', view.preset)}"
    )

st.subheader("Orders per month")
left, right = st.columns(2)
with left:
    st.vega_lite_chart(charts.orders_per_month(result.monthly), width="stretch")
    st.caption(f"**Placed**: {plain('placed', view.preset)} **Canceled**: {plain('canceled', view.preset)}")
with right:
    st.vega_lite_chart(charts.cancellation_rate(result.monthly), width="stretch")
    st.caption(f"**Cancellation rate**: {plain('cancellation_rate', view.preset)}")
if not result.monthly["whole_month"].all():
    st.caption("Faded bars: months the date range cuts short, so their figures cover only part of the month.")

_common.definitions_expander(
    (
        "placed",
        "canceled",
        "cancellation_rate",
        "amount",
        "positive",
        "p85",
        "trimmed_85",
        "histogram",
        "box_plot",
        "median",
        "mode",
        "mean",
        "month",
    ),
    view.preset,
)
