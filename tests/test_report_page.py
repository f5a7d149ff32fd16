"""The Reports page under Streamlit's AppTest on a real store: it picks a week, shows the flags in words, the
figures and the chart, and switching the week switches the report. (The page only lays out what
lgs_core.report returns; tests/test_report.py checks the numbers.)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_report_data import DIP_WEEK, SPIKE_WEEK, injected_store

from lgs_core.display import shown
from lgs_core.filters import Filters
from pages import _common

PAGE = Path(__file__).resolve().parent.parent / "pages" / "reports.py"


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
    assert app.markdown[0].value.startswith("**▲ Spike:** New customers ")
    assert "Germany +30" in shown(app.markdown[1].value)
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
    assert app.markdown[0].value.startswith("**▼ Dip:** New customers 0, expected ")
