"""The automated weekly report (issue #6): one ISO week's figures, what was unusual, and why.

``build_report(con, as_of=...)`` judges the ISO week ending on or before ``as_of`` (default: the last
complete week in the data): new customers, active customers, orders, sales, average order value and
cancellation rate, each against last week, the same ISO week last year and the median of the trailing
12 trading weeks; spikes and dips of new customers, orders and sales come from ``lgs_core.analyses.anomaly`` and are
broken down by country. It renders as self-contained HTML (charts inline as SVG, nothing fetched),
Markdown and JSON; ``weekly_chart`` is the chart the Reports page shows. docs/REPORTING.md explains it all.

This module is the report's public API (what the CLI, the Reports page and the mailer use); each concept
has its own module: ``week`` (which week), ``figures`` (the data: KPIs, flags, ``build_report``), ``chart``,
``tables`` (the page's tables) and ``render`` (JSON, Markdown, HTML, files).
"""

from __future__ import annotations

from lgs_core.report.chart import chart_png, chart_rows, chart_svg, weekly_chart
from lgs_core.report.figures import (
    DEFAULT_WEEKS,
    KPI_DEFINITIONS,
    MAX_WEEKS,
    SHARE_WORTH_NAMING,
    STATUS_WORDS,
    TOP_COUNTRIES,
    CountryChange,
    Flag,
    Kind,
    Kpi,
    Number,
    WeeklyReport,
    assess_weeks,
    build_report,
    weekly_table,
)
from lgs_core.report.render import (
    FORMATS,
    method_text,
    parse_formats,
    render,
    to_html,
    to_json,
    to_json_text,
    to_markdown,
    write_report,
)
from lgs_core.report.tables import flagged_weeks, history_table, kpi_table, segment_table
from lgs_core.report.week import STALE_DAYS, complete_weeks, last_complete_week, monday, report_week

__all__ = [
    "CountryChange",
    "DEFAULT_WEEKS",
    "FORMATS",
    "Flag",
    "KPI_DEFINITIONS",
    "Kind",
    "Kpi",
    "MAX_WEEKS",
    "Number",
    "SHARE_WORTH_NAMING",
    "STALE_DAYS",
    "STATUS_WORDS",
    "TOP_COUNTRIES",
    "WeeklyReport",
    "assess_weeks",
    "build_report",
    "chart_png",
    "chart_rows",
    "chart_svg",
    "complete_weeks",
    "flagged_weeks",
    "history_table",
    "kpi_table",
    "last_complete_week",
    "method_text",
    "monday",
    "parse_formats",
    "render",
    "report_week",
    "segment_table",
    "to_html",
    "to_json",
    "to_json_text",
    "to_markdown",
    "weekly_chart",
    "weekly_table",
    "write_report",
]
