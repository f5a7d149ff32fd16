"""The shared filters' URL form: a shared link opens the same view; a broken one opens a sensible one."""

from __future__ import annotations

from datetime import date

import pytest

from lgs_core.analyses import rfm
from lgs_core.app.filters import (
    Filters,
    cuts_to_query,
    filters_from_query,
    filters_to_query,
    grid_to_query,
    read_choice,
    read_cuts,
    read_day,
    read_filters,
    read_flag,
    read_grid,
    read_many,
    read_number,
)

FIRST, LAST = date(2009, 12, 1), date(2011, 12, 9)
KNOWN = ["France", "Germany", "United Kingdom"]


def test_no_query_means_all_the_data() -> None:
    assert filters_from_query({}, FIRST, LAST, KNOWN) == Filters(FIRST, LAST, (), False)


def test_a_view_round_trips_through_its_link() -> None:
    view = Filters(date(2011, 1, 1), date(2011, 6, 30), ("France", "Germany"), True)
    query = filters_to_query(view, FIRST, LAST)
    assert query == {
        "start": "2011-01-01",
        "end": "2011-06-30",
        "country": ["France", "Germany"],
        "products": "1",
    }
    assert filters_from_query(query, FIRST, LAST, KNOWN) == view


def test_defaults_are_left_out_of_the_link() -> None:
    assert filters_to_query(Filters(FIRST, LAST), FIRST, LAST) == {}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"start": "garbage"}, Filters(FIRST, LAST)),
        ({"start": "1990-01-01", "end": "2030-01-01"}, Filters(FIRST, LAST)),
        ({"start": "2011-06-30", "end": "2011-01-01"}, Filters(date(2011, 1, 1), date(2011, 6, 30))),
        ({"country": ["Atlantis", "France"]}, Filters(FIRST, LAST, ("France",))),
        ({"country": "'; drop table lines; --"}, Filters(FIRST, LAST)),
        ({"country": KNOWN}, Filters(FIRST, LAST)),
        ({"products": "maybe"}, Filters(FIRST, LAST)),
    ],
    ids=[
        "bad-date",
        "out-of-range",
        "reversed",
        "unknown-country",
        "hostile-country",
        "all-countries",
        "bad-flag",
    ],
)
def test_a_broken_or_stale_link_opens_a_sensible_view(
    query: dict[str, str | list[str]], expected: Filters
) -> None:
    assert filters_from_query(query, FIRST, LAST, KNOWN) == expected


def test_the_filters_label_is_the_windows_label() -> None:
    view = Filters(date(2011, 1, 1), date(2011, 6, 30), ("France",), True)
    assert view.window.countries == ("France",) and view.window.products_only
    assert view.label == "01 Jan 2011 – 30 Jun 2011 · France · products only"


# --- what a link changed, in words (issue #15) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ({"country": "Atlantis"}, "country “Atlantis” is not in the data: left out (all countries shown)"),
        ({"country": ["Atlantis", "France"]}, "country “Atlantis” is not in the data: left out"),
        ({"start": "garbage"}, "start “garbage” is not a date: 01 Dec 2009 used"),
        (
            {"end": "2030-01-01"},
            "end 01 Jan 2030 is outside the data (01 Dec 2009 – 09 Dec 2011): 09 Dec 2011 used",
        ),
        ({"products": "maybe"}, "products “maybe” is not 1 or 0: all lines shown"),
    ],
)
def test_a_link_value_that_was_changed_says_so(query: dict[str, str | list[str]], notice: str) -> None:
    _, notices = read_filters(query, FIRST, LAST, KNOWN)
    assert notices == [notice]


def test_a_good_link_has_no_notice() -> None:
    query = filters_to_query(Filters(date(2011, 1, 1), date(2011, 6, 30), ("France",), True), FIRST, LAST)
    assert read_filters(query, FIRST, LAST, KNOWN)[1] == []


def test_a_hostile_value_is_quoted_short_and_on_one_line() -> None:
    _, notices = read_filters({"country": "x\n" * 100}, FIRST, LAST, KNOWN)
    assert len(notices) == 1 and "\n" not in notices[0] and "…”" in notices[0]


def test_page_controls_read_back_what_they_wrote() -> None:
    cuts = rfm.FixedCuts(
        ("30", "90", "180", "365"), ("2", "3", "5", "10"), ("100", "500", "1000", "5000"), at_least=True
    )
    assert read_cuts({"th": cuts_to_query(cuts)}, "th", 5, at_least=True) == (cuts, None)
    assert read_cuts({"th": cuts_to_query(cuts)}, "th", 4, at_least=True)[0] is None  # 4 scores: 3 each
    assert "cannot be used" in str(read_cuts({"th": "r=9,1"}, "th", 5, at_least=True)[1])
    base = rfm.CLASSIC10.lookup()
    edited = {**base, "55": "VIP", "54": "VIP"}
    assert read_grid({"cell": grid_to_query(edited, base)}, "cell", base) == (edited, None)
    grid, notice = read_grid({"cell": ["55:VIP", "99:Nope", "nonsense"]}, "cell", base)
    assert grid == {**base, "55": "VIP"} and notice is not None and "“99:Nope”" in notice
    assert read_choice({"scores": "4"}, "scores", [3, 4, 5], 5) == (4, None)
    assert read_choice({"scores": "9"}, "scores", [3, 4, 5], 5) == (
        5,
        "scores “9” is not one of 3, 4, 5: 5 used",
    )
    assert read_many({"segment": ["Champions", "Lost"]}, "segment", ["Champions", "At Risk"], []) == (
        ["Champions"],
        "segment “Lost” is not among the choices: left out",
    )
    assert read_many({}, "segment", ["Champions"], ["Champions"]) == (["Champions"], None)
    assert read_number({"z": "99"}, "z", 2, 6, 3) == (6, "z 99 is outside 2–6: 6 used")
    assert read_number({"within": ""}, "within", 0, 999, 30, whole=True) == (None, None)
    assert read_number({"within": "2.5"}, "within", 0, 999, 30, whole=True)[1] == (
        "within “2.5” is not a whole number: 30 used"
    )
    assert read_flag({"seasonal": "0"}, "seasonal", True) == (False, None)
    assert read_day({"ref": "2011-12-01"}, "ref", FIRST, LAST, None) == (date(2011, 12, 1), None)
    assert read_day({"ref": "soon"}, "ref", FIRST, LAST, None) == (
        None,
        "ref “soon” is not a date: none used",
    )
