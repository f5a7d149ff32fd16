"""The weekly report on real DuckDB stores: injected anomalies are exactly what is flagged, plain demo data
stays quiet through the November ramp, the floor silences small counts, the figures reconcile with
`analytics.weekly`, and the three renderings (HTML self-contained, Markdown, JSON) and the chart hold
what they should. The real sample gives a report too.
"""

from __future__ import annotations

import html
import json
import re
import statistics
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fixtures.report_data import (
    DIP_WEEK,
    EARLY_SPIKE_WEEK,
    SPIKE_WEEK,
    injected_store,
    plain_store,
)

from lgs_core.analyses import analytics
from lgs_core.analyses.anomaly import DETECTED, DetectorSettings
from lgs_core.errors import LgsError
from lgs_core.query.window import Window, bind
from lgs_core.report import report
from lgs_core.sources.ingest import load_file
from lgs_core.sqlfiles import SQL_DIR, read_sql
from lgs_core.store import store

REPO = Path(__file__).resolve().parents[2]
LAST_COMPLETE = date(2011, 11, 28)  # the demo data ends on Fri 9 Dec 2011: 2011-W48 is the last full week
CLOSED_WEEK = date(2010, 12, 27)  # 2010-W52: the demo shop is closed 24 Dec – 3 Jan


