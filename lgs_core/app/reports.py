"""The Reports page's model: the complete weeks to choose from, and the weekly report of one (its figures,
flags, chart and downloads come from lgs_core.report, the same as `lgs report` writes and mails).

Each call takes an open DuckDB connection first, as every page model does (``pages/_common.model`` opens one
per call and caches the result). Imports no streamlit (STYLE.md §2).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from lgs_core.analyses.anomaly import DetectorSettings
from lgs_core.report import report


def weeks(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The Mondays of the complete weeks (Monday to Sunday) the store covers, newest first."""
    return report.complete_weeks(con)


def weekly_report(
    con: duckdb.DuckDBPyConnection,
    week: date,
    countries: tuple[str, ...],
    products_only: bool,
    settings: DetectorSettings,
    history: int,
) -> report.WeeklyReport:
    """The report of the week starting ``week`` (a Monday), against the ``history`` weeks before it, for the
    sidebar's countries and products setting and the detector's ``settings``."""
    return report.build_report(
        con,
        as_of=week + timedelta(days=6),
        weeks=history,
        settings=settings,
        countries=countries,
        products_only=products_only,
    )
