"""The Saved segments page through AppTest: what it shows is what lgs_core computes, and its state is in the URL.

(AppTest does not register button clicks in this app: saving, adding a condition and downloading are tested in
Chromium, tests/e2e/test_browser_segments.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lgs_core.analyses import clusters
from lgs_core.analyses.saved_segments import SaveSegment, apply_change, customer_facts, evaluate
from lgs_core.analyses.segment_rules import Condition, Group, all_of, any_of
from lgs_core.query.window import Window
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "streamlit_app.py")
PAGE = "pages/saved_segments.py"
TIMEOUT = 180
HOSTILE = "<b>'; drop table saved_segments; --</b> **x** :material/home: $y$"
RECENT_UK = all_of(
    Condition.make("country", "in", ["United Kingdom"]),
    Condition.make("recency_days", "le", [30]),
)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("saved-page") / "store.duckdb"
    load_demo(path, rows=30_000)
    con = store.connect(path)
    try:
        apply_change(con, SaveSegment("Recent UK", RECENT_UK))
        apply_change(con, SaveSegment(HOSTILE, all_of(Condition.make("spend", "ge", ["500"]))))
    finally:
        con.close()
    return path


@pytest.fixture
def con(demo_store: Path) -> Iterator[object]:
    connection = store.connect(demo_store)  # as the app opens it (one process: one configuration per file)
    try:
        yield connection
    finally:
        connection.close()


def open_page(demo_store: Path, monkeypatch: pytest.MonkeyPatch, **query: str) -> AppTest:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.query_params.update(query)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def count(con: object, rule: Group) -> str:
    return f"{evaluate(con, customer_facts(con, Window()), rule).count:,}"  # type: ignore[arg-type]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_new_segment_previews_its_count_live(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, con: object
) -> None:
    at = open_page(demo_store, monkeypatch)
    start = all_of(Condition.make("recency_days", "le", [90]))
    assert metrics(at)["Customers in the segment"] == count(con, start)
    assert json.loads(at.query_params["rule"]) == {"version": 1, **start.to_json()}

    at.number_input(key="sseg_v_0").set_value(30).run()
    within_30 = all_of(Condition.make("recency_days", "le", [30]))
    assert metrics(at)["Customers in the segment"] == count(con, within_30)
    assert json.loads(at.query_params["rule"])["conditions"][0]["values"] == [30]

    at.selectbox(key="sseg_f_0").set_value(
        "country"
    ).run()  # a new field starts incomplete: left out, said so
    assert any("choose a country" in c.value for c in at.caption)
    assert metrics(at)["Customers in the segment"] == count(con, Group())
    at.multiselect(key="sseg_v_0").set_value(["France", "Germany"]).run()
    both = all_of(Condition.make("country", "in", ["France", "Germany"]))
    assert metrics(at)["Customers in the segment"] == count(con, both)
    assert at.text[0].value == f"Customers who: {both.label()}."


def test_a_link_opens_a_saved_segment(demo_store: Path, monkeypatch: pytest.MonkeyPatch, con: object) -> None:
    at = open_page(demo_store, monkeypatch, seg="recent uk")
    assert at.selectbox(key="sseg_open").value == "Recent UK"
    assert at.text_input(key="sseg_name").value == "Recent UK"
    assert metrics(at)["Customers in the segment"] == count(con, RECENT_UK)
    assert (
        at.query_params["seg"] == "Recent UK" and "rule" not in at.query_params
    )  # the saved rule, unchanged
    at.number_input(key="sseg_v_1").set_value(10).run()  # an unsaved edit goes into the link
    assert at.query_params["seg"] == "Recent UK"
    assert json.loads(at.query_params["rule"])["conditions"][1]["values"] == [10]


def test_a_link_with_a_rule_opens_that_rule(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, con: object
) -> None:
    nested = any_of(RECENT_UK, Condition.make("orders", "ge", [20]))
    at = open_page(demo_store, monkeypatch, rule=nested.to_text())
    assert metrics(at)["Customers in the segment"] == count(con, nested)
    assert any("groups of conditions" in i.value for i in at.info)
    broken = open_page(demo_store, monkeypatch, rule='{"conditions": [{"field": "shoe size"}]}', seg="nope")
    assert any("could not be read" in w.value for w in broken.warning)


def test_hostile_names_and_values_are_shown_as_text(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, con: object
) -> None:
    at = open_page(demo_store, monkeypatch, seg=HOSTILE)
    assert at.selectbox(key="sseg_open").value == HOSTILE
    assert metrics(at)["Customers in the segment"] == count(
        con, all_of(Condition.make("spend", "ge", ["500"]))
    )
    rule = all_of(Condition.make("country", "in", [HOSTILE]))
    shown = open_page(demo_store, monkeypatch, rule=rule.to_text())
    assert metrics(shown)["Customers in the segment"] == "0"
    assert any(HOSTILE.replace("*", "\\*") in w.value or "match nobody" in w.value for w in shown.warning)
    assert shown.text[0].value == f"Customers who: {rule.label()}."  # st.text: no Markdown, no HTML


def test_the_clusters_tab_shows_names_and_quality(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, con: object
) -> None:
    at = open_page(demo_store, monkeypatch, tab="Behaviour clusters", k="3-5")
    facts = customer_facts(con, Window())  # type: ignore[arg-type]
    found = clusters.cluster_customers(facts.frame, facts.window, k_range=(3, 5))
    assert metrics(at)["Clusters"] == str(found.k)
    assert metrics(at)["Quality (silhouette)"] == f"{found.silhouette:.2f}"
    assert at.slider(key="sseg_k").value == (3, 5)
    names = " · ".join(f"**{i}** {n}" for i, n in enumerate(found.names, start=1))
    assert any(m.value.replace("\\", "") == names for m in at.markdown)  # escaped as text
    assert at.query_params["tab"] == "Behaviour clusters" and at.query_params["k"] == "3-5"


def test_the_over_time_tab(demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_store, monkeypatch, tab="Over time", seg="Recent UK")
    assert at.text[0].value == f"Recent UK — customers who: {RECENT_UK.label()}."
    assert at.dataframe[0].value.shape[1] == 4


def test_a_segment_deleted_meanwhile_falls_back_to_a_new_one(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lgs_core.analyses.saved_segments import DeleteSegment

    con = store.connect(demo_store)
    try:
        apply_change(con, SaveSegment("Short-lived", RECENT_UK))
    finally:
        con.close()
    at = open_page(demo_store, monkeypatch, seg="Short-lived")
    assert at.selectbox(key="sseg_open").value == "Short-lived"
    con = store.connect(demo_store)
    try:
        apply_change(con, DeleteSegment("Short-lived"))  # by someone else, in another session
    finally:
        con.close()
    at.number_input(key="sseg_v_1").set_value(12).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="sseg_open").value == ""
    assert "seg" not in at.query_params