@pytest.fixture(scope="module")
def plain() -> Iterator[duckdb.DuckDBPyConnection]:
    con = store.connect(plain_store(), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def injected() -> Iterator[duckdb.DuckDBPyConnection]:
    con = store.connect(injected_store(), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def spike_report(injected: duckdb.DuckDBPyConnection) -> report.WeeklyReport:
    return report.build_report(injected, as_of=SPIKE_WEEK + timedelta(days=6))


def flagged(assessments: list, statuses: tuple[str, ...] = ("spike", "dip")) -> dict[date, str]:
    return {a.week_start: a.status for a in assessments if a.status in statuses}


def in_november_ramp(week: date) -> bool:
    return 44 <= week.isocalendar()[1] <= 48  # Monday 25 Oct / 1 Nov … 29 Nov / 5 Dec


# --- the detector over two years of demo data ---------------------------------------------------------------


def test_exactly_the_injected_weeks_are_flagged_in_the_right_direction(
    injected: duckdb.DuckDBPyConnection,
) -> None:
    weeks = report.assess_weeks(injected)
    new = weeks["new_customers"]
    assert len(new) == 105 and new[0].week_start == date(2009, 11, 30) and new[-1].week_start == LAST_COMPLETE
    assert flagged(new) == {SPIKE_WEEK: "spike", DIP_WEEK: "dip"}
    by_week = {a.week_start: a for a in new}
    spike, dip = by_week[SPIKE_WEEK], by_week[DIP_WEEK]
    assert spike.median is not None and float(spike.value) >= 3 * spike.median - 1
    assert dip.value == 0 and dip.median is not None and dip.median >= 15
    # The first-year spike is as large, but with no same week last year it is a watch, never a flag.
    assert by_week[EARLY_SPIKE_WEEK].status == "watch"
    assert "no same week last year" in by_week[EARLY_SPIKE_WEEK].reason


def test_plain_demo_data_stays_quiet_through_the_seasons(plain: duckdb.DuckDBPyConnection) -> None:
    weeks = report.assess_weeks(plain)
    for metric in DETECTED:
        found = flagged(weeks[metric])
        assert len(found) <= 3, (metric, found)
        assert not [w for w in found if in_november_ramp(w)], (metric, found)
    assert flagged(weeks["new_customers"]) == {}


def test_without_the_seasonal_check_the_ramps_would_flag(plain: duckdb.DuckDBPyConnection) -> None:
    """Why the detector compares with last year: the plain rule (z and floor only) flags the ramps."""
    weeks = report.assess_weeks(plain, settings=DetectorSettings(seasonal=False))
    orders = flagged(weeks["orders"])
    assert len(orders) > 10
    assert [w for w in orders if in_november_ramp(w)]
    assert len(flagged(weeks["new_customers"])) > 3


def test_the_floor_keeps_a_small_country_quiet(plain: duckdb.DuckDBPyConnection) -> None:
    # France: about one new customer every few weeks, tens of orders. z alone would flag; the floor says no.
    weeks = report.assess_weeks(plain, countries=["France"], settings=DetectorSettings(seasonal=False))
    new = weeks["new_customers"]
    held_back = [a for a in new if a.z is not None and abs(a.z) >= 3 and "minimum" in a.reason]
    assert held_back, "no week where the floor was needed: the test does not test it"
    assert flagged(new) == {}
    assert max(a.value for a in new) < 8
    no_floor = report.assess_weeks(
        plain,
        countries=["France"],
        settings=DetectorSettings(seasonal=False, min_change={"new_customers": 0}),
    )
    assert flagged(no_floor["new_customers"])


# --- one week's report ------------------------------------------------------------------------------------------


def test_the_spike_report_names_it_and_breaks_it_down_by_country(spike_report: report.WeeklyReport) -> None:
    r = spike_report
    assert (r.label, r.week_start, r.week_end) == ("2011-W20", SPIKE_WEEK, date(2011, 5, 22))
    assert [(f.metric, f.assessment.status) for f in r.flags if f.metric == "new_customers"] == [
        ("new_customers", "spike")
    ]
    flag = next(f for f in r.flags if f.metric == "new_customers")
    assert re.fullmatch(
        r"New customers \d+, expected \d+–\d+ \(median \d+\), \+\d+% on the same week last year \(\d+\)\.",
        flag.text,
    ), flag.text
    assert flag.countries[0].country == "Germany"
    assert flag.countries[0].change > 0 and all(c.change > 0 for c in flag.countries)
    assert "Germany +" in flag.countries_text()
    assert r.flag_count == len(r.flags) >= 1 and not r.quiet
    assert r.subject.startswith("LGS weekly report 2011-W20 (16 May – 22 May 2011): ")
    assert r.subject.endswith(f"{r.flag_count} flag" + ("s" if r.flag_count > 1 else ""))


def test_the_dip_report_points_at_the_home_market(injected: duckdb.DuckDBPyConnection) -> None:
    r = report.build_report(injected, as_of=DIP_WEEK + timedelta(days=6))
    flag = next(f for f in r.flags if f.metric == "new_customers")
    assert flag.assessment.status == "dip" and flag.arrow == "▼"
    assert flag.text.startswith("New customers 0, expected ")
    assert flag.countries[0].country == "United Kingdom" and flag.countries[0].change < 0


def test_the_figures_reconcile_with_the_weekly_analysis(plain: duckdb.DuckDBPyConnection) -> None:
    r = report.build_report(plain)
    assert r.week_start == LAST_COMPLETE and r.trading
    weekly = {row["week_start"]: row for row in analytics.weekly(plain, Window()).iter_rows(named=True)}
    this, last_week, last_year = weekly[LAST_COMPLETE], weekly[date(2011, 11, 21)], weekly[date(2010, 11, 29)]
    assert date(2010, 11, 29).isocalendar()[:2] == (2010, 48)
    for key, column in (
        ("new_customers", "new_customers"),
        ("active_customers", "active_customers"),
        ("orders", "placed"),
        ("sales", "sales"),
    ):
        kpi = r.kpi(key)
        assert (kpi.value, kpi.last_week, kpi.last_year) == (
            this[column],
            last_week[column],
            last_year[column],
        )
    assert isinstance(r.kpi("sales").value, Decimal)
    # AOV: the orders' lines before refunds ÷ orders, checked against the lines directly.
    value = plain.execute(
        """
        select sum(line_amount) from lines
        where not is_cancellation and invoice_date >= $start and invoice_date < $end
        """,
        {"start": LAST_COMPLETE, "end": LAST_COMPLETE + timedelta(days=7)},
    ).fetchall()[0][0]
    assert r.kpi("aov").value == (Decimal(value) / this["placed"]).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    assert r.kpi("cancel_rate").value == pytest.approx(100 * this["canceled"] / this["placed"])
    # The trailing median: the 12 trading weeks before, the closed Christmas week skipped.
    baseline = [weekly[LAST_COMPLETE - timedelta(weeks=k)]["new_customers"] for k in range(1, 13)]
    assert r.kpi("new_customers").trailing_median == statistics.median(baseline)
    sales_kpi = r.kpi("sales")
    assert sales_kpi.change(sales_kpi.last_week) == pytest.approx(
        100 * float(this["sales"] - last_week["sales"]) / float(last_week["sales"])
    )


def test_which_week(plain: duckdb.DuckDBPyConnection) -> None:
    assert report.complete_weeks(plain)[0] == LAST_COMPLETE
    assert report.complete_weeks(plain)[-1] == date(2009, 11, 30)
    assert report.build_report(plain, as_of=date(2011, 5, 22)).week_start == date(2011, 5, 16)  # a Sunday
    assert report.build_report(plain, as_of=date(2011, 5, 25)).week_start == date(2011, 5, 16)  # mid-week
    # Up to two days of missing weekend are a note; more is a stale store, an error that says what to do.
    edge = report.build_report(plain, as_of=date(2011, 12, 11))
    assert edge.week_start == date(2011, 12, 5) and any("hold no lines yet" in n for n in edge.notes)
    with pytest.raises(LgsError, match=r"--as-of: the data ends on Fri 09 Dec 2011.*2011-12-04"):
        report.build_report(plain, as_of=date(2012, 1, 9))
    with pytest.raises(LgsError, match="before the data starts"):
        report.build_report(plain, as_of=date(2009, 11, 1))
    with pytest.raises(LgsError, match="--weeks"):
        report.build_report(plain, weeks=0)


def test_a_closed_week_is_reported_as_closed_not_as_a_dip(plain: duckdb.DuckDBPyConnection) -> None:
    r = report.build_report(plain, as_of=CLOSED_WEEK + timedelta(days=6))
    assert r.week_start == CLOSED_WEEK and not r.trading
    assert r.flags == () and r.quiet
    assert any("closed" in note for note in r.notes)
    assert all(r.history[m][-1].status == "closed" for m in DETECTED)


def test_history_length(plain: duckdb.DuckDBPyConnection) -> None:
    r = report.build_report(plain, weeks=8)
    assert r.weeks.height == 8 and all(len(h) == 8 for h in r.history.values())
    assert r.weeks["week_start"][-1] == LAST_COMPLETE and r.history["sales"][-1].week_start == LAST_COMPLETE


def test_an_empty_store_says_what_to_do(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "empty.duckdb")
    try:
        with pytest.raises(LgsError, match="holds no lines.*demo"):
            report.build_report(con)
    finally:
        con.close()


# --- the renderings ---------------------------------------------------------------------------------------------

_FETCHES = re.compile(
    r"<script|<link|<iframe|<object|<embed|@import|@font-face|url\(|src\s*=\s*[\"']?(?!data:)|"
    r"href\s*=\s*[\"']?(?!#)",
    re.IGNORECASE,
)


def test_html_is_self_contained_and_holds_the_flags(spike_report: report.WeeklyReport) -> None:
    page = report.to_html(spike_report)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not _FETCHES.findall(page), set(_FETCHES.findall(page))
    # The only URLs are the SVG namespaces (names, never fetched).
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert page.count("<svg") == len(DETECTED)
    for flag in spike_report.flags:
        assert html.escape(flag.text) in page
        assert html.escape(flag.countries_text()) in page
    assert "2011-W20" in page and "Average order value" in page


def test_markdown_and_json(spike_report: report.WeeklyReport) -> None:
    text = report.to_markdown(spike_report)
    assert text.startswith(f"# {spike_report.title}")
    for flag in spike_report.flags:
        assert flag.text in text
    body = json.loads(report.to_json_text(spike_report))
    assert body["week"] == {"iso": "2011-W20", "start": "2011-05-16", "end": "2011-05-22", "trading": True}
    assert body["flag_count"] == spike_report.flag_count and body["quiet"] is False
    new = next(f for f in body["flags"] if f["metric"] == "new_customers")
    assert new["status"] == "spike" and new["countries"][0]["country"] == "Germany"
    assert new["explanation"] == next(f.text for f in spike_report.flags if f.metric == "new_customers")
    assert {k["key"] for k in body["kpis"]} == {
        "new_customers",
        "active_customers",
        "orders",
        "sales",
        "aov",
        "cancel_rate",
    }
    sales = next(k for k in body["kpis"] if k["key"] == "sales")
    assert sales["unit"] == "GBP" and round(sales["value"], 2) == sales["value"]
    assert len(body["weeks"]) == report.DEFAULT_WEEKS and body["weeks"][-1]["iso_week"] == "2011-W20"
    assert body["weeks"][-1]["status"]["new_customers"] == "spike"
    assert body["settings"]["min_change"] == {"new_customers": 8, "orders": 25, "sales": 5000}


def test_the_chart_marks_flagged_weeks_against_the_band(spike_report: report.WeeklyReport) -> None:
    spec = report.weekly_chart(spike_report, "new_customers").to_dict()
    layers = spec["layer"]
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers]
    assert marks == ["area", "line", "line", "point", "rule"]
    band = layers[0]["encoding"]
    assert (band["y"]["field"], band["y2"]["field"]) == ("low", "high")
    points = layers[3]["encoding"]
    assert points["color"]["field"] == "status"
    assert {"spike", "dip", "watch"} <= set(points["color"]["scale"]["domain"])
    rows = next(iter(spec["datasets"].values())) if "datasets" in spec else layers[0]["data"]["values"]
    by_week = {row["week_start"]: row for row in rows}
    spike = by_week[SPIKE_WEEK.isoformat()]
    assert spike["status"] == "spike" and spike["flagged"] is True and spike["value"] > spike["high"]
    assert sum(row["flagged"] for row in rows) == 1
    assert all(row["low"] <= row["value"] <= row["high"] for row in rows if row["status"] == "normal")
    svg = report.chart_svg(report.weekly_chart(spike_report, "new_customers"))
    assert svg.lstrip().startswith(("<svg", "<?xml")) and "New customers per week" in svg


def test_write_report(spike_report: report.WeeklyReport, tmp_path: Path) -> None:
    written = report.write_report(spike_report, tmp_path / "new" / "folder", ["md", "json"])
    assert [p.name for p in written] == ["lgs-weekly-2011-W20.md", "lgs-weekly-2011-W20.json"]
    assert report.parse_formats("html, MD,json,md") == ("html", "md", "json")
    with pytest.raises(LgsError, match="--format"):
        report.parse_formats("pdf")


# --- the real sample ------------------------------------------------------------------------------------------


def test_the_real_sample_gives_a_report(sample_xlsx: Path, tmp_path: Path) -> None:
    db = tmp_path / "sample.duckdb"
    load_file(sample_xlsx, db)
    con = store.connect(db, read_only=True)
    try:
        r = report.build_report(con)
        weeks = report.assess_weeks(con)
    finally:
        con.close()
    assert r.week_start == date(2011, 11, 28)  # the sample ends with the full set, on Fri 9 Dec 2011
    assert r.kpi("orders").value and r.kpi("sales").value
    # Ten countries, 262 customers in two years: a handful of new customers a week never clears the floor.
    assert flagged(weeks["new_customers"]) == {}
    for fmt in report.FORMATS:
        assert report.render(r, fmt)
    json.loads(report.to_json_text(r))


def test_the_report_modules_never_import_streamlit() -> None:
    code = (
        "import sys, lgs_core.report.report, lgs_core.analyses.anomaly, lgs_core.report.mailer, lgs_core.cli.report; "
        "print('streamlit' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "False"


def test_a_first_year_anomaly_is_a_watch_not_a_flag(injected: duckdb.DuckDBPyConnection) -> None:
    r = report.build_report(injected, as_of=EARLY_SPIKE_WEEK + timedelta(days=6))
    assert r.quiet and r.flags == ()
    assert [w.metric for w in r.watches][:1] == ["new_customers"]
    assert r.summary == f"nothing flagged, {len(r.watches)} to watch" and r.subject.endswith(r.summary)
    assert any("first year" in note for note in r.notes)
    assert "Not a flag: |z|" in report.to_markdown(r)


# --- the report's SQL: data contracts ----------------------------------------------------------------------

REPORT_SQL = sorted((SQL_DIR / "report").glob("*.sql"))


@pytest.mark.parametrize("path", REPORT_SQL, ids=lambda p: p.name)
def test_report_queries_follow_the_house_style(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("-- ") and "Grain:" in text and "Units:" in text
    assert text.rstrip().endswith("select * from final")
    assert "{" not in text  # parameters only, never formatting


def test_country_weeks_reconcile_with_the_weekly_totals(injected: duckdb.DuckDBPyConnection) -> None:
    weeks = [SPIKE_WEEK, DIP_WEEK, CLOSED_WEEK]
    scan = Window(start=min(weeks), end=max(weeks) + timedelta(days=6))
    sql, params = bind(read_sql("report/country_weeks.sql"), {**scan.params(), "weeks": weeks})
    rows = injected.sql(sql, params=params).pl()
    assert rows.select("week_start", "country").is_duplicated().sum() == 0
    assert set(rows["week_start"]) == {SPIKE_WEEK, DIP_WEEK}  # the closed week has no row at all
    weekly = {r["week_start"]: r for r in analytics.weekly(injected, scan).iter_rows(named=True)}
    for week in (SPIKE_WEEK, DIP_WEEK):
        mine = rows.filter(pl.col("week_start") == week)
        assert mine["orders"].sum() == weekly[week]["placed"]
        assert mine["sales"].sum() == weekly[week]["sales"]
        assert mine["new_customers"].sum() >= weekly[week]["new_customers"]
    assert rows.filter(pl.col("week_start") == DIP_WEEK)["new_customers"].sum() == 0
    assert (
        rows.filter((pl.col("week_start") == SPIKE_WEEK) & (pl.col("country") == "Germany"))[
            "new_customers"
        ].item()
        >= 30
    )


# --- the report as the page shows it (issue #15) ---------------------------------------------------------


def test_a_card_delta_starts_with_an_ascii_minus_for_a_fall(spike_report: report.WeeklyReport) -> None:
    # Streamlit draws a green ↑ for any delta not starting with "-": the Unicode "−14%" showed a fall as a rise.
    for kpi in spike_report.kpis:
        change = kpi.change(kpi.last_week)
        delta = kpi.card_delta(kpi.last_week)
        assert change is not None and delta is not None
        unit = " pp" if kpi.kind == "pct" else "%"
        if round(change, 1 if kpi.kind == "pct" else 0) == 0:
            assert delta == f"0{unit}"
        else:
            assert delta[0] == ("+" if change > 0 else "-") and delta.endswith(unit), (kpi.key, delta)
    assert [k.key for k in spike_report.kpis if not k.rise_is_good] == ["cancel_rate"]
    aov = spike_report.kpi("aov")
    # One formatter (issue #17): the report's tables write the change as its cards do, with the ASCII minus.
    assert aov.change_text(aov.last_week) == aov.card_delta(aov.last_week) == "-2%"


def test_the_weeks_table_reads_as_text_with_the_flagged_week_in_words(
    spike_report: report.WeeklyReport,
) -> None:
    table = report.history_table(spike_report)
    assert table.columns[-1] == "Flags" and table.dtypes == [pl.String] * table.width
    newest = table.row(0, named=True)
    week = spike_report.weeks.row(-1, named=True)
    assert newest["Week"] == "2011-W20 · 16 May 2011"
    assert newest["Sales (£)"] == f"£{week['sales']:,.2f}" and "," in newest["Sales (£)"]
    assert newest["Cancellation rate"] == f"{week['cancel_rate']:.1f}%"
    assert newest["Flags"] == "▲ spike in new customers"
    assert all(re.fullmatch(r"£[\d,]+\.\d\d|–", v) for v in table["Sales (£)"])
    assert report.flagged_weeks(spike_report) == [
        "Week 20 of 2011 (16 May): ▲ spike in new customers: "
        + spike_report.history["new_customers"][-1].explanation()
    ]
    assert spike_report.heading == "Week 20 of 2011 (16 May – 22 May 2011)"


def test_the_page_chart_fits_its_width_and_keeps_its_height(spike_report: report.WeeklyReport) -> None:
    page = report.weekly_chart(spike_report, "sales", width="container").to_dict()
    # Streamlit makes a chart without its own autosize "fit": its 240 px then held the title, axes and legend,
    # and the plot came out 0 px high (a flat line, no band, the legend cut).
    assert page["autosize"] == {"type": "fit-x", "contains": "padding"} and page["height"] == 240
    legend = page["layer"][3]["encoding"]["color"]["legend"]
    assert "'too_early': 'Too early to judge'" in legend["labelExpr"]
    assert page["layer"][0]["encoding"]["y"]["axis"]["labelExpr"] == "'£' + datum.label"
    email = report.weekly_chart(spike_report, "sales").to_dict()  # the HTML and email: a fixed width
    assert "autosize" not in email and email["width"] == 640
