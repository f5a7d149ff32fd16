"""docs/DEFINITIONS.md is the one glossary: the general definitions and each analysis' own, by section."""

from __future__ import annotations

from lgs_core import glossary


def test_an_analysis_own_meaning_never_replaces_the_general_one() -> None:
    general = glossary.definition("active_customers")
    cohort = glossary.section("cohorts")["active_customers"]
    assert general and cohort and general != cohort
    assert glossary.section("report")["active_customers"] not in (general, cohort)


def test_a_section_lists_its_definitions_in_the_file_order() -> None:
    assert list(glossary.section("cohorts"))[:3] == ["cohort_month", "cohort_customers", "months_since"]
    assert glossary.section("monthly") == glossary.section("weekly")  # one heading, two names
    assert glossary.section("no_such_section") == {}


def test_every_section_the_code_names_has_definitions() -> None:
    for name in ("app", "cohorts", "migration", "clv", "affinity", "clusters", "saved_segments", "report"):
        assert glossary.section(name), name


def test_the_classic_preset_falls_back_to_the_standard_text() -> None:
    assert glossary.definition("placed", "classic") != glossary.definition("placed")
    assert glossary.definition("sales", "classic") == glossary.definition("sales")
    assert glossary.definition("no_such_figure") == ""
