"""Overview: the headline numbers for the chosen window."""

from __future__ import annotations

import streamlit as st

from pages import _common

filters = _common.sidebar_filters()
st.title("Overview")
st.caption(filters.label)
info = _common.store_info()
st.metric("Lines in the store", f"{info.lines:,}")
