"""Saved segments (lgs_core.analyses.saved_segments): kept by name in the store, the same facts as RFM, over time, who moved.

Real DuckDB files: the hand-made store of tests/fixtures/segment_fixtures.py (answers known by hand) and the real sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fixtures.segment_fixtures import HOSTILE_COUNTRY, MARKETER_CUSTOMERS, make_segment_store

from lgs_core.analyses import clv, rfm
from lgs_core.analyses.saved_segments import (
    IN_STATE,
    NEW_STATE,
    OUT_STATE,
    DeleteSegment,
    Facts,
    Period,
    SaveSegment,
    apply_change,
    customer_facts,
    evaluate,
    find_segment,
    get_segment,
    history,
    list_segments,
    period_facts,
    segment_customers,
    segment_migration,
    tier_of,
)
from lgs_core.analyses.segment_rules import Condition, Group, all_of, any_of
from lgs_core.errors import LgsError
from lgs_core.present import segment_charts
from lgs_core.query.run import run
from lgs_core.query.window import Window
from lgs_core.sources.demo import load_demo
from lgs_core.sources.ingest import load_file
from lgs_core.store import store

MARKETER = all_of(
    Condition.make("country", "in", ["France"]),
    Condition.make("recency_days", "le", [60]),
    Condition.make("spend", "gt", ["1000"]),
)
NAMES = [
    "France, last order within 60 days, spent over £1,000",
    "O'Brien's \"best\" customers",
    "'; drop table saved_segments; --",
    "Ünïcödé 🎁 клиенты",
    "$r0 %(start)s ?",
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    make_segment_store(path).close()
    return path


@pytest.fixture
def con(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = store.connect(db)
    yield connection
    connection.close()


def ids(frame: pl.DataFrame) -> list[int]:
    return sorted(int(c) for c in frame["customer_id"].to_list())


# --- kept by name in the store -----------------------------------------------------------------------------


def test_segments_are_saved_in_the_store_and_read_back_exactly(db: Path) -> None:
    con = store.connect(db)
    for i, name in enumerate(NAMES):
        rule = all_of(Condition.make("spend", "ge", [str(100 * i)]), Condition.make("country", "in", [name]))
        apply_change(con, SaveSegment(name, rule))
    con.close()

    again = store.connect(db, read_only=True)  # another connection, as another session or the CLI would open
    try:
        saved = list_segments(again)
        assert sorted(s.name for s in saved) == sorted(NAMES)
        for i, name in enumerate(NAMES):
            found = get_segment(again, name.upper() if name.isascii() else name)
            assert found.name == name
            assert found.rule.conditions()[1].values == (name,)
            assert found.rule.conditions()[0].values == (Decimal(100 * i).quantize(Decimal("0.001")),)
        assert again.sql("select count(*) from lines").fetchall()[0][0] == 13
    finally:
        again.close()


def test_edit_rename_and_delete(con: duckdb.DuckDBPyConnection) -> None:
    first = apply_change(con, SaveSegment("France VIP", MARKETER))
    assert first is not None
    wider = all_of(Condition.make("country", "in", ["France"]))
    renamed = apply_change(con, SaveSegment("French customers", wider, replaces="france vip"))
    assert renamed is not None and renamed.created_at == first.created_at
    assert [s.name for s in list_segments(con)] == ["French customers"]
    assert get_segment(con, "French customers").rule == wider
    apply_change(con, SaveSegment("French customers", MARKETER, replaces="French customers"))  # edit in place
    assert get_segment(con, "french CUSTOMERS").rule == MARKETER
    assert apply_change(con, DeleteSegment("French customers")) is None
    assert list_segments(con) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (SaveSegment("", MARKETER), "no name"),
        (SaveSegment("   ", MARKETER), "no name"),
        (SaveSegment("x" * 81, MARKETER), "81 characters"),
        (SaveSegment("two\nlines", MARKETER), "control character"),
        (SaveSegment("FRANCE vip", MARKETER), "already saved"),
        (SaveSegment("New one", MARKETER, replaces="gone"), "no longer saved"),
        (DeleteSegment("gone"), "no saved segment"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    con: duckdb.DuckDBPyConnection, change: SaveSegment | DeleteSegment, message: str
) -> None:
    apply_change(con, SaveSegment("France VIP", MARKETER))
    with pytest.raises(LgsError, match=message):
        apply_change(con, change)
    assert [(s.name, s.rule) for s in list_segments(con)] == [("France VIP", MARKETER)]


def test_an_edit_cannot_take_another_segments_name(con: duckdb.DuckDBPyConnection) -> None:
    apply_change(con, SaveSegment("A", MARKETER))
    apply_change(con, SaveSegment("B", Group()))
    with pytest.raises(LgsError, match="already saved"):
        apply_change(con, SaveSegment("a", Group(), replaces="B"))
    assert {s.name: s.rule for s in list_segments(con)} == {"A": MARKETER, "B": Group()}


def test_a_store_without_saved_segments_lists_none_read_only(db: Path) -> None:
    con = store.connect(db, read_only=True)
    try:
        assert list_segments(con) == []
        assert find_segment(con, "anything") is None
        with pytest.raises(LgsError, match="save one"):
            get_segment(con, "anything")
    finally:
        con.close()


def test_a_damaged_saved_rule_says_which_segment(con: duckdb.DuckDBPyConnection) -> None:
    apply_change(con, SaveSegment("Broken", MARKETER))
    con.execute('update saved_segments set rule = \'{"conditions": [{"field": "shoe size"}]}\'')
    with pytest.raises(LgsError, match="saved segment 'Broken'"):
        list_segments(con)


def test_saved_segments_survive_a_replaced_data_set(db: Path, sample_csv: Path) -> None:
    """Definitions, not lists: after a new data set (a file load, demo data) they are evaluated on it."""
    con = store.connect(db)
    apply_change(con, SaveSegment("France VIP", MARKETER))
    apply_change(con, SaveSegment("Hostile", all_of(Condition.make("country", "in", [HOSTILE_COUNTRY]))))
    assert ids(segment_customers(con, Window(), MARKETER).members) == MARKETER_CUSTOMERS
    con.close()

    load_file(sample_csv, db)  # replaces the data set
    con = store.connect(db, read_only=True)
    try:
        assert [s.name for s in list_segments(con)] == ["France VIP", "Hostile"]
        on_sample = segment_customers(con, Window(), get_segment(con, "France VIP").rule)
        expected = (
            rfm.rfm(con, Window(), rfm.RfmParams())
            .customers.filter(
                (pl.col("country") == "France") & (pl.col("recency_days") <= 60) & (pl.col("monetary") > 1000)
            )
            .select("customer_id")
        )
        assert ids(on_sample.members) == ids(expected) and expected.height > 0
        hostile = segment_customers(con, Window(), get_segment(con, "Hostile").rule)
        assert hostile.count == 0 and hostile.unknown_values(["France"]) == [HOSTILE_COUNTRY]
    finally:
        con.close()

    load_demo(db, rows=5_000, seed=1)
    con = store.connect(db, read_only=True)
    try:
        assert [s.name for s in list_segments(con)] == ["France VIP", "Hostile"]
    finally:
        con.close()


# --- the same facts as RFM ---------------------------------------------------------------------------------

WINDOWS = [
    Window(),
    Window(date(2010, 1, 1), date(2010, 12, 31)),
    Window(date(2011, 1, 1), None, ("France", "Spain")),
    Window(None, None, (), True),
]


@pytest.mark.parametrize("preset", ["standard", "classic"])
@pytest.mark.parametrize("window", WINDOWS, ids=range(len(WINDOWS)))
def test_the_facts_are_rfms_on_the_real_sample(
    sample: duckdb.DuckDBPyConnection, window: Window, preset: str
) -> None:
    facts = customer_facts(sample, window, preset).frame.sort("customer_id")
    # rfm.rfm's reference: classic the notebook's 2012-01-01, standard the day after the window's last line
    reference = datetime(2012, 1, 1) if preset == "classic" else None
    base = run(
        sample,
        "analytics/rfm_base",
        {**window.params(), "classic": preset == "classic", "reference": reference},
    )
    columns = [
        "customer_id",
        "country",
        "first_purchase",
        "last_purchase",
        "recency_days",
        "frequency",
        "monetary",
    ]
    assert facts.height > 0
    assert facts.select(columns).equals(base.sort("customer_id").select(columns))
    assert (facts["reference_date"] == base["reference_date"][0]).all()
    assert (facts["period_revenue"] == facts["monetary"]).all()  # one period: the whole window
    assert (facts["first_order"] <= facts["first_purchase"]).all()


@pytest.mark.parametrize("preset", ["standard", "classic"])
def test_many_periods_at_once_equal_one_at_a_time(sample: duckdb.DuckDBPyConnection, preset: str) -> None:
    window = Window(date(2010, 3, 15), date(2011, 12, 9), ("France", "Belgium"), True).resolved(sample)
    ends = [datetime(2010, 6, 1), datetime(2010, 6, 2), datetime(2011, 1, 1), datetime(2011, 12, 10)]
    periods = [Period(datetime(2010, 3, 15), end, end) for end in ends]
    together = period_facts(sample, window, preset, periods)
    previous = pl.DataFrame(schema={"customer_id": pl.Int32, "before": pl.Decimal(38, 3)})
    for period in periods:
        alone = period_facts(sample, window, preset, [period]).drop("period_revenue")
        part = together.filter(pl.col("period_end") == period.end)
        assert part.drop("period_revenue").equals(alone), period
        # a period's revenue: what its customers' spend grew by since the previous period
        grown = part.join(previous, on="customer_id", how="left").with_columns(pl.col("before").fill_null(0))
        assert (grown["monetary"] - grown["before"] == grown["period_revenue"]).all()
        previous = part.select("customer_id", pl.col("monetary").alias("before"))


def test_first_order_is_looked_for_at_any_date(con: duckdb.DuckDBPyConnection) -> None:
    facts = customer_facts(con, Window(date(2011, 1, 1), None)).frame
    nine = facts.filter(pl.col("customer_id") == 9).row(0, named=True)
    assert nine["first_order"] == datetime(2010, 3, 1, 10)  # before the window
    assert nine["first_purchase"] == datetime(2011, 11, 1, 10)  # in it
    assert nine["monetary"] == Decimal("1200.000")


def test_an_rfm_segment_condition_is_the_customer_segments_pages(sample: duckdb.DuckDBPyConnection) -> None:
    for name, wanted in (("classic10", ["Champions", "Loyal Customers"]), ("rfm11", ["Lost"])):
        rule = all_of(Condition.make("rfm_segment", "in", wanted, name))
        scored = rfm.rfm(sample, Window(), rfm.RfmParams(segment_map=name)).customers
        expected = scored.filter(pl.col("segment").is_in(wanted))
        result = segment_customers(sample, Window(), rule)
        assert ids(result.members) == ids(expected) and expected.height > 0
        assert set(result.table()[f"rfm_segment_{name}"].to_list()) == set(wanted)


def test_value_tiers_rank_customers_by_expected_spend(sample: duckdb.DuckDBPyConnection) -> None:
    value = clv.customer_value(sample, Window(), horizons=(365,)).by_spend(365)
    n = value.height
    top = value.head(-(-n // 5))  # the top 20%, rounded up
    rule = all_of(Condition.make("value_tier", "in", ["high"]))
    result = segment_customers(sample, Window(), rule)
    assert ids(result.members) == ids(top)
    low = segment_customers(sample, Window(), all_of(Condition.make("value_tier", "in", ["low"])))
    medium = segment_customers(
        sample, Window(), all_of(Condition.make("value_tier", "not_in", ["high", "low"]))
    )
    assert result.count + medium.count + low.count == n
    assert [tier_of(r, 10) for r in range(1, 11)] == ["high"] * 2 + ["medium"] * 3 + ["low"] * 5
    assert [tier_of(r, 7) for r in range(1, 8)] == ["high"] * 2 + ["medium"] * 2 + ["low"] * 3


# --- the downloads ------------------------------------------------------------------------------------------


def test_the_downloads_hold_the_segments_customers(con: duckdb.DuckDBPyConnection) -> None:
    import csv
    import io
    import json

    result = evaluate(con, customer_facts(con, Window()), MARKETER, name="France VIP")
    rows = list(csv.DictReader(io.StringIO(result.csv().decode("utf-8"))))
    assert sorted(int(r["customer_id"]) for r in rows) == MARKETER_CUSTOMERS
    assert [r["spend"] for r in rows] == ["1500.000", "1240.000", "1100.000"]  # biggest spender first
    assert rows[-1]["average_order_value"] == "550.00"
    manifest = json.loads(result.manifest_json())
    assert manifest["rows"] == 3 and manifest["parameters"]["segment"] == "France VIP"
    assert manifest["parameters"]["rule_text"] == MARKETER.label()
    assert manifest["reference_date"] == "2011-12-10"
    assert result.xlsx()[:2] == b"PK"
    assert result.file_stem == "lgs-segment-france-vip-2010-03-01-to-2011-12-09"


def test_a_hostile_country_is_written_formula_safe(con: duckdb.DuckDBPyConnection) -> None:
    evil = '=HYPERLINK("http://x")'
    con.execute("update lines set country = $c where customer_id = 7", {"c": evil})
    store.refresh_summaries(con)
    result = segment_customers(con, Window(), all_of(Condition.make("country", "in", [evil])))
    assert result.count == 1
    assert b"'=HYPERLINK" in result.csv()


# --- over time -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["standard", "classic"])
def test_the_monthly_history_is_the_rule_at_each_months_end(
    con: duckdb.DuckDBPyConnection, preset: str
) -> None:
    window = Window(date(2011, 9, 1), date(2011, 12, 9))
    result = history(con, window, MARKETER, preset)
    assert result.months["month"].to_list() == [date(2011, m, 1) for m in (9, 10, 11, 12)]
    assert result.months["whole_month"].to_list() == [True, True, True, False]
    spent_before: dict[int, Decimal] = {}
    for row in result.months.iter_rows(named=True):
        month = row["month"]
        end = min((month + timedelta(days=32)).replace(day=1), date(2011, 12, 10))
        facts = customer_facts(con, Window(window.start, end - timedelta(days=1)), preset, reference_date=end)
        at_end = evaluate(con, facts, MARKETER)
        assert row["customers"] == at_end.count
        members = at_end.members.select("customer_id", "monetary").rows()
        assert row["revenue"] == sum((m - spent_before.get(c, Decimal(0)) for c, m in members), Decimal(0))
        spent_before = dict(facts.frame.select("customer_id", "monetary").rows())
    # standard: at the end of November customers 1, 5, 6 and 9 qualify (6's last order is 52 days old then), and
    # November's revenue is what they spent in November
    november = result.months.filter(pl.col("month") == date(2011, 11, 1)).row(0, named=True)
    if preset == "standard":
        assert november["customers"] == 4
        assert november["revenue"] == Decimal("1700.000")  # customer 1's £500 and customer 9's £1,200
    segment_charts.history_customers_chart(result).to_dict()
    segment_charts.history_revenue_chart(result).to_dict()


def test_who_moved_in_and_out(con: duckdb.DuckDBPyConnection) -> None:
    moved = segment_migration(con, Window(), MARKETER, date(2011, 11, 1), date(2011, 12, 10))
    states = dict(
        zip(
            moved.customers["customer_id"].to_list(),
            moved.customers.select("from_state", "to_state").rows(),
            strict=True,
        )
    )
    assert states == {
        1: (OUT_STATE, IN_STATE),
        2: (NEW_STATE, OUT_STATE),
        3: (OUT_STATE, OUT_STATE),
        4: (NEW_STATE, OUT_STATE),
        5: (IN_STATE, IN_STATE),
        6: (IN_STATE, OUT_STATE),
        7: (NEW_STATE, OUT_STATE),
        8: (NEW_STATE, OUT_STATE),
        9: (OUT_STATE, IN_STATE),
    }
    assert (moved.joined, moved.left, moved.stayed) == (2, 1, 1)
    assert ids(moved.cell(IN_STATE, OUT_STATE)) == [6]
    assert moved.matrix()["total"].sum() == 9
    chart = segment_charts.flow_chart(moved).to_dict()
    assert set(chart["layer"][0]["encoding"]["color"]["scale"]["domain"]) == {IN_STATE, OUT_STATE, NEW_STATE}
    with pytest.raises(LgsError, match="not before"):
        segment_migration(con, Window(), MARKETER, date(2011, 12, 1), date(2011, 11, 1))


def test_facts_of_an_empty_window_are_empty(con: duckdb.DuckDBPyConnection) -> None:
    facts = customer_facts(con, Window(countries=("Atlantis",)))
    assert isinstance(facts, Facts) and facts.customers == 0
    result = evaluate(con, facts, MARKETER)
    assert result.count == 0 and result.members.is_empty() and result.share is None
    assert any_of().label()


def test_the_definitions_are_quoted_in_the_docs() -> None:
    from lgs_core.analyses import clusters
    from lgs_core.analyses.segment_rules import FIELDS

    docs = Path(__file__).resolve().parents[2] / "docs"
    doc = (docs / "SEGMENTATION.md").read_text(encoding="utf-8")
    glossary = (docs / "DEFINITIONS.md").read_text(encoding="utf-8")
    for module in (clusters, __import__("lgs_core.analyses.saved_segments", fromlist=["DEFINITIONS"])):
        assert module.DEFINITIONS, module.__name__
        for key, text in module.DEFINITIONS.items():
            assert f"- `{key}`: {text}" in glossary, f"docs/DEFINITIONS.md lacks the definition of {key}"
    for spec in FIELDS.values():
        assert f"| `{spec.key}` |" in doc and spec.help in doc, spec.key


def test_a_rule_on_the_facts_alone_needs_no_store(con: duckdb.DuckDBPyConnection) -> None:
    facts = customer_facts(con, Window())
    assert evaluate(None, facts, MARKETER).customers.equals(evaluate(con, facts, MARKETER).customers)
    with pytest.raises(ValueError, match="reads the store"):
        evaluate(None, facts, all_of(Condition.make("product", "in", ["85123A"])))


def test_the_average_order_value_is_rounded_once_from_the_exact_amounts() -> None:
    """5.027 over 5 orders is £1.0054: £1.01, not the £1.00 a division rounded to 3 decimals first would give."""
    from lgs_core.analyses.saved_segments import _FACTS_SCHEMA

    end = datetime(2011, 12, 10)
    frame = pl.DataFrame(
        {
            "period_end": [end] * 3,
            "reference_date": [end.date()] * 3,
            "customer_id": [1, 2, 3],
            "country": ["France"] * 3,
            "first_order": [end - timedelta(days=9)] * 3,
            "first_purchase": [end - timedelta(days=9)] * 3,
            "last_purchase": [end - timedelta(days=1)] * 3,
            "recency_days": [1, 1, 1],
            "frequency": [5, 1, 3],
            "monetary": [Decimal("5.027"), Decimal("2.675"), Decimal("10.000")],
            "period_revenue": [Decimal("5.027"), Decimal("2.675"), Decimal("10.000")],
        },
        schema=_FACTS_SCHEMA,
    )
    facts = Facts(
        Window(date(2011, 1, 1), date(2011, 12, 9)), "standard", (Period(end, end, end),), frame, "v1"
    )
    table = evaluate(None, facts, Group()).table().sort("customer_id")
    assert table["average_order_value"].to_list() == [Decimal("1.01"), Decimal("2.68"), Decimal("3.33")]
