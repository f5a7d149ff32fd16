"""The Reports page under Streamlit's AppTest on a real store: it picks a week, shows the flags in words, the
figures and the chart, and switching the week switches the report. (The page only lays out what
lgs_core.report.report returns; tests/store/test_report.py checks the numbers.)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fixtures.report_data import DIP_WEEK, SPIKE_WEEK, injected_store
from streamlit.testing.v1 import AppTest

from lgs_core.app.filters import Filters
from lgs_core.present.display import shown
from pages import _common

PAGE = Path(__file__).resolve().parents[2] / "pages" / "reports.py"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LGS_DB", str(injected_store()))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    # streamlit_app.py draws the shared sidebar before a page runs; here the view it would have chosen.
    at.session_state[_common.KEY_SAVED] = _common.View(Filters(date(2009, 12, 1), date(2011, 5, 22)))
    return at


def test_the_page_shows_the_week_the_date_range_ends_in_and_switches(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.selectbox[0].value == SPIKE_WEEK
    assert [shown(e.value) for e in app.error] == ["1 flag this week."]  # report texts are shown as text
    texts = [shown(m.value) for m in app.markdown]
    assert texts[0].startswith("▲ Spike: New customers ") or texts[0].startswith(
        "**▲ Spike:** New customers "
    )
    assert "Germany +30" in texts[1]
    assert [m.label for m in app.metric] == [
        "New customers",
        "Active customers",
        "Orders",
        "Sales",
        "Average order value",
        "Cancellation rate",
    ]
    app.selectbox[0].set_value(DIP_WEEK).run()
    assert not app.exception
    assert shown(app.markdown[0].value).startswith("**▼ Dip:** New customers 0, expected ")


def test_the_week_follows_the_sidebars_date_range_and_a_picked_week_holds_until_it_moves(
    app: AppTest,
) -> None:
    app.run()
    app.selectbox(key="rep_week").set_value(DIP_WEEK).run()
    app.run()  # the same date range: the week picked here holds
    assert app.selectbox(key="rep_week").value == DIP_WEEK
    app.sidebar.date_input(key="flt_dates").set_value((date(2010, 1, 1), date(2010, 12, 31))).run()
    assert not app.exception
    week = app.selectbox(key="rep_week").value
    assert week == date(2010, 12, 20), "the last complete week (Monday to Sunday) the new range covers"
    assert shown(app.title[0].value) == "Weekly report"


def test_the_week_and_the_detector_settings_round_trip_through_the_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LGS_DB", str(injected_store()))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state[_common.KEY_SAVED] = _common.View(Filters(date(2009, 12, 1), date(2011, 5, 22)))
    at.run()
    at.selectbox(key="rep_week").set_value(DIP_WEEK).run()
    at.slider(key="rep_z").set_value(4.0).run()
    at.toggle(key="rep_seasonal").set_value(False).run()
    at.number_input(key="rep_min_orders").set_value(40.0).run()
    next(b for b in at.button_group if b.label == "Chart").set_value("orders").run()
    assert not at.exception
    link = dict(at.query_params)
    assert {k: link[k] for k in ("week", "z", "seasonal", "min_orders", "chart")} == {
        "week": "2011-W38",
        "z": "4",
        "seasonal": "0",
        "min_orders": "40",
        "chart": "orders",
    }
    shown = [m.value for m in at.markdown]

    fresh = AppTest.from_file(str(PAGE), default_timeout=60)  # a colleague opens the copied link
    fresh.query_params.update(link)
    fresh.run()
    assert not fresh.exception and not fresh.warning
    assert fresh.selectbox(key="rep_week").value == DIP_WEEK
    assert fresh.slider(key="rep_z").value == 4.0
    assert fresh.toggle(key="rep_seasonal").value is False
    assert fresh.number_input(key="rep_min_orders").value == 40.0
    assert [m.value for m in fresh.markdown] == shown


def test_the_weeks_are_formatted_and_the_flagged_ones_listed_in_words(app: AppTest) -> None:
    app.run()
    weeks = next(d.value for d in app.dataframe if "Flags" in d.value.columns)
    assert weeks["Sales (£)"].iloc[0].startswith("£") and weeks["Cancellation rate"].iloc[0].endswith("%")
    assert weeks["Flags"].iloc[0] == "▲ spike in new customers"
    listed = next(m.value for m in app.markdown if m.value.startswith("**1 spike or dip:**"))
    assert "Week 20 of 2011 \\(16 May\\)" in listed


def test_a_bad_week_in_the_link_says_what_was_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGS_DB", str(injected_store()))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.query_params.update({"week": "1999-W01", "z": "99"})
    at.run()
    assert not at.exception
    notices = [shown(w.value) for w in at.warning]
    assert any(n.startswith("From the link: week “1999-W01” is not one of") for n in notices), notices
    assert "From the link: z 99 is outside 2–6: 6 used." in notices
