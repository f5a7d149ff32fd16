"""The weekly report as the Reports page's tables: KPIs, the weeks, the saved segments, flagged weeks in words."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from lgs_core import formats
from lgs_core.analyses.anomaly import (
    DETECTED,
    METRICS,
)
from lgs_core.report.figures import WeeklyReport
from lgs_core.report.week import week_label

# --- tables for the Reports page ---------------------------------------------------------------------------


def kpi_table(report: WeeklyReport) -> pl.DataFrame:
    """The week in figures as display text: figure, this week, and each comparison with its change (the
    usual week: the middle of the 12 trading weeks before, their median)."""
    return pl.DataFrame(
        [
            {
                "Figure": k.label,
                "This week": k.text(k.value),
                "Last week": k.text(k.last_week),
                "vs last week": k.change_text(k.last_week),
                "Same week last year": k.text(k.last_year),
                "vs last year": k.change_text(k.last_year),
                "Usual week": k.text(k.trailing_median),
                "vs usual": k.change_text(k.trailing_median),
            }
            for k in report.kpis
        ]
    )


def history_table(report: WeeklyReport) -> pl.DataFrame:
    """The shown weeks, newest first, as a person reads them: "£294,549.73", "18.0%", and what was flagged
    in words ("▲ spike in new customers"; empty when nothing was)."""

    def money(value: Decimal | None) -> str:
        return formats.money(value, places=2)

    names = (
        "Week",
        "New customers",
        "Orders",
        "Sales (£)",
        "Average order value (£)",
        "Cancellation rate",
        "Flags",
    )
    rows = []
    for i, row in enumerate(report.weeks.iter_rows(named=True)):
        rate = row["cancel_rate"]
        rows.append(
            (
                f"{week_label(row['week_start'])} · {row['week_start']:%d %b %Y}",
                f"{row['new_customers']:,}",
                f"{row['orders']:,}",
                money(row["sales"]) if row["trading"] else "–",
                money(row["aov"]),
                "–" if rate is None else f"{rate:.1f}%",
                week_marks(report, i, words=True) if row["trading"] else "closed",
            )
        )
    return pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row").reverse()


def flagged_weeks(report: WeeklyReport) -> list[str]:
    """Each shown week with a spike or dip, newest first, in words: "Week 36 of 2011 (5 Sep): ▲ spike in
    orders: Orders 1,234, expected 800–1,000 (median 900), …"."""
    lines = []
    for i in range(report.weeks.height - 1, -1, -1):
        for metric in DETECTED:
            a = report.history[metric][i]
            if a.flagged:
                arrow = "▲" if a.status == "spike" else "▼"
                lines.append(
                    f"Week {a.iso_week} of {a.iso_year} ({a.week_start.day} {a.week_start:%b}): {arrow} "
                    f"{a.status} in {METRICS[metric].label.lower()}: {a.explanation()}"
                )
    return lines


def segment_table(report: WeeklyReport) -> pl.DataFrame:
    """The saved segments' sizes this week as the Reports page shows them (moved ones first)."""
    return pl.DataFrame(
        {
            "Saved segment": [m.name for m in report.segment_moves],
            "Customers this week": [int(m.assessment.value) for m in report.segment_moves],
            "Expected": [m.expected_text for m in report.segment_moves],
            "Status": [m.status_text for m in report.segment_moves],
        },
        schema={
            "Saved segment": pl.String,
            "Customers this week": pl.Int64,
            "Expected": pl.String,
            "Status": pl.String,
        },
    )


def week_marks(report: WeeklyReport, i: int, *, words: bool = False) -> str:
    marks = []
    for metric in DETECTED:
        a = report.history[metric][i]
        name = METRICS[metric].label.lower()
        if a.flagged:
            arrow = "▲" if a.status == "spike" else "▼"
            marks.append(f"{arrow} {a.status} in {name}" if words else f"{arrow} {name}")
        elif a.status == "watch":
            marks.append(f"watch {name}")
    return ", ".join(marks)
