"""The weekly report names the saved segments whose size moved unusually (lgs_core.analyses.saved_segments.size_moves,
judged by lgs_core.analyses.anomaly's detector), on a real demo store with a planted jump."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from lgs_core.analyses.anomaly import SEGMENT_CUSTOMERS, detect
from lgs_core.analyses.saved_segments import SaveSegment, apply_change, size_moves, weekly_sizes
from lgs_core.analyses.segment_rules import Condition, all_of
from lgs_core.present.display import literal, shown
from lgs_core.query.window import Window
from lgs_core.report import report
from lgs_core.report import week as report_week_module
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

NEW_PRODUCT = "99999Z"  # a product nobody bought before the report's week
HOSTILE_NAME = "<script>alert('x')</script> | **bold**"
PLANTED = 40


def _plant(db: Path, week: date) -> None:
    """PLANTED existing customers buy NEW_PRODUCT on the report week's Wednesday."""
    con = store.connect(db)
    try:
        customers = [
            int(r[0])
            for r in con.sql(
                "select distinct customer_id from lines where customer_id is not null order by 1 limit $n",
                params={"n": PLANTED},
            ).fetchall()
        ]
        day = datetime.combine(week + timedelta(days=2), datetime.min.time()) + timedelta(hours=11)
        staged = pl.DataFrame(
            {
                "source_row": list(range(1, PLANTED + 1)),
                "invoice": [str(590000 + i) for i in range(PLANTED)],
                "stock_code": [NEW_PRODUCT] * PLANTED,
                "description": ["NEW RANGE CANDLE"] * PLANTED,
                "quantity": [1] * PLANTED,
                "invoice_date": [day] * PLANTED,
                "unit_price": [Decimal("10")] * PLANTED,
                "customer_id": customers,
                "country": ["United Kingdom"] * PLANTED,
            },
            schema={
                "source_row": pl.Int64,
                "invoice": pl.String,
                "stock_code": pl.String,
                "description": pl.String,
                "quantity": pl.Int32,
                "invoice_date": pl.Datetime("us"),
                "unit_price": pl.Decimal(18, 3),
                "customer_id": pl.Int32,
                "country": pl.String,
            },
        )
        with store.transaction(con):
            load_id = store.next_load_id(con)
            con.register("staged_lines", staged)
            store.insert_staged_lines(con, load_id)
            con.unregister("staged_lines")
            store.refresh_summaries(con)
        apply_change(con, SaveSegment(HOSTILE_NAME, all_of(Condition.make("product", "in", [NEW_PRODUCT]))))
        apply_change(con, SaveSegment("Recent buyers", all_of(Condition.make("recency_days", "le", [30]))))
    finally:
        con.close()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report-segments") / "store.duckdb"
    load_demo(db, rows=150_000, seed=42)
    con = store.connect(db, read_only=True)
    try:
        week = report.complete_weeks(con)[0]
    finally:
        con.close()
    _plant(db, week)
    return db


def test_the_report_names_the_segment_that_jumped(planted: Path) -> None:
    con = store.connect(planted, read_only=True)
    try:
        rep = report.build_report(con)
    finally:
        con.close()
    moves = {m.name: m for m in rep.segment_moves}
    assert set(moves) == {HOSTILE_NAME, "Recent buyers"}
    jumped = moves[HOSTILE_NAME]
    assert jumped.flagged and jumped.assessment.status == "spike"
    assert jumped.assessment.value == PLANTED and jumped.assessment.median == 0
    assert rep.moved_segments == (jumped,) and rep.segment_moves[0] is jumped  # moved ones first
    assert not moves["Recent buyers"].flagged
    assert not rep.quiet and rep.flag_count == len(rep.flags) + 1
    assert jumped.text().startswith(f"▲ {HOSTILE_NAME}: Customers in the segment 40, expected")

    body = json.loads(report.to_json_text(rep))
    assert [s["segment"] for s in body["saved_segments"]] == [HOSTILE_NAME, "Recent buyers"]
    assert body["saved_segments"][0]["status"] == "spike" and body["flag_count"] == rep.flag_count
    page = report.to_html(rep)
    assert "<h2>Saved segments</h2>" in page and HOSTILE_NAME not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    markdown = report.to_markdown(rep)
    assert "## Saved segments" in markdown
    # The name a user typed is its characters in a Markdown viewer: no bold, no HTML, no table cell break.
    assert "**bold**" not in markdown and "<script>" not in markdown
    assert shown(literal(HOSTILE_NAME)) == HOSTILE_NAME and markdown.count(literal(HOSTILE_NAME)) == 2


