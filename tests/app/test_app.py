"""The app through Streamlit's AppTest: every page runs, and what a page shows is what lgs_core computes.

AppTest sees widgets, metrics, dataframes and page switches, not rendered charts or download bytes: charts
are tested through lgs_core.present.charts (tests/app/test_charts.py), downloads through the export functions the
download buttons call (here and in tests/app/test_views.py), and the real thing in tests/e2e/test_browser.py.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lgs_core.analyses import rfm, segment_maps
from lgs_core.app import orders as orders_model
from lgs_core.app import overview as overview_model
from lgs_core.app import segments as segments_model
from lgs_core.present import text as app_text
from lgs_core.present.display import literal, shown
from lgs_core.query.window import Window
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "streamlit_app.py")
PAGES = [
    "pages/overview.py",
    "pages/orders.py",
    "pages/segments.py",
    "pages/deeper_segments.py",
    "pages/reports.py",
    "pages/data.py",
]
TIMEOUT = 120


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("app") / "store.duckdb"
    load_demo(path, rows=20_000)
    return path


@pytest.fixture
def app(demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    _no_exception(at)
    return at


@pytest.fixture
def con(demo_store: Path) -> Iterator[object]:
    connection = store.connect(demo_store)
    try:
        yield connection
    finally:
        connection.close()


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _button_group(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button_group if b.label == label)


# --- every page -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_an_exception(app: AppTest, page: str) -> None:
    app.switch_page(page).run()
    _no_exception(app)
    assert app.title, f"{page} has no title"


def test_overview_cards_are_what_the_page_model_computes(app: AppTest, con: object) -> None:
    expected = overview_model.overview(con, Window())  # type: ignore[arg-type]
    assert _metrics(app) == {k.label: k.value_text for k in expected.kpis}
    assert [m.help for m in app.metric] == [k.help_text for k in expected.kpis]


def test_changing_the_date_range_changes_the_cards_to_that_window(app: AppTest, con: object) -> None:
    before = _metrics(app)
    app.sidebar.date_input(key="flt_dates").set_value((date(2011, 1, 1), date(2011, 6, 30))).run()
    _no_exception(app)
    expected = overview_model.overview(con, Window(date(2011, 1, 1), date(2011, 6, 30)))  # type: ignore[arg-type]
    shown = {m.label: (m.value, m.delta) for m in app.metric}
    assert shown == {k.label: (k.value_text, k.delta_text or "") for k in expected.kpis}
    assert _metrics(app) != before
    assert app.query_params == {"start": "2011-01-01", "end": "2011-06-30"}
    assert any(k.delta_text for k in expected.kpis), "a half year after the data's start has a comparison"


def test_a_country_and_products_only_filter_the_cards(app: AppTest, con: object) -> None:
    country = next(c for c in app.sidebar.multiselect(key="flt_countries").options if c != "United Kingdom")
    app.sidebar.multiselect(key="flt_countries").select(country).run()
    app.sidebar.toggle(key="flt_products").set_value(True).run()
    _no_exception(app)
    expected = overview_model.overview(con, Window(countries=(country,), products_only=True))  # type: ignore[arg-type]
    assert _metrics(app) == {k.label: k.value_text for k in expected.kpis}
    assert app.query_params == {"country": country, "products": "1"}


def test_a_shared_link_opens_the_same_view(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, con: object
) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"start": "2010-03-01", "end": "2010-09-30", "country": "United Kingdom"})
    at.run()
    _no_exception(at)
    window = Window(date(2010, 3, 1), date(2010, 9, 30), ("United Kingdom",))
    assert _metrics(at) == {k.label: k.value_text for k in overview_model.overview(con, window).kpis}  # type: ignore[arg-type]
    assert at.sidebar.multiselect(key="flt_countries").value == ["United Kingdom"]


def test_a_broken_link_still_opens(demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(
        {"start": "garbage", "country": ["Atlantis", "'; drop table lines; --"], "preset": "x"}
    )
    at.run()
    _no_exception(at)
    assert at.sidebar.multiselect(key="flt_countries").value == []


def test_filters_survive_a_page_switch_and_the_data_page(app: AppTest) -> None:
    app.sidebar.date_input(key="flt_dates").set_value((date(2011, 1, 1), date(2011, 12, 9))).run()
    app.switch_page("pages/data.py").run()
    _no_exception(app)
    app.switch_page("pages/segments.py").run()
    _no_exception(app)
    assert app.sidebar.date_input(key="flt_dates").value == (date(2011, 1, 1), date(2011, 12, 9))
    assert app.query_params == {"start": "2011-01-01"}


def test_the_entrypoint_draws_the_shared_sidebar_once_the_same_widgets_on_every_page(app: AppTest) -> None:
    """streamlit_app.py draws the sidebar before the page (issue #17): its widgets are the entrypoint's, the same
    widget on every page (a widget a page draws is that page's, a new one on each switch), drawn once per run."""
    seen = {}
    for page in ("pages/overview.py", "pages/orders.py", "pages/segments.py", "pages/reports.py"):
        app.switch_page(page).run()
        _no_exception(app)
        assert [w.key for w in app.sidebar.date_input] == ["flt_dates"]  # once
        seen[page] = (
            app.sidebar.date_input(key="flt_dates").id,
            app.sidebar.multiselect(key="flt_countries").id,
        )
    assert len(set(seen.values())) == 1, seen


def test_the_quick_range_sets_the_dates_and_shows_which_is_active(app: AppTest) -> None:
    assert _button_group(app, "Quick range").value == "All data"  # a first visit: all the data, lit
    _button_group(app, "Quick range").set_value("2010").run()
    _no_exception(app)
    assert app.sidebar.date_input(key="flt_dates").value == (date(2010, 1, 1), date(2010, 12, 31))
    assert _button_group(app, "Quick range").value == "2010"  # the chosen range stays lit
    app.sidebar.date_input(key="flt_dates").set_value((date(2010, 3, 1), date(2010, 12, 31))).run()
    assert _button_group(app, "Quick range").value is None  # dates that are no quick range: none lit


def test_the_classic_preset_counts_orders_the_notebooks_way(app: AppTest, con: object) -> None:
    _button_group(app, "Definitions").set_value("classic").run()
    _no_exception(app)
    expected = overview_model.overview(con, Window(), "classic")  # type: ignore[arg-type]
    assert _metrics(app)["Orders"] == expected.kpi("orders").value_text
    assert app.query_params == {"preset": "classic"}


def test_an_empty_window_explains_itself(app: AppTest) -> None:
    saturday = date(2011, 6, 4)  # no invoices on Saturdays
    app.sidebar.date_input(key="flt_dates").set_value((saturday, saturday)).run()
    for page in ("pages/overview.py", "pages/orders.py", "pages/segments.py"):
        app.switch_page(page).run()
        _no_exception(app)
        assert any("Widen the date range" in i.value for i in app.info), page


# --- Orders ---------------------------------------------------------------------------------------------


def test_orders_page_shows_the_notebook_statistics(app: AppTest, con: object) -> None:
    app.switch_page("pages/orders.py").run()
    expected = orders_model.orders(con, Window())  # type: ignore[arg-type]
    assert _metrics(app)["Orders placed"] == f"{expected.placed:,}"
    assert _metrics(app)["Cancellation rate"] == app_text.percent_text(expected.cancellation_rate_pct)
    table = app.dataframe[0].value
    assert list(table["Statistic"]) == ["Invoices", "Smallest", "Largest", "Median", "Mode", "Mean"]
    assert list(table["All invoices"]) == expected.statistics()["All invoices"].to_list()
    app.toggle[0].set_value(True).run()  # the trim toggle redraws the charts, the statistics stay
    _no_exception(app)


# --- Customer segments ----------------------------------------------------------------------------------


def _segment_table(at: AppTest) -> pl.DataFrame:
    frame = next(
        d.value for d in at.dataframe if "segment" in d.value.columns and "customer_share" in d.value.columns
    )
    return pl.from_pandas(frame)


def test_segment_table_is_what_the_page_model_computes(app: AppTest, con: object) -> None:
    app.switch_page("pages/segments.py").run()
    _no_exception(app)
    expected = segments_model.segments(con, Window())  # type: ignore[arg-type]
    shown = _segment_table(app)
    assert shown["segment"].to_list() == expected.summary["segment"].to_list()
    assert shown["customers"].to_list() == expected.summary["customers"].to_list()


def test_changing_the_bins_or_the_map_changes_the_segment_table(app: AppTest, con: object) -> None:
    app.switch_page("pages/segments.py").run()
    five = _segment_table(app)

    _button_group(app, "Scores per measure").set_value(3).run()
    _no_exception(app)
    three = _segment_table(app)
    params = rfm.RfmParams(bins=3, segment_map=segment_maps.segment_map_for("classic10", 3, 3))
    expected = segments_model.segments(con, Window(), params)  # type: ignore[arg-type]
    assert three["customers"].to_list() == expected.summary["customers"].to_list()
    assert not three.equals(five)

    _button_group(app, "Scores per measure").set_value(5).run()
    _button_group(app, "Segment map").set_value("rfm11").run()
    _no_exception(app)
    eleven = _segment_table(app)
    expected = segments_model.segments(con, Window(), rfm.RfmParams(segment_map="rfm11"))  # type: ignore[arg-type]
    assert eleven["segment"].to_list() == list(rfm.RFM11.segments)
    assert eleven["customers"].to_list() == expected.summary["customers"].to_list()


def test_fixed_cut_points_are_number_inputs(app: AppTest, con: object) -> None:
    app.switch_page("pages/segments.py").run()
    _button_group(app, "Scoring").set_value("fixed").run()
    _no_exception(app)
    labels = [n.label for n in app.number_input]
    assert labels[:4] == [f"Recency cut {i} (days)" for i in range(1, 5)]
    app.number_input(key="cut_r_5_0").set_value(10).run()
    _no_exception(app)
    cuts = segment_maps.default_fixed_cuts(5)
    params = rfm.RfmParams(
        scoring="fixed",
        cuts=rfm.FixedCuts(("10", *map(str, cuts.recency[1:])), cuts.frequency, cuts.monetary),
    )
    expected = segments_model.segments(con, Window(), params)  # type: ignore[arg-type]
    assert _segment_table(app)["customers"].to_list() == expected.summary["customers"].to_list()
    # cut points that do not increase: one line saying what to do, no traceback
    app.number_input(key="cut_r_5_1").set_value(5).run()
    assert not app.exception
    assert any("not increasing" in e.value for e in app.error)


def test_a_reference_date_before_the_last_purchase_is_one_line(app: AppTest) -> None:
    app.switch_page("pages/segments.py").run()
    reference = next(d for d in app.date_input if d.label == "Reference date")
    reference.set_value(date(2010, 1, 1)).run()
    assert not app.exception
    assert len(app.error) == 1 and "reference date" in app.error[0].value
    assert "\n" not in app.error[0].value


def test_the_download_holds_exactly_the_chosen_segments(app: AppTest, con: object) -> None:
    app.switch_page("pages/segments.py").run()
    chosen_widget = next(m for m in app.multiselect if m.label == "Segments")
    assert chosen_widget.value == ["Champions"]
    chosen_widget.set_value(["Champions", "At Risk"]).run()
    _no_exception(app)
    assert [d.label for d in app.download_button] == ["Download CSV", "Download Excel", "Manifest (JSON)"]
    shown = next(d.value for d in app.dataframe if "RFM score" in d.value.columns)
    result = segments_model.segments(con, Window())  # type: ignore[arg-type]
    # The bytes the "Download CSV" button serves: segments_model.segment_csv for the page's result and choice.
    rows = list(
        csv.DictReader(io.StringIO(segments_model.segment_csv(result, ["Champions", "At Risk"]).decode()))
    )
    expected = result.customers.filter(pl.col("segment").is_in(["Champions", "At Risk"]))["customer_id"]
    assert sorted(int(r["Customer"]) for r in rows) == sorted(expected.to_list())
    assert sorted(shown["Customer"].tolist()) == sorted(expected.to_list())
    assert _metrics(app)["Customers in Champions, At Risk"] == f"{len(rows):,}"


RAW_KEYS = {
    "customer_id",
    "rfm",
    "r",
    "f",
    "m",
    "fm",
    "recency_days",
    "from_state",
    "antecedent",
    "consequent",
}


def test_the_customer_list_speaks_words_with_units(app: AppTest) -> None:
    app.switch_page("pages/segments.py").run()
    shown = next(d.value for d in app.dataframe if "RFM score" in d.value.columns)
    assert list(shown.columns[:6]) == [
        "Customer",
        "Country",
        "Segment",
        "Days since last order",
        "Orders",
        "Spend (£)",
    ]
    assert not RAW_KEYS & set(shown.columns)


def test_a_customer_is_explained(app: AppTest, con: object) -> None:
    app.switch_page("pages/segments.py").run()
    customer = app.selectbox[0].value
    result = segments_model.segments(con, Window())  # type: ignore[arg-type]
    explained = "\n".join(shown(m.value) for m in app.markdown)  # (the lines are shown as text)
    # in words first, the cut points behind "The scoring in detail"
    for line in (*result.explain_plain(int(customer)), *result.explain(int(customer))):
        assert line in explained
    assert result.explain_plain(int(customer))[0].startswith("Last order ")


def test_the_customer_shown_follows_the_list_until_one_is_picked(app: AppTest, con: object) -> None:
    """The explanation shows the list's first customer until the person picks one (issue #17's review): after a
    filter change the new list's first, and the link holds no customer nobody chose; a picked one stays."""
    app.switch_page("pages/segments.py").run()
    first_of_all = app.selectbox(key="seg_customer").value
    year = Window(date(2011, 1, 1), date(2011, 12, 9))
    result = segments_model.segments(con, year)  # type: ignore[arg-type]
    first_of_year = next(iter(result.customer_labels(result.default_segments())))
    # the case that matters: the old first still bought in the year, but another heads the year's list
    assert first_of_all != first_of_year and first_of_all in set(result.customers["customer_id"].to_list())
    app.sidebar.date_input(key="flt_dates").set_value((year.start, year.end)).run()
    _no_exception(app)
    assert app.selectbox(key="seg_customer").value == first_of_year
    assert "customer" not in app.query_params
    later = Window(date(2011, 6, 1), date(2011, 12, 9))
    still = set(segments_model.segments(con, later).customers["customer_id"].to_list())  # type: ignore[arg-type]
    picked = next(c for c in list(result.customer_labels(result.default_segments()))[1:] if c in still)
    app.selectbox(key="seg_customer").set_value(picked).run()
    app.sidebar.date_input(key="flt_dates").set_value((later.start, later.end)).run()
    _no_exception(app)
    assert app.selectbox(key="seg_customer").value == picked  # still bought in the new range: it stays
    assert app.query_params.get("customer") == str(picked)


# --- Data -----------------------------------------------------------------------------------------------


def test_data_page_shows_the_store(app: AppTest, demo_store: Path) -> None:
    app.switch_page("pages/data.py").run()
    _no_exception(app)
    assert _metrics(app)["Lines"] == "20,000"
    assert any("Nothing quarantined" in s.value for s in app.success)
    assert "Sync PostgreSQL" not in [b.label for b in app.button]


def test_first_run_generates_demo_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "fresh" / "store.duckdb"
    monkeypatch.setenv("LGS_DB", str(db))
    monkeypatch.setenv("LGS_DEMO_ROWS", "12000")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert db.exists()
    assert _metrics(at)["Sales"].startswith("£")
    at.switch_page("pages/data.py").run()
    assert _metrics(at)["Lines"] == "12,000"


def test_an_unreachable_postgres_is_one_line_and_the_app_still_opens(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["postgres"] = {
        "host": "127.0.0.1",
        "port": 1,  # nothing listens there: refused at once
        "dbname": "lgs",
        "user": "lgs_reader",
        "password": "s3cret-pw",
    }
    at.run()
    assert not at.exception
    assert at.error, "the failed start-up sync says so"
    message = at.error[0].value
    assert "\n" not in message and "s3cret-pw" not in message
    assert _metrics(at)["Sales"].startswith("£")  # what the store holds is still there
    assert "Refresh from PostgreSQL" in [b.label for b in at.sidebar.button]
    at.switch_page("pages/data.py").run()
    assert "Sync PostgreSQL" in [b.label for b in at.button]


# --- plain words, whole views in the link, first visit (issue #15) ------------------------------------------

# Formulas, statistics and file names: one click away (an expander below), never in a label, help or caption.
TECHNICAL = (
    "Σ",
    "|z|",
    "BG/NBD",
    "Gamma-Gamma",
    "t_x",
    "pandas",
    "docs/",
    ".md",
    "regex",
    "qcut",
    "MAD",
    "[1-2]",
    "÷",
)
DETAILS = {
    "Definitions and formulas",
    "The scoring in detail",
    "Why it was flagged",
    "Why it is only a watch",
    "The models behind the predictions (statistics)",
}


def _texts(node: object, out: list[str]) -> list[str]:
    """Every label, help, caption, Markdown and alert text under ``node``, except inside a details expander."""
    proto = getattr(node, "proto", None)
    if getattr(node, "type", None) == "expander":
        if node.label in DETAILS:  # type: ignore[attr-defined]
            return out
        out.append(node.label)  # type: ignore[attr-defined]
    for field in ("label", "help", "body"):
        value = getattr(proto, field, None) if proto is not None else None
        if isinstance(value, str) and value:
            out.append(value)
    for child in getattr(node, "children", {}).values():
        _texts(child, out)
    return out


@pytest.mark.parametrize(
    ("page", "tab"),
    [
        ("pages/overview.py", None),
        ("pages/orders.py", None),
        ("pages/segments.py", None),
        ("pages/reports.py", None),
        ("pages/data.py", None),
        ("pages/deeper_segments.py", "Cohort retention"),
        ("pages/deeper_segments.py", "Segment migration"),
        ("pages/deeper_segments.py", "Lifetime value"),
        ("pages/deeper_segments.py", "Product affinity"),
    ],
)
def test_every_label_and_help_is_in_plain_words(app: AppTest, page: str, tab: str | None) -> None:
    if tab is not None:
        app.session_state["deeper_tab"] = tab
    app.switch_page(page).run()
    _no_exception(app)
    texts = _texts(app.main, []) + _texts(app.sidebar, [])
    found = sorted({f"{word!r} in {text[:90]!r}" for text in texts for word in TECHNICAL if word in text})
    assert not found, found
    for frame in app.dataframe:  # no "None" cell: an empty one shows "–"
        table = frame.value
        assert not RAW_KEYS & set(map(str, table.columns)), (page, tab, list(table.columns))
        if table.isna().any().any():
            assert frame.proto.placeholder, (page, tab, list(table.columns))
        assert not (table.astype(str) == "None").any().any(), (page, tab)


def _segment_list(at: AppTest) -> list[int]:
    table = next(d.value for d in at.dataframe if "RFM score" in d.value.columns)
    return sorted(int(c) for c in table["Customer"])


def test_a_copied_link_reproduces_the_scoring_the_map_and_the_list(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, con: object
) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("pages/segments.py").run()
    _button_group(at, "Scoring").set_value("thresholds").run()
    at.number_input(key="th_f_5_3").set_value(8).run()  # F 5: at least 8 orders
    _button_group(at, "Segment map").set_value("custom").run()
    _no_exception(at)
    # A cell edit as the grid editor records it: the first row is R=5; its F=4 cell becomes "VIP".
    at.session_state["grid_5"] = {"edited_rows": {0: {"F=4": "VIP"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.multiselect(key="seg_segments").set_value(["Champions", "VIP"]).run()
    _no_exception(at)
    link = {k: at.query_params[k] for k in at.query_params}
    shown = _segment_list(at)
    summary = _segment_table(at)["customers"].to_list()
    assert {k: link[k] for k in ("scoring", "map", "cell")} == {
        "scoring": "thresholds",
        "map": "custom",
        "cell": "54:VIP",
    }
    assert link["th"] == "r=30,90,180,365;f=2,3,5,8;m=100,500,1000,5000" and "segment" in link

    fresh = AppTest.from_file(APP, default_timeout=TIMEOUT)  # a colleague opens the link
    fresh.switch_page("pages/segments.py")
    fresh.query_params.update(link)
    fresh.run()
    _no_exception(fresh)
    assert not fresh.warning, [w.value for w in fresh.warning]
    assert _segment_list(fresh) == shown
    assert _segment_table(fresh)["customers"].to_list() == summary
    cuts = segment_maps.default_thresholds(5)
    thresholds = rfm.FixedCuts(cuts.recency, (*cuts.frequency[:3], 8), cuts.monetary, at_least=True)
    grid = {**rfm.CLASSIC10.lookup(), "54": "VIP"}
    params = rfm.RfmParams(scoring="fixed", cuts=thresholds, segment_map=grid)
    expected = segments_model.segments(con, Window(), params)  # type: ignore[arg-type]
    assert shown == sorted(expected.customers_of(["Champions", "VIP"])["customer_id"].to_list())
    assert expected.customers_of(["VIP"]).height > 0


def test_a_rule_list_is_in_the_link(demo_store: Path, monkeypatch: pytest.MonkeyPatch, con: object) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("pages/segments.py").run()
    _button_group(at, "List").set_value("rule").run()
    at.number_input(key="seg_rule_within").set_value(60).run()
    at.number_input(key="seg_rule_orders").set_value(3).run()
    _no_exception(at)
    assert {k: at.query_params[k] for k in ("list", "within", "orders")} == {
        "list": "rule",
        "within": "60",
        "orders": "3",
    }
    result = segments_model.segments(con, Window())  # type: ignore[arg-type]
    expected = result.customers.filter((pl.col("recency_days") <= 60) & (pl.col("frequency") >= 3))
    assert _segment_list(at) == sorted(expected["customer_id"].to_list())
    assert _metrics(at)["Customers on the list"] == f"{expected.height:,}"
    fresh = AppTest.from_file(APP, default_timeout=TIMEOUT)
    fresh.switch_page("pages/segments.py")
    fresh.query_params.update({"list": "rule", "within": "60", "orders": "3"})
    fresh.run()
    assert _segment_list(fresh) == sorted(expected["customer_id"].to_list())


def test_a_link_value_that_does_not_fit_is_named_in_one_line(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"country": "Atlantis"})
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        literal("From the link: country “Atlantis” is not in the data: left out (all countries shown).")
    ]
    assert at.sidebar.multiselect(key="flt_countries").value == []
    at.run()  # the link now holds what is shown: the notice is not repeated
    assert not at.warning


def test_demo_data_says_so_until_real_data_is_loaded(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_csv: Path
) -> None:
    banner = "You are looking at demo data — load your own on the Data page."
    assert [i.value for i in app.info] == [banner]
    from lgs_core.sources.ingest import load_file

    real = tmp_path / "real.duckdb"
    load_file(sample_csv, real)
    monkeypatch.setenv("LGS_DB", str(real))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _no_exception(at)
    assert banner not in [i.value for i in at.info]


def test_streamlit_does_not_collect_the_whole_heap_after_every_run() -> None:
    """Streamlit's default runs gc.collect(2) after each script run, holding the GIL while the run's last
    messages wait: every click waited for a full collection of this app's heap (issue #14: a cached Overview
    click 0.45 -> 0.26 s in Chromium). The app's config turns it off."""
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
