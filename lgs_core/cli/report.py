"""The `report` command of the `lgs` CLI: the weekly report to files, optionally by email (issue #6).

    lgs report [--as-of DATE] [--weeks N] --out DIR [--format html,md,json] [--z 3]
               [--min-change new_customers=8,orders=25,sales=5000] [--email-to ADDR] [--skip-if-quiet]

Exit codes: 0 nothing flagged, 3 something flagged (cron and CI act on it), 2 a user error (one line on
stderr: what, where, what to do; files already written stay), 1 an unexpected failure.
``add_commands(subparsers, common_parent)`` adds it to `lgs`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lgs_core.cli import common
from lgs_core.cli.common import EXIT_FLAGGED, EXIT_OK, parse_date

if TYPE_CHECKING:
    from lgs_core.analyses import anomaly

COMMANDS = {
    "report": "the weekly report (HTML, Markdown, JSON) with spikes and dips; exit 3 when something is flagged",
}


def add_command(name: str, subparsers: common.Subparsers, common_parent: argparse.ArgumentParser) -> None:
    """Add ``report`` (the one command of COMMANDS) with all its options; the report module (DuckDB,
    Polars) is imported here, when the command is built, not when `lgs --help` lists it."""
    from lgs_core.analyses import anomaly
    from lgs_core.report.report import DEFAULT_WEEKS, FORMATS

    p = subparsers.add_parser(
        name,
        parents=[common_parent],
        help=COMMANDS[name],
        description="Report on one ISO week: figures against last week, last year and the trailing 12 weeks; "
        "spikes and dips of new customers, orders and sales. Exit code 0: nothing flagged; 3: something is.",
    )
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="report on the ISO week ending on or before this day (cron: today → last week); "
        "default: the last complete week in the data",
    )
    p.add_argument(
        "--weeks",
        type=int,
        default=DEFAULT_WEEKS,
        metavar="N",
        help=f"weeks of history in the tables and charts (default {DEFAULT_WEEKS})",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for lgs-weekly-<ISO week>.<format>")
    p.add_argument(
        "--format",
        default=",".join(FORMATS),
        metavar="html,md,json",
        help="which files to write, comma-separated (default: all three)",
    )
    p.add_argument(
        "--z",
        type=float,
        default=anomaly.DetectorSettings.z,
        help=f"robust z threshold for a spike or dip (default {anomaly.DetectorSettings.z:g})",
    )
    floors = ",".join(f"{k}={m.min_change:g}" for k, m in anomaly.METRICS.items())
    p.add_argument(
        "--min-change",
        default="",
        metavar="METRIC=N,...",
        help=f"smallest change on the median that may flag, per metric (default {floors})",
    )
    p.add_argument(
        "--no-seasonal",
        action="store_true",
        help="flag on the z and the minimum change alone, without checking the same week last year",
    )
    p.add_argument(
        "--country", action="append", default=[], metavar="NAME", help="only this country (repeatable)"
    )
    p.add_argument("--products-only", action="store_true", help="only product lines (no postage, fees)")
    p.add_argument(
        "--email-to",
        action="append",
        default=[],
        metavar="ADDR",
        help="email the HTML report (Markdown as plain text) to ADDR (repeatable or comma-separated); "
        "SMTP settings from LGS_SMTP_* or [smtp] in .streamlit/secrets.toml",
    )
    p.add_argument("--skip-if-quiet", action="store_true", help="send no email when nothing is flagged")
    p.set_defaults(func=cmd_report)


def settings_from_args(args: argparse.Namespace) -> anomaly.DetectorSettings:
    from lgs_core.analyses import anomaly

    return anomaly.DetectorSettings(
        z=args.z,
        min_change=anomaly.parse_min_change(args.min_change or ""),
        seasonal=not args.no_seasonal,
    )


def cmd_report(args: argparse.Namespace) -> int:
    from lgs_core.report import mailer
    from lgs_core.report.report import build_report, parse_formats, to_json, write_report
    from lgs_core.store import store

    # Check every argument before any work: a typo must not cost a half-done run.
    as_of = parse_date(args.as_of, "--as-of")
    formats = parse_formats(args.format)
    settings = settings_from_args(args)
    recipients = mailer.parse_recipients(args.email_to)
    smtp = mailer.smtp_settings() if recipients else None
    if smtp is not None:
        mailer.check_settings(smtp)

    con = store.connect(args.db, read_only=True)
    try:
        report = build_report(
            con,
            as_of=as_of,
            weeks=args.weeks,
            settings=settings,
            countries=tuple(args.country or ()),
            products_only=bool(args.products_only),
        )
    finally:
        con.close()
    written = write_report(report, args.out, formats)

    email: dict[str, Any] = {"to": recipients, "sent": False, "reason": "no --email-to"}
    if recipients and smtp is not None:
        if args.skip_if_quiet and report.quiet:
            email["reason"] = "nothing flagged (--skip-if-quiet)"
        else:
            mailer.send_report(report, recipients, smtp)
            email = {"to": recipients, "sent": True, "reason": "", "smtp": f"{smtp.host}:{smtp.port}"}

    if args.json:
        body = {**to_json(report), "files": [str(p) for p in written], "email": email}
        print(json.dumps(body, indent=2, ensure_ascii=False))  # £ and the like as they are
    else:
        _print_summary(report, written, email)
    return EXIT_FLAGGED if report.flag_count else EXIT_OK


def _print_summary(report: Any, written: Sequence[Path], email: dict[str, Any]) -> None:
    print(f"{report.title}: {report.summary}")
    for flag in report.flags:
        print(f"  {flag.arrow} {flag.text}")
        if flag.countries:
            print(f"    {flag.countries_text()}")
    for flag in report.watches:
        print(f"  watch: {flag.text} ({flag.assessment.reason})")
    for move in report.moved_segments:  # saved segments whose size moved unusually
        print(f"  saved segment: {move.text()}")
    for note in report.notes:
        print(f"  note: {note}")
    print("wrote " + ", ".join(str(p) for p in written))
    if email["sent"]:
        print(f"emailed to {', '.join(email['to'])}")
    elif email["to"]:
        print(f"not emailed: {email['reason']}")


add_commands = common.commands_adder(COMMANDS, add_command)
