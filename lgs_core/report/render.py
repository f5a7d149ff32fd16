"""The weekly report written out: JSON, Markdown and self-contained HTML (charts inline as SVG), and files."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lgs_core import formats
from lgs_core.analyses.anomaly import (
    DETECTED,
    METRICS,
    DetectorSettings,
    fmt_value,
)
from lgs_core.errors import LgsError, file_errors
from lgs_core.present.display import literal
from lgs_core.report.chart import chart_svg, weekly_chart
from lgs_core.report.figures import KPIS, Kpi, Number, WeeklyReport, json_value
from lgs_core.report.tables import week_marks
from lgs_core.report.week import week_label

FORMATS = ("html", "md", "json")

# --- rendering ------------------------------------------------------------------------------------------


def to_json(report: WeeklyReport) -> dict[str, Any]:
    """The report as JSON-ready data: money as pounds with 2 decimals (the CLI's convention), counts as ints."""
    return {
        "report": "lgs-weekly",
        "version": 1,
        "week": {
            "iso": report.label,
            "start": report.week_start.isoformat(),
            "end": report.week_end.isoformat(),
            "trading": report.trading,
        },
        "title": report.title,
        "subject": report.subject,
        "generated_at": report.generated_at.isoformat(sep=" "),
        "data": {
            "first_day": report.data_first.isoformat(),
            "last_day": report.data_last.isoformat(),
            "version": report.data_version,
        },
        "window": {"countries": list(report.countries), "products_only": report.products_only},
        "settings": report.settings.to_json(),
        "flag_count": report.flag_count,
        "quiet": report.quiet,
        "kpis": [k.to_json() for k in report.kpis],
        "flags": [f.to_json() for f in report.flags],
        "watch": [f.to_json() for f in report.watches],
        "saved_segments": [m.to_json() for m in report.segment_moves],
        "weeks": [
            {
                "week_start": row["week_start"].isoformat(),
                "iso_week": week_label(row["week_start"]),
                "trading": row["trading"],
                **{key: json_value(row[key]) for key, _, _ in KPIS},
                "status": {m: report.history[m][i].status for m in DETECTED},
            }
            for i, row in enumerate(report.weeks.iter_rows(named=True))
        ],
        "notes": list(report.notes),
    }


def to_json_text(report: WeeklyReport) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


def _md_escape(text: str) -> str:
    """The report's own words in a Markdown table cell (a pipe would end the cell)."""
    return text.replace("|", "\\|")


# Text from the data (countries, saved segments' names users typed) in the Markdown report: exactly its
# characters, as on the pages (a country "[Verify](http://evil.example)" is no live link in a viewer).
_md_data = literal


def to_markdown(report: WeeklyReport) -> str:
    """The report as Markdown (also the plain-text part of the email)."""
    out = [
        f"# {report.title}",
        "",
        f"Scope: {report.scope_text(_md_data)}. Data {report.data_first:%d %b %Y} – {report.data_last:%d %b %Y}.",
        "",
    ]
    out += [f"**{report.headline}**", ""]
    if report.flags:
        for flag in report.flags:
            out.append(f"- {flag.arrow} **{flag.assessment.status.upper()}**: {flag.text}")
            if flag.countries:
                out.append(f"  {flag.countries_text(_md_data)}")
        out.append("")
    if report.watches:
        out += ["Watch (not flagged):", ""]
        for flag in report.watches:
            out.append(f"- {flag.arrow} {flag.text} Not a flag: {flag.assessment.reason}.")
        out.append("")
    if report.segment_moves:
        out += ["## Saved segments", ""]
        out += [f"- **{m.assessment.status.upper()}**: {m.text(_md_data)}" for m in report.moved_segments]
        out += ["", "| Saved segment | Customers this week | Expected | Status |", "|---|---:|---|---|"]
        out += [
            f"| {_md_data(m.name)} | {m.size_text} | {m.expected_text} | {_md_escape(m.status_text)} |"
            for m in report.segment_moves
        ]
        out.append("")
    out += [
        "## The week in figures",
        "",
        "| Figure | This week | Last week | Same week last year | Trailing median | vs median |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k in report.kpis:
        out.append(
            f"| {k.label} | {k.text(k.value)} | {_md_compare(k, k.last_week)} | {_md_compare(k, k.last_year)} | "
            f"{k.text(k.trailing_median)} | {k.change_text(k.trailing_median)} |"
        )
    out += ["", f"## The last {report.weeks.height} weeks", ""]
    out += ["| ISO week | Monday | New customers | Orders | Sales | Flags |", "|---|---|---:|---:|---:|---|"]
    for i, row in enumerate(report.weeks.iter_rows(named=True)):
        marks = week_marks(report, i)
        sales = formats.money(row["sales"]) if row["trading"] else "closed"
        out.append(
            f"| {week_label(row['week_start'])} | {row['week_start']:%d %b %Y} | {row['new_customers']:,} | "
            f"{row['orders']:,} | {sales} | {marks} |"
        )
    if report.notes:
        out += ["", "## Notes", ""] + [f"- {_md_escape(n)}" for n in report.notes]
    out += ["", "## How to read this", ""]
    out += [f"- **{k.label}**: {k.definition}" for k in report.kpis]
    out.append(f"- **Flags**: {_method_text(report.settings)}")
    out += [
        "",
        f"_Generated {report.generated_at:%d %b %Y %H:%M} by LGS Explorer · data {report.data_version}._",
        "",
    ]
    return "\n".join(out)


def _md_compare(k: Kpi, other: Number | None) -> str:
    return "–" if other is None else f"{k.text(other)} ({k.change_text(other)})"


def method_text(settings: DetectorSettings) -> str:
    """How a spike or dip is decided, exactly (the statistics): the reports' "How to read this"."""
    return _method_text(settings)


def _method_text(settings: DetectorSettings) -> str:
    floors = ", ".join(f"{METRICS[m].label.lower()} {fmt_value(m, settings.floor(m))}" for m in DETECTED)
    text = (
        f"a spike or dip is a week whose robust z against the median of the trailing {settings.trailing_weeks} "
        f"trading weeks is at least {settings.z:g} (z = (x − median) / (1.4826 × MAD)) and whose change on "
        f"that median is at least the minimum ({floors})"
    )
    if settings.seasonal:
        text += (
            f"; when the same ISO week last year is known the week must also stand out against it "
            f"(z ≥ {settings.confirm_z:g} against last year's value scaled by the change of level), so "
            "the season alone never flags."
        )
    return text + "."


_CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1d2327;
max-width:960px;margin:24px auto;padding:0 16px;line-height:1.45}
h1{font-size:1.45em;margin-bottom:4px}h2{font-size:1.15em;margin-top:28px;border-bottom:1px solid #e3e6e8}
.scope{color:#5f666c;margin-top:0}
.banner{padding:12px 16px;border-radius:6px;font-weight:600;margin:16px 0}
.quiet{background:#e8f3ef;color:#1f5a44}.alert{background:#f8e9e5;color:#7a2e1d}
.flag{border-left:5px solid #B5533C;padding:8px 14px;margin:10px 0;background:#fbf6f4}
.flag.dip{border-color:#3F6FA8;background:#f3f6fa}.flag.watch{border-color:#C9A66B;background:#fbf8f1}
.flag p{margin:4px 0}.why{color:#5f666c;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:.92em}
th,td{padding:5px 8px;border-bottom:1px solid #e3e6e8;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f6f7}
td.l{text-align:left}.up{color:#2F6F6B}.down{color:#B5533C}.muted{color:#8A8F94}
.chart{margin:12px 0;overflow-x:auto}.chart svg{max-width:100%;height:auto}
.foot{color:#8A8F94;font-size:.85em;margin-top:32px}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _change_cell(k: Kpi, other: Number | None) -> str:
    if other is None:
        return ""
    delta = k.change(other)
    cls = "muted" if delta is None or delta == 0 else ("up" if delta > 0 else "down")
    return f'<span class="{cls}">{_e(k.change_text(other))}</span>'


def _strip_xml_declaration(svg: str) -> str:
    return svg.split("?>", 1)[1].lstrip() if svg.startswith("<?xml") else svg


def to_html(report: WeeklyReport, *, images: Mapping[str, str] | None = None) -> str:
    """The report as one self-contained HTML page: inline CSS, charts inline as SVG, no scripts, no fonts or
    images fetched. ``images`` (metric → URL, e.g. ``cid:…`` in an email) replaces the SVGs by <img> tags.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="scope">{_e(report.scope)} · data {report.data_first:%d %b %Y} – {report.data_last:%d %b %Y}</p>',
    ]
    banner = "quiet" if report.quiet else "alert"
    parts.append(f'<div class="banner {banner}">{_e(report.headline)}</div>')
    for flag in (*report.flags, *report.watches):
        status = flag.assessment.status
        label = {"spike": "Spike", "dip": "Dip", "watch": "Watch (not flagged)"}[status]
        parts.append(f'<div class="flag {status}" id="flag-{flag.metric}">')
        parts.append(f"<p><strong>{flag.arrow} {label}:</strong> {_e(flag.text)}</p>")
        if flag.countries:
            parts.append(f"<p>{_e(flag.countries_text())}</p>")
        parts.append(f'<p class="why">Why: {_e(flag.assessment.reason)}.</p></div>')
    for move in report.moved_segments:
        status = move.assessment.status
        parts.append(f'<div class="flag {status}"><p><strong>{_e(move.text())}</strong></p>')
        parts.append(
            f'<p class="why">Rule: {_e(move.rule_text)}. Why: {_e(move.assessment.reason)}.</p></div>'
        )
    parts += [
        "<h2>The week in figures</h2>",
        "<table><tr><th>Figure</th><th>This week</th><th>Last week</th><th>Same week last year</th>"
        "<th>Trailing median</th><th>vs median</th></tr>",
    ]
    for k in report.kpis:
        parts.append(
            f'<tr><td title="{_e(k.definition)}">{_e(k.label)}</td><td><strong>{_e(k.text(k.value))}</strong></td>'
            f"<td>{_e(k.text(k.last_week))} {_change_cell(k, k.last_week)}</td>"
            f"<td>{_e(k.text(k.last_year))} {_change_cell(k, k.last_year)}</td>"
            f"<td>{_e(k.text(k.trailing_median))}</td><td>{_change_cell(k, k.trailing_median)}</td></tr>"
        )
    parts.append("</table>")
    if report.segment_moves:
        parts.append(
            "<h2>Saved segments</h2><table><tr><th>Saved segment</th><th>Customers this week</th>"
            "<th>Expected</th><th>Status</th></tr>"
        )
        parts += [
            f"<tr><td>{_e(m.name)}</td><td>{_e(m.size_text)}</td><td>{_e(m.expected_text)}</td>"
            f'<td class="l">{_e(m.status_text)}</td></tr>'
            for m in report.segment_moves
        ]
        parts.append("</table>")
    parts.append(f"<h2>The last {report.weeks.height} weeks</h2>")
    for metric in DETECTED:
        if images and metric in images:
            parts.append(
                f'<div class="chart"><img src="{_e(images[metric])}" alt="{_e(METRICS[metric].label)} per week" '
                'width="700"></div>'
            )
        else:
            svg = chart_svg(weekly_chart(report, metric))
            parts.append(f'<div class="chart">{_strip_xml_declaration(svg)}</div>')
    parts.append(
        "<table><tr><th>ISO week</th><th>Monday</th><th>New customers</th><th>Orders</th><th>Sales</th>"
        "<th>Flags</th></tr>"
    )
    for i, row in enumerate(report.weeks.iter_rows(named=True)):
        sales = formats.money(row["sales"]) if row["trading"] else "closed"
        parts.append(
            f"<tr><td>{week_label(row['week_start'])}</td><td>{row['week_start']:%d %b %Y}</td>"
            f"<td>{row['new_customers']:,}</td><td>{row['orders']:,}</td><td>{_e(sales)}</td>"
            f'<td class="l">{_e(week_marks(report, i))}</td></tr>'
        )
    parts.append("</table>")
    if report.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in report.notes) + "</ul>")
    parts.append("<h2>How to read this</h2><ul>")
    parts += [f"<li><strong>{_e(k.label)}</strong>: {_e(k.definition)}</li>" for k in report.kpis]
    parts.append(f"<li><strong>Flags</strong>: {_e(_method_text(report.settings))}</li></ul>")
    parts.append(
        f'<p class="foot">Generated {report.generated_at:%d %b %Y %H:%M} by LGS Explorer · data '
        f"{_e(report.data_version)}</p></body></html>"
    )
    return "\n".join(parts) + "\n"


def render(report: WeeklyReport, fmt: str) -> str:
    if fmt == "html":
        return to_html(report)
    if fmt == "md":
        return to_markdown(report)
    if fmt == "json":
        return to_json_text(report)
    raise LgsError(f"unknown format {fmt!r}", where="--format", todo=f"use any of {', '.join(FORMATS)}")


def parse_formats(text: str) -> tuple[str, ...]:
    chosen = [f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()]
    chosen = ["md" if f == "markdown" else f for f in chosen]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise LgsError(
            f"unknown report format(s): {', '.join(unknown) or '(none)'}",
            where="--format",
            todo="use a comma-separated list of html, md, json",
        )
    return tuple(dict.fromkeys(chosen))


def write_report(report: WeeklyReport, out_dir: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write the report as ``lgs-weekly-<ISO week>.<format>`` into ``out_dir`` (created if needed)."""
    folder = Path(out_dir)
    written = []
    with file_errors("cannot write the report", where=str(folder), todo="choose a writable --out folder"):
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = folder / f"{report.file_stem}.{fmt}"
            path.write_text(render(report, fmt), encoding="utf-8")
            written.append(path)
    return written
