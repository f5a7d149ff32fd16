"""The shared filters' URL form: a shared link opens the same view; a broken one opens a sensible one."""

from __future__ import annotations

from datetime import date

import pytest

from lgs_core.filters import Filters, filters_from_query, filters_to_query

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
