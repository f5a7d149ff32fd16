"""Saved segments' rules (lgs_core.analyses.segment_rules): their words, their SQL, and what hostile input does to them.

The SQL is checked two ways: as text (every user value is a bound parameter, never part of the query; no
database, STYLE.md §4) and on a real store (tests/fixtures/segment_fixtures.py), where hostile values find exactly the
customers they name as text and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from fixtures.segment_fixtures import HOSTILE_COUNTRY, MARKETER_CUSTOMERS, make_segment_store

from lgs_core.analyses import rfm
from lgs_core.analyses.saved_segments import customer_facts, evaluate
from lgs_core.analyses.segment_rules import (
    FIELDS,
    MAX_CONDITIONS,
    RFM_MAPS,
    Condition,
    Group,
    all_of,
    any_of,
    compile_checks,
    compile_rule,
    rule_from_json,
    rule_from_text,
)
from lgs_core.errors import LgsError
from lgs_core.query.window import Window

HOSTILE = [
    "'; drop table lines; --",
    "France' or '1'='1",
    'France"); delete from lines; --',
    "Ünïcödé 🎁 ‮gnp.exe",
    "$start ${r0} %(start)s ? :start",
    "x" * 200,
]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = make_segment_store(tmp_path / "store.duckdb")
    yield connection
    connection.close()


def members(con: duckdb.DuckDBPyConnection, rule: Group, preset: str = "standard") -> list[int]:
    result = evaluate(con, customer_facts(con, Window(), preset), rule)
    return sorted(int(c) for c in result.members["customer_id"].to_list())


def lines_left(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.sql("select count(*) from lines").fetchall()[0][0])


MARKETER = all_of(
    Condition.make("country", "in", ["France"]),
    Condition.make("recency_days", "le", [60]),
    Condition.make("spend", "gt", ["1000"]),
)


# --- words: every bound spelt out -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "op", "values", "label"),
    [
        ("spend", "gt", ["1000"], "spent over £1,000 (more than £1,000)"),
        ("spend", "ge", ["1000"], "spent at least £1,000 (£1,000 or more)"),
        ("spend", "lt", ["99.5"], "spent under £99.50 (less than £99.50)"),
        ("spend", "le", [0], "spent at most £0 (£0 or less)"),
        ("spend", "between", ["500", "100"], "spent between £100 and £500 (both included)"),
        ("recency_days", "le", [60], "last order within 60 days (60 days ago or less)"),
        ("recency_days", "gt", [1], "last order more than 1 day ago"),
        ("orders", "ge", [2], "at least 2 orders (2 or more)"),
        ("orders", "lt", [1], "fewer than 1 order"),
        ("aov", "ge", [200], "average order value at least £200 (£200 or more)"),
        ("first_order", "ge", ["2011-06-01"], "first order on or after 01 Jun 2011"),
        ("first_order", "lt", [date(2011, 6, 1)], "first order before 01 Jun 2011"),
        ("country", "in", ["France", "Spain"], "country is “France” or “Spain”"),
        ("country", "not_in", ["France"], "country is not “France”"),
        ("product", "in", ["85123A"], "bought “85123A”"),
        ("product_group", "in", ["heart"], "bought a product whose description contains “heart”"),
        ("value_tier", "in", ["high"], "lifetime-value tier is “High value”"),
    ],
)
def test_labels_spell_out_inclusive_and_exclusive_bounds(
    field: str, op: str, values: list[object], label: str
) -> None:
    assert Condition.make(field, op, values).label() == label


def test_a_whole_rule_reads_as_a_sentence() -> None:
    assert MARKETER.label() == (
        "country is “France”, and last order within 60 days (60 days ago or less), and spent over £1,000 "
        "(more than £1,000)"
    )
    assert any_of().label() == "every customer with a purchase in the date range"


def test_every_field_has_words_for_each_of_its_operators() -> None:
    examples = {
        "days": [30, 90],
        "count": [1, 3],
        "money": ["10", "20"],
        "date": ["2011-01-01", "2011-02-01"],
        "countries": ["France"],
        "products": ["85123A"],
        "text": ["HEART"],
        "segments": ["Champions"],
        "tiers": ["high"],
    }
    for spec in FIELDS.values():
        for op in spec.ops:
            values = (
                examples[spec.kind]
                if op == "between" or spec.kind in ("countries",)
                else examples[spec.kind][:1]
            )
            label = Condition.make(spec.key, op, values).label()
            assert label and "{" not in label, (spec.key, op)


# --- the SQL: values bound, identifiers from the allow-list ---------------------------------------------


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_no_user_value_reaches_the_sql_text(value: str) -> None:
    rule = any_of(
        Condition.make("country", "in", [value]),
        Condition.make("product", "not_in", [value]),
        Condition.make("product_group", "in", [value]),
    )
    predicate, params = compile_rule(rule)
    assert value not in predicate
    assert [value] in params.values() and value in params.values()
    assert sorted(params) == ["r0", "r1", "r2"]  # names made by the compiler, never by the user


def test_the_predicate_names_only_allowed_relations_and_columns() -> None:
    rule = all_of(
        *(
            Condition.make(k, FIELDS[k].ops[0], v)
            for k, v in (
                ("recency_days", [1]),
                ("orders", [1]),
                ("spend", [1]),
                ("aov", [1]),
                ("first_order", ["2011-01-01"]),
                ("country", ["x"]),
                ("product", ["x"]),
                ("product_group", ["x"]),
                ("rfm_segment", ["Champions"]),
                ("value_tier", ["high"]),
            )
        )
    )
    predicate, params = compile_rule(rule)
    relations = {w.split()[0] for w in predicate.split(" from ")[1:]}
    assert relations <= {"lines", "segment_rfm", "segment_value"}
    assert set(params) == {f"r{i}" for i in range(len(params))}
    checks, whole, shared = compile_checks(rule)
    assert len(checks) == len(rule.conditions()) and whole == predicate and shared == params


@pytest.mark.parametrize(
    ("field", "op", "values", "message"),
    [
        ("spend", "gt", ["1e40"], "out of range"),
        ("spend", "gt", [10**30], "out of range"),
        ("spend", "gt", [float("nan")], "not a number"),
        ("spend", "gt", ["Infinity"], "not a number"),
        ("spend", "gt", [""], "not a number"),
        ("spend", "gt", [True], "not a number"),
        ("orders", "ge", ["2.5"], "not a whole number"),
        ("recency_days", "le", [-1], "out of range"),
        ("recency_days", "le", [10**12], "out of range"),
        ("first_order", "ge", ["yesterday"], "not a date"),
        ("country", "in", [], "no value"),
        ("country", "in", [""], "empty value"),
        ("country", "in", ["   "], "empty value"),
        ("product_group", "in", ["a\x00b"], "NUL"),
        ("product_group", "in", ["x" * 201], "characters"),
        ("spend", "between", ["1"], "two values"),
        ("spend", "gt", ["1", "2"], "one value"),
        ("rfm_segment", "in", ["Champions'; --"], "no segment"),
        ("value_tier", "in", ["platinum"], "no lifetime-value tier"),
        ("country", "gt", ["France"], "cannot be tested"),
        ("'; drop table lines; --", "in", ["x"], "unknown rule field"),
    ],
)
def test_bad_values_are_refused_in_one_line(field: str, op: str, values: list[object], message: str) -> None:
    with pytest.raises(LgsError, match=message) as raised:
        Condition.make(field, op, values)
    assert "\n" not in str(raised.value)


def test_a_rule_survives_its_json_form_exactly() -> None:
    rule = all_of(
        Condition.make("spend", "between", ["1000.50", "99"]),
        any_of(
            Condition.make("country", "in", [HOSTILE_COUNTRY, "Ünïcödé 🎁"]),
            Condition.make("aov", "ge", [200]),
        ),
        Condition.make("first_order", "between", ["2011-01-01", "2011-01-31"]),
        Condition.make("rfm_segment", "not_in", ["Lost", "New"], "rfm11"),
    )
    again = rule_from_text(rule.to_text())
    assert again == rule
    assert again.conditions()[0].values == (Decimal("99.000"), Decimal("1000.500"))  # between sorted, exact


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"conditions": "nope"},
        {"match": "most", "conditions": []},
        {"conditions": [1]},
        {"conditions": [{"field": "spend", "op": "gt", "values": ["x"]}]},
        {"conditions": [{"conditions": [{"conditions": [{"conditions": [{"conditions": []}]}]}]}]},
        {"conditions": [{"field": "country", "op": "in", "values": ["x"]}] * (MAX_CONDITIONS + 1)},
    ],
)
def test_malformed_rules_are_refused(data: object) -> None:
    with pytest.raises(LgsError):
        rule_from_json(data)


def test_the_rules_segment_maps_are_rfms() -> None:
    assert {name: m.segments for name, m in rfm.NAMED_MAPS.items()} == RFM_MAPS


# --- on a real store ---------------------------------------------------------------------------------------


def test_the_marketers_rule_finds_exactly_its_customers(con: duckdb.DuckDBPyConnection) -> None:
    assert members(con, MARKETER) == MARKETER_CUSTOMERS
    # classic: the notebook's reference date (2012-01-01) and spend before cancellations
    assert members(con, MARKETER, "classic") == [1, 8, 9]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition.make("spend", "gt", ["1000"]), [1, 3, 4, 5, 6, 7, 9]),
        (Condition.make("spend", "ge", ["1000"]), [1, 2, 3, 4, 5, 6, 7, 9]),
        (Condition.make("spend", "lt", ["1000"]), [8]),
        (Condition.make("spend", "le", ["1000"]), [2, 8]),
        (Condition.make("spend", "between", ["500", "1000"]), [2, 8]),
        (Condition.make("recency_days", "le", [60]), [1, 2, 4, 5, 7, 8, 9]),
        (Condition.make("recency_days", "gt", [60]), [3, 6]),
        (Condition.make("recency_days", "between", [60, 61]), [5, 6]),
        (Condition.make("orders", "ge", [2]), [1, 9]),
        (Condition.make("orders", "lt", [2]), [2, 3, 4, 5, 6, 7, 8]),
        # aov = spend ÷ orders, exactly: customer 1 has 1,100 over 2 orders = £550
        (Condition.make("aov", "ge", ["550"]), [1, 2, 3, 4, 5, 6, 7, 9]),
        (Condition.make("aov", "gt", ["550"]), [2, 3, 4, 5, 6, 7, 9]),
        (Condition.make("aov", "le", ["550"]), [1, 8]),
        # first order at any date: customer 9 first bought in 2010
        (Condition.make("first_order", "lt", ["2011-01-01"]), [9]),
        (Condition.make("first_order", "between", ["2011-12-09", "2011-12-09"]), [7]),
        (Condition.make("first_order", "ge", ["2011-12-01"]), [4, 7, 8]),
        (Condition.make("country", "not_in", ["France"]), [4, 7]),
        (Condition.make("product", "in", ["85123A"]), [1, 9]),
        (Condition.make("product", "not_in", ["85123A", "22423"]), [3, 5, 6, 7, 8]),
        (Condition.make("product_group", "in", ["heart"]), [1, 9]),
        (Condition.make("product_group", "in", ["CAKE"]), [1, 2, 3, 4]),
        (Condition.make("product_group", "not_in", ["cake", "light"]), [7, 8]),
        # LIKE wildcards mean themselves: only a description holding "%_" matches
        (Condition.make("product_group", "in", ["%_"]), [9]),
        (Condition.make("product_group", "in", ["_"]), [9]),
        (Condition.make("product_group", "in", ["50'S"]), [7, 8]),
        (Condition.make("product_group", "in", ["POSTAGE"]), []),  # postage is no product purchase
    ],
)
def test_each_condition_on_the_hand_made_store(
    con: duckdb.DuckDBPyConnection, condition: Condition, expected: list[int]
) -> None:
    assert members(con, all_of(condition)) == expected


def test_and_or_and_groups(con: duckdb.DuckDBPyConnection) -> None:
    france = Condition.make("country", "in", ["France"])
    big = Condition.make("spend", "ge", ["3000"])
    recent = Condition.make("recency_days", "le", [5])
    assert members(con, all_of(france, big)) == [3]
    assert members(con, any_of(big, recent)) == [3, 7, 8]
    assert members(con, all_of(france, any_of(big, recent))) == [3, 8]
    assert members(con, Group()) == list(range(1, 10))


@pytest.mark.parametrize("value", [*HOSTILE, HOSTILE_COUNTRY], ids=range(len(HOSTILE) + 1))
def test_hostile_values_find_only_what_they_name_and_change_nothing(
    con: duckdb.DuckDBPyConnection, value: str
) -> None:
    before = lines_left(con)
    found = members(
        con,
        any_of(
            Condition.make("country", "in", [value]),
            Condition.make("product", "in", [value]),
            Condition.make("product_group", "in", [value]),
        ),
    )
    assert found == ([7] if value == HOSTILE_COUNTRY else [])
    assert members(con, all_of(Condition.make("country", "not_in", [value]))) == (
        [c for c in range(1, 10) if c != 7] if value == HOSTILE_COUNTRY else list(range(1, 10))
    )
    assert lines_left(con) == before


def test_huge_but_allowed_numbers_bind_exactly(con: duckdb.DuckDBPyConnection) -> None:
    assert members(con, all_of(Condition.make("spend", "lt", ["999999999999999.999"]))) == list(range(1, 10))
    assert members(con, all_of(Condition.make("aov", "gt", ["-1e15"]))) == list(range(1, 10))
    assert members(con, all_of(Condition.make("orders", "ge", [1_000_000_000]))) == []
    assert members(con, all_of(Condition.make("recency_days", "le", [36_600]))) == list(range(1, 10))


def test_why_a_customer_is_in_the_segment(con: duckdb.DuckDBPyConnection) -> None:
    result = evaluate(con, customer_facts(con, Window()), MARKETER)
    checks = result.explain(5)
    assert [c.passed for c in checks] == [True, True, True]
    assert checks[1].value == "last order 60 days ago (11 Oct 2011)"
    outside = result.explain(6)
    assert [c.passed for c in outside] == [True, False, True]
    assert outside[1].text.startswith("✗ last order within 60 days")
    with pytest.raises(LgsError, match="no purchase"):
        result.explain(424242)
