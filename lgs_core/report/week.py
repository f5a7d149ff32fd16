"""Which week the weekly report judges: the ISO week ending on or before a day, complete in the data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import duckdb

from lgs_core.errors import LgsError
from lgs_core.query.run import rows
from lgs_core.query.window import Window

# A week is complete when the data reaches its Sunday. With ``as_of`` given, the data may stop up to this
# many days short of it (LGS does not trade on Saturdays and little on Sundays, DOMAIN.md §1); any more and
# the store is stale: a report would show a dip that is only missing data.
STALE_DAYS = 2


# --- which week -------------------------------------------------------------------------------------------


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_complete_week(last_line: date) -> date:
    """The Monday of the last ISO week the data covers to its Sunday."""
    return monday(last_line) if last_line.weekday() == 6 else monday(last_line) - timedelta(days=7)


def report_week(first_line: date, last_line: date, as_of: date | None = None) -> tuple[date, list[str]]:
    """The Monday of the week to report on and notes about it: the ISO week ending on or before ``as_of``
    (a Sunday: its own week), by default the last complete week in the data.
    """
    notes: list[str] = []
    if as_of is None:
        week = last_complete_week(last_line)
    else:
        week = monday(as_of) if as_of.weekday() == 6 else monday(as_of) - timedelta(days=7)
        sunday = week + timedelta(days=6)
        short = (sunday - last_line).days
        if short > STALE_DAYS:
            latest = last_complete_week(last_line)
            raise LgsError(
                f"the data ends on {last_line:%a %d %b %Y}, {short} days before week {week_label(week)} ends "
                f"({sunday:%a %d %b %Y})",
                where="--as-of",
                todo=f"load or sync newer data, or give --as-of {latest + timedelta(days=6)} "
                f"(the last complete week, {week_label(latest)})",
            )
        if short > 0:
            notes.append(
                f"The data ends on {last_line:%a %d %b %Y}: the week's last {short} day(s) hold no lines yet."
            )
    if week + timedelta(days=6) < first_line:
        first_sunday = first_line + timedelta(days=6 - first_line.weekday())
        if as_of is None:
            raise LgsError(
                f"the data ({first_line:%d %b %Y} – {last_line:%d %b %Y}) holds no complete ISO week yet",
                where="report",
                todo=f"load more data, or give --as-of {first_sunday} for the first, partial week",
            )
        raise LgsError(
            f"week {week_label(week)} ends before the data starts ({first_line:%d %b %Y})",
            where="--as-of",
            todo=f"give a date from {first_sunday} on",
        )
    return week, notes


def complete_weeks(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Mondays of every complete ISO week in the store, newest first (the Reports page's choices)."""
    first, last = data_days(con)
    newest = last_complete_week(last)
    weeks = []
    week = newest
    while week + timedelta(days=6) >= first:
        weeks.append(week)
        week -= timedelta(days=7)
    return weeks


def data_days(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    whole = Window().resolved(con)  # the store's first and last day (sql/store/bounds.sql)
    if whole.start is None or whole.end is None:
        raise LgsError(
            "the store holds no lines",
            where="report",
            todo="load data first: `python -m lgs_core demo` or `python -m lgs_core load FILE`",
        )
    return whole.start, whole.end


def check_countries(con: duckdb.DuckDBPyConnection, countries: Sequence[str]) -> None:
    """A country the store has never seen is a typo, not a report of zeros."""
    if not countries:
        return
    known = {row[0] for row in rows(con, "store/countries")}
    unknown = sorted(set(countries) - known)
    if unknown:
        raise LgsError(
            f"no lines for {', '.join(repr(c) for c in unknown)}",
            where="--country",
            todo="spell it as the data does, e.g. 'United Kingdom', 'EIRE', 'USA' (`lgs info` counts countries)",
        )


def day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def week_label(week_start: date) -> str:
    year, number, _ = week_start.isocalendar()
    return f"{year}-W{number:02d}"
