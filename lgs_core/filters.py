"""The explorer's shared filters (date range, countries, products only) and their URL form.

A marketer shares a link that opens the same view: the filters live in the query string as
``?start=2011-01-01&end=2011-12-31&country=France&country=Germany&products=1``. Anything a URL holds that
does not make sense (an unknown country, a malformed date, a range outside the data) is dropped or clamped
here, so a hand-edited or stale link still opens a sensible view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from lgs_core.window import Window


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    countries: tuple[str, ...] = ()  # empty: all countries
    products_only: bool = False

    @property
    def window(self) -> Window:
        """The lines these filters select, as the analyses take them."""
        return Window(self.start, self.end, self.countries, self.products_only)

    @property
    def label(self) -> str:
        return self.window.label


def _one(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        return value[-1] if value else None
    return value


def _many(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def filters_from_query(
    query: Mapping[str, str | list[str]],
    first_day: date,
    last_day: date,
    known_countries: Iterable[str],
) -> Filters:
    """Read filters from a query string, defaulting to all the data and clamping to what exists."""
    start = _parse_date(_one(query.get("start"))) or first_day
    end = _parse_date(_one(query.get("end"))) or last_day
    start = min(max(start, first_day), last_day)
    end = min(max(end, first_day), last_day)
    if end < start:
        start, end = end, start
    known = set(known_countries)
    countries = tuple(sorted({c for c in _many(query.get("country")) if c in known}))
    if set(countries) == known:
        countries = ()
    products_only = _one(query.get("products")) in ("1", "true", "yes")
    return Filters(start, end, countries, products_only)


def filters_to_query(filters: Filters, first_day: date, last_day: date) -> dict[str, str | list[str]]:
    """The query string of a view; defaults are left out so links stay short."""
    query: dict[str, str | list[str]] = {}
    if filters.start != first_day:
        query["start"] = filters.start.isoformat()
    if filters.end != last_day:
        query["end"] = filters.end.isoformat()
    if filters.countries:
        query["country"] = list(filters.countries)
    if filters.products_only:
        query["products"] = "1"
    return query