def test_weekly_sizes_are_the_rule_at_each_weeks_end(planted: Path) -> None:
    con = store.connect(planted, read_only=True)
    try:
        weeks = report.complete_weeks(con)[:3][::-1]
        from lgs_core.analyses.saved_segments import customer_facts, evaluate, list_segments

        segments = list_segments(con)
        sizes = weekly_sizes(con, Window(), segments, weeks)
        for segment in segments:
            for row in sizes[segment.name].iter_rows(named=True):
                monday = row["week_start"] + timedelta(days=7)
                facts = customer_facts(con, Window(end=monday - timedelta(days=1)), reference_date=monday)
                assert row["customers"] == evaluate(con, facts, segment.rule).count
    finally:
        con.close()


def test_without_saved_segments_the_report_is_as_before(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    load_demo(db, rows=40_000, seed=3)
    con = store.connect(db, read_only=True)
    try:
        rep = report.build_report(con)
        assert rep.segment_moves == () and rep.flag_count == len(rep.flags)
        assert (
            "Saved segments" not in report.to_html(rep)
            and json.loads(report.to_json_text(rep))["saved_segments"] == []
        )
        first, _ = report_week_module.data_days(con)
        assert (
            size_moves(
                con, report.weekly_table(con, Window(end=rep.week_end), first, rep.week_start), Window()
            )
            == ()
        )
    finally:
        con.close()


def test_the_detector_judges_a_segments_size_as_a_count() -> None:
    weeks = [date(2010, 1, 4) + timedelta(days=7 * i) for i in range(70)]
    sizes = [100 + (i % 3) for i in range(69)] + [160]
    table = pl.DataFrame(
        {
            "week_start": weeks,
            "iso_year": [w.isocalendar()[0] for w in weeks],
            "iso_week": [w.isocalendar()[1] for w in weeks],
            "trading": [True] * 70,
            SEGMENT_CUSTOMERS.key: sizes,
        }
    )
    judged = detect(table, SEGMENT_CUSTOMERS.key)
    assert judged[-1].status == "spike" and judged[-2].status == "normal"
    assert judged[-1].explanation().startswith("Customers in the segment 160, expected")
    small = table.with_columns(pl.Series(SEGMENT_CUSTOMERS.key, [1] * 69 + [5]))
    assert detect(small, SEGMENT_CUSTOMERS.key)[-1].status == "normal"  # under the 5-customer floor


def test_the_reports_page_names_the_segment(planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("LGS_DB", str(planted))
    monkeypatch.chdir(repo)
    at = AppTest.from_file(str(repo / "streamlit_app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/reports.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [t.value for t in at.text]
    assert any(t.startswith(f"▲ {HOSTILE_NAME}: Customers in the segment 40") for t in shown), shown
    table = next(d.value for d in at.dataframe if "Saved segment" in d.value.columns)
    assert list(table["Saved segment"]) == [HOSTILE_NAME, "Recent buyers"]


@pytest.mark.parametrize("weeks_back", [0, 2, 49, 62])  # the report's week, and weeks around new year
def test_judging_only_the_weeks_the_detector_reads_changes_nothing(planted: Path, weeks_back: int) -> None:
    from lgs_core.analyses.saved_segments import REPORT_HISTORY_WEEKS, list_segments

    con = store.connect(planted, read_only=True)
    try:
        first, _ = report_week_module.data_days(con)
        week = report.complete_weeks(con)[weeks_back]
        window = Window(end=week + timedelta(days=6))
        table = report.weekly_table(con, window, first, week)
        fast = {m.name: m.assessment for m in size_moves(con, table, window)}
        recent = table.sort("week_start").tail(REPORT_HISTORY_WEEKS)
        segments = list_segments(con)
        sizes = weekly_sizes(con, window, segments, recent["week_start"].to_list())
        for segment in segments:
            full = recent.join(sizes[segment.name], on="week_start").rename(
                {"customers": SEGMENT_CUSTOMERS.key}
            )
            slow = detect(full, SEGMENT_CUSTOMERS.key)[-1]
            quick = fast[segment.name]
            assert (quick.status, quick.value, quick.median, quick.z, quick.last_year) == (
                slow.status,
                slow.value,
                slow.median,
                slow.z,
                slow.last_year,
            ), segment.name
            assert quick.seasonal_z == slow.seasonal_z and quick.baseline_weeks == slow.baseline_weeks
    finally:
        con.close()


def test_lgs_report_names_the_segment_and_exits_3(
    planted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lgs_core import cli

    code = cli.main(["report", "--db", str(planted), "--out", str(tmp_path), "--format", "md"])
    out = capsys.readouterr().out
    assert code == 3
    assert f"  saved segment: ▲ {HOSTILE_NAME}: Customers in the segment 40" in out
    assert "## Saved segments" in next(tmp_path.glob("*.md")).read_text(encoding="utf-8")
