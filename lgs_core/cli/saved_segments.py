"""The `lgs segment` commands (issue #18): the saved segments of the app's Saved segments page.

``lgs segment list`` names them; ``lgs segment show NAME`` gives the rule in words and its customers and revenue
in the window; ``lgs segment export NAME`` writes the customers (``--out FILE.csv`` with FILE.manifest.json
beside it, ``--out FILE.xlsx`` with a manifest sheet); ``lgs segment history NAME`` its size and revenue per
month. The window options are the analyses' (``--start --end --country --products-only --preset``).
Saving and deleting happen in the app (one function, ``saved_segments.apply_change``, that sign-in can gate).

Imports only argparse at load: each command imports what it runs (``lgs --help`` stays fast).
"""

from __future__ import annotations

import argparse
from typing import Any

# lgs_core.analyses.analytics.PRESETS, written out so building the parser imports nothing heavy.
_PRESETS = ("classic", "standard")


COMMANDS = {"segment": "saved segments (made on the app's Saved segments page): list, show, export, history"}


def add_command(
    name: str,
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common_parent: argparse.ArgumentParser | None = None,
) -> None:
    """Add ``segment`` (the one command of COMMANDS) with its actions."""
    add_commands(subparsers, common_parent)


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common_parent: argparse.ArgumentParser | None = None,
) -> None:
    """Add ``segment list|show|export|history`` to the CLI's subparsers."""
    common = [common_parent] if common_parent is not None else []
    window = _window_parent()
    p = subparsers.add_parser("segment", help=COMMANDS["segment"])
    actions = p.add_subparsers(dest="segment_command", metavar="ACTION", required=True)

    a = actions.add_parser("list", parents=common, help="the saved segments and their rules")
    a.set_defaults(func=cmd_list)

    a = actions.add_parser(
        "show", parents=[*common, window], help="a saved segment's rule in words, its customers and revenue"
    )
    a.add_argument("name", metavar="NAME", help="the segment's name (case is ignored)")
    a.set_defaults(func=cmd_show)

    a = actions.add_parser(
        "export",
        parents=[*common, window],
        help="a saved segment's customers: --out FILE.csv (manifest beside it) or FILE.xlsx (manifest sheet)",
    )
    a.add_argument("name", metavar="NAME", help="the segment's name (case is ignored)")
    a.add_argument("--format", choices=("table", "csv", "json"), default=None, help="output format")
    a.add_argument("--out", metavar="FILE", help="write to FILE (.csv, .xlsx, .json, .txt)")
    a.set_defaults(func=cmd_export)

    a = actions.add_parser(
        "history", parents=[*common, window], help="a saved segment's customers and revenue per month"
    )
    a.add_argument("name", metavar="NAME", help="the segment's name (case is ignored)")
    a.add_argument("--format", choices=("table", "csv", "json"), default=None, help="output format")
    a.add_argument("--out", metavar="FILE", help="write to FILE (.csv, .json, .txt)")
    a.set_defaults(func=cmd_history)


def _window_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--start", metavar="YYYY-MM-DD", help="first day (default: the data's first)")
    parent.add_argument("--end", metavar="YYYY-MM-DD", help="last day, inclusive (default: the data's last)")
    parent.add_argument(
        "--country", action="append", default=[], metavar="NAME", help="only this country (repeatable)"
    )
    parent.add_argument(
        "--products-only", action="store_true", help="only product lines (no postage, fees, manual lines)"
    )
    parent.add_argument(
        "--preset",
        choices=_PRESETS,
        default="standard",
        help="classic: the original notebook's definitions; standard (default): see docs/DEFINITIONS.md",
    )
    return parent


def _read(args: argparse.Namespace, work: Any) -> int:
    from lgs_core.store import store

    con = store.connect(getattr(args, "db", None), read_only=True)
    try:
        code: int = work(con)
        return code
    finally:
        con.close()


def _print_json(obj: object) -> None:
    from lgs_core.cli import print_json

    print_json(obj)


def cmd_list(args: argparse.Namespace) -> int:
    from lgs_core.analyses.saved_segments import list_segments

    def work(con: Any) -> int:
        saved = list_segments(con)
        if getattr(args, "json", False):
            _print_json({"segments": [s.to_json() for s in saved]})
        elif not saved:
            print("no saved segments yet: build one on the app's Saved segments page")
        else:
            for s in saved:
                print(f"{s.name}: {s.rule.label()} (saved {s.updated_at:%Y-%m-%d %H:%M})")
        return 0

    return _read(args, work)


def _result(con: Any, args: argparse.Namespace) -> Any:
    from lgs_core.analyses.saved_segments import get_segment, segment_customers
    from lgs_core.cli.engine import window_from_args

    segment = get_segment(con, args.name)
    return segment_customers(con, window_from_args(args), segment.rule, args.preset, name=segment.name)


def cmd_show(args: argparse.Namespace) -> int:
    def work(con: Any) -> int:
        result = _result(con, args)
        if getattr(args, "json", False):
            _print_json(result.to_json())
            return 0
        share = f" ({result.share:.1%} of {result.total:,})" if result.share is not None else ""
        print(f"segment: {result.name}")
        print(f"rule: {result.rule.label()}")
        print(
            f"window: {result.window.label} · {result.preset} definitions · reference date {result.reference_date}"
        )
        print(f"customers: {result.count:,}{share}")
        print(f"revenue: £{result.revenue:,.2f}")
        return 0

    return _read(args, work)


def cmd_export(args: argparse.Namespace) -> int:
    from lgs_core.cli.segments import _write_list

    def work(con: Any) -> int:
        result = _result(con, args)
        table = result.table()
        header = {k: v for k, v in result.to_json().items() if k != "customers"}
        return _write_list(args, table, "customers", {**header, "count": result.count}, result.manifest)

    return _read(args, work)


def cmd_history(args: argparse.Namespace) -> int:
    from lgs_core.analyses.saved_segments import get_segment, history
    from lgs_core.cli.engine import _emit_frame, window_from_args

    def work(con: Any) -> int:
        segment = get_segment(con, args.name)
        result = history(con, window_from_args(args), segment.rule, args.preset, name=segment.name)
        header = {
            "segment": segment.name,
            "rule_text": segment.rule.label(),
            "window": result.window.to_json(),
        }
        return _emit_frame(args, result.months, "months", {**header, "preset": args.preset})

    return _read(args, work)
