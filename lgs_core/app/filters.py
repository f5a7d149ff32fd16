"""The explorer's shared filters (date range, countries, products only) and their URL form.

A marketer shares a link that opens the same view: the filters live in the query string as
``?start=2011-01-01&end=2011-12-31&country=France&country=Germany&products=1``, and each page's own controls
beside them (``read_choice``, ``read_int``, ``read_cuts``, ``read_grid`` … below: the scoring, cut points,
segment map, grid edits, chosen segments, the report's week and detector settings). Anything a URL holds that
does not make sense (an unknown country, a malformed date, a range outside the data) is dropped or clamped
here, so a hand-edited or stale link still opens a sensible view, and each reader says what it changed in
one clause (a *notice*: "country “Atlantis” is not in the data: left out") for the page to show.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from lgs_core import formats
from lgs_core.analyses.rfm import FixedCuts
from lgs_core.errors import LgsError
from lgs_core.query.window import Window

T = TypeVar("T")


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
    return read_filters(query, first_day, last_day, known_countries)[0]


def read_filters(
    query: Mapping[str, str | list[str]],
    first_day: date,
    last_day: date,
    known_countries: Iterable[str],
) -> tuple[Filters, list[str]]:
    """``filters_from_query`` and what it changed: one notice per value of the link it could not keep."""
    notices: list[str] = []
    span = f"{first_day:%d %b %Y} – {last_day:%d %b %Y}"
    days = []
    for name, fallback in (("start", first_day), ("end", last_day)):
        text = _one(query.get(name))
        day = _parse_date(text)
        if text and day is None:
            notices.append(f"{name} {_quote(text)} is not a date: {fallback:%d %b %Y} used")
            day = fallback
        elif day is None:
            day = fallback
        clamped = min(max(day, first_day), last_day)
        if clamped != day:
            notices.append(f"{name} {day:%d %b %Y} is outside the data ({span}): {clamped:%d %b %Y} used")
        days.append(clamped)
    start, end = days
    if end < start:
        start, end = end, start
        notices.append("the start came after the end: the two dates were swapped")
    known = set(known_countries)
    asked = _many(query.get("country"))
    unknown = [c for c in dict.fromkeys(asked) if c not in known]
    countries = tuple(sorted({c for c in asked if c in known}))
    if unknown:
        left = "" if countries else " (all countries shown)"
        names = ", ".join(_quote(c) for c in unknown)
        notices.append(
            f"country {names} {'is' if len(unknown) == 1 else 'are'} not in the data: left out{left}"
        )
    if set(countries) == known:
        countries = ()
    flag = _one(query.get("products"))
    products_only = flag in _TRUE
    if flag is not None and flag not in _TRUE and flag not in _FALSE:
        notices.append(f"products {_quote(flag)} is not 1 or 0: all lines shown")
    return Filters(start, end, countries, products_only), notices


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


# --- a page's own controls in the link ---------------------------------------------------------------------

Query = Mapping[str, str | list[str]]
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_MAX_QUOTED = 40


def _quote(text: str) -> str:
    """A URL value inside a notice: quoted, cut to 40 characters, one line."""
    flat = " ".join(str(text).split())
    return f"“{flat[:_MAX_QUOTED]}{'…' if len(flat) > _MAX_QUOTED else ''}”"


def read_choice(query: Query, name: str, choices: Sequence[T], default: T) -> tuple[T, str | None]:
    """One of ``choices`` (compared as text: "5" picks 5), or ``default`` with a notice."""
    text = _one(query.get(name))
    if text is None:
        return default, None
    for choice in choices:
        if str(choice) == text.strip():
            return choice, None
    allowed = ", ".join(str(c) for c in choices) if len(choices) <= 8 else f"the {len(choices)} choices"
    return default, f"{name} {_quote(text)} is not one of {allowed}: {default} used"


def read_many(
    query: Query, name: str, choices: Sequence[T], default: Sequence[T]
) -> tuple[list[T], str | None]:
    """The values of a repeated parameter that are among ``choices`` (in ``choices``' order), or ``default``
    when it is absent. Unknown values are left out with a notice; an empty value (``name=``) means none."""
    if name not in query:
        return list(default), None
    asked = [v for v in _many(query.get(name)) if v != ""]
    by_text = {str(c): c for c in choices}
    unknown = [v for v in dict.fromkeys(asked) if v not in by_text]
    picked = [c for c in choices if str(c) in set(asked)]
    if not unknown:
        return picked, None
    names = ", ".join(_quote(v) for v in unknown)
    return picked, f"{name} {names} {'is' if len(unknown) == 1 else 'are'} not among the choices: left out"


def read_number(
    query: Query, name: str, low: float, high: float, default: float | None, *, whole: bool = False
) -> tuple[float | None, str | None]:
    """A number within ``low``..``high`` (clamped, with a notice), or ``default``; ``whole``: an integer.
    An empty value (``name=``) means "no number" (None), for an optional limit."""
    text = _one(query.get(name))
    if text is None:
        return default, None
    if text.strip() == "":
        return None, None
    try:
        number = float(text.strip().replace(",", "").lstrip("£"))
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or (whole and number != int(number)):
        kind = "a whole number" if whole else "a number"
        return default, f"{name} {_quote(text)} is not {kind}: {_show_number(default)} used"
    clamped = min(max(number, low), high)
    if clamped != number:
        return (
            clamped,
            f"{name} {_show_number(number)} is outside {_show_number(low)}–{_show_number(high)}: {_show_number(clamped)} used",
        )
    return number, None


def _show_number(value: float | None) -> str:
    if value is None:
        return "none"
    return formats.number(value)


def read_flag(query: Query, name: str, default: bool) -> tuple[bool, str | None]:
    text = _one(query.get(name))
    if text is None:
        return default, None
    if text.strip().lower() in _TRUE:
        return True, None
    if text.strip().lower() in _FALSE:
        return False, None
    return default, f"{name} {_quote(text)} is not 1 or 0: {'1' if default else '0'} used"


def read_day(
    query: Query, name: str, low: date, high: date, default: date | None
) -> tuple[date | None, str | None]:
    """A date within ``low``..``high`` (clamped, with a notice), or ``default``; empty: None."""
    text = _one(query.get(name))
    if text is None:
        return default, None
    if text.strip() == "":
        return None, None
    day = _parse_date(text)
    if day is None:
        shown = f"{default:%d %b %Y}" if default else "none"
        return default, f"{name} {_quote(text)} is not a date: {shown} used"
    clamped = min(max(day, low), high)
    if clamped != day:
        return (
            clamped,
            f"{name} {day:%d %b %Y} is outside {low:%d %b %Y} – {high:%d %b %Y}: {clamped:%d %b %Y} used",
        )
    return day, None


def read_cuts(query: Query, name: str, scores: int, *, at_least: bool) -> tuple[FixedCuts | None, str | None]:
    """Fixed cut points (or thresholds) written as ``r=30,90,180,365;f=2,3,5,10;m=100,500,1000,5000`` with
    ``scores − 1`` per dimension; None (the page's suggestion) when absent, with a notice when unusable."""
    text = _one(query.get(name))
    if text is None:
        return None, None
    try:
        cuts = FixedCuts.parse(text)
        cuts = FixedCuts(cuts.recency, cuts.frequency, cuts.monetary, at_least=at_least)
    except LgsError as exc:
        return None, f"{name} {_quote(text)} cannot be used ({exc.what}): the suggested values used"
    sizes = {len(cuts.recency), len(cuts.frequency), len(cuts.monetary)}
    if sizes != {scores - 1}:
        return None, f"{name} {_quote(text)} does not fit {scores} scores: the suggested values used"
    return cuts, None


def cuts_to_query(cuts: FixedCuts) -> str:
    return cuts.to_text()


def read_grid(query: Query, name: str, base: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
    """A segment grid edited from ``base`` ({"RF": segment}): the link holds only the changed cells, as
    repeated ``cell=55:VIP`` values. Cells outside the grid or without a name are left out with a notice."""
    grid = dict(base)
    bad = []
    for item in _many(query.get(name)):
        key, sep, segment = item.partition(":")
        if not sep or key.strip() not in grid or not segment.strip():
            bad.append(item)
            continue
        grid[key.strip()] = segment.strip()
    if bad:
        names = ", ".join(_quote(v) for v in bad)
        return (
            grid,
            f"{name} {names} {'is' if len(bad) == 1 else 'are'} not a cell of the grid (RF:name): left out",
        )
    return grid, None


def grid_to_query(grid: Mapping[str, str], base: Mapping[str, str]) -> list[str]:
    """The cells of ``grid`` that differ from ``base``, as ``read_grid`` reads them back."""
    return [f"{key}:{name}" for key, name in grid.items() if base.get(key) != name]


def quick_ranges(first: date, last: date) -> dict[str, tuple[date, date]]:
    """The sidebar's quick date ranges over data from ``first`` to ``last``: all the data, the last 12 months,
    and each calendar year, newest first (cut to the data's first and last day)."""
    ranges = {
        "All data": (first, last),
        "Last 12 months": (max(first, last - timedelta(days=364)), last),
    }
    for year in range(last.year, first.year - 1, -1):
        ranges[str(year)] = (max(first, date(year, 1, 1)), min(last, date(year, 12, 31)))
    return ranges
