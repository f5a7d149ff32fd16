"""The `lgs segment` commands (issue #18): the saved segments of the app's Saved segments page.

``lgs segment list`` names them; ``lgs segment show NAME`` gives the rule in words and its customers and revenue
in the window; ``lgs segment export NAME`` writes the customers (``--out FILE.csv`` with FILE.manifest.json
beside it, ``--out FILE.xlsx`` with a manifest sheet); ``lgs segment history NAME`` its size and revenue per
month. The window options are the analyses' (``--start --end --country --products-only --preset``).
Saving and deleting happen in the app (one function, ``saved_segments.apply_change``, that sign-in can gate).

Imports nothing heavy at load: each command imports what it runs (``lgs --help`` stays fast).
"""

from __future__ import annotations

import argparse
from typing import Any

from lgs_core import formats
from lgs_core.cli import common
from lgs_core.cli.common import print_json, window_from_args
from lgs_core.cli.output import emit_frame, with_store, write_list

COMMANDS = {"segment": "saved segments (made on the app's Saved segments page): list, show, export, history"}


def add_command(name: str, subparsers: common.Subparsers, common_parent: argparse.ArgumentParser) -> None:
    """Add ``segment`` (the one command of COMMANDS) with its actions ``list|show|export|history``."""
    common_ = [common_parent]
    window = common.window_parent()
    p = subparsers.add_parser(name, help=COMMANDS[name])
    actions = p.add_subparsers(dest="segment_command", metavar="ACTION", required=True)

    a = actions.add_parser("list", parents=common_, help="the saved segments and their rules")
    a.set_defaults(func=cmd_list)

    a = actions.add_parser(
        "show", parents=[*common_, window], help="a saved segment's rule in words, its customers and revenue"
    )
    a.add_argument("name", metavar="NAME", help="the segment's name (case is ignored)")
    a.set_defaults(func=cmd_show)

    a = actions.add_parser(
        "export",
        parents=[*common_, window],
        help="a saved segment's customers: --out FILE.csv (manifest beside it) or FILE.xlsx (manifest sheet)",
    )
    a.add_argument("name", metavar="NAME", help="the segment's name (case is ignored)")
    common.add_output_options(a, ".csv, .xlsx, .json, .txt")
    a.set_defaults(func=cmd_export)

    a = actions.add_parser(
        "history", parents=[*common_, window], help="a saved segment's customers and revenue per month"
    )
    a.add_argument("name", metavar="NAME", help="the segment's name (case is ignored)")
    common.add_output_options(a, ".csv, .json, .txt")
    a.set_defaults(func=cmd_history)


def cmd_list(args: argparse.Namespace) -> int:
    from lgs_core.analyses.saved_segments import list_segments

    def work(con: Any) -> int:
        saved = list_segments(con)
        if getattr(args, "json", False):
            print_json({"segments": [s.to_json() for s in saved]})
        elif not saved:
            print("no saved segments yet: build one on the app's Saved segments page")
        else:
            for s in saved:
                print(f"{s.name}: {s.rule.label()} (saved {s.updated_at:%Y-%m-%d %H:%M})")
        return 0

    return with_store(args, work)


def _result(con: Any, args: argparse.Namespace) -> Any:
    from lgs_core.analyses.saved_segments import get_segment, segment_customers

    segment = get_segment(con, args.name)
    return segment_customers(con, window_from_args(args), segment.rule, args.preset, name=segment.name)


def cmd_show(args: argparse.Namespace) -> int:
    def work(con: Any) -> int:
        result = _result(con, args)
        if getattr(args, "json", False):
            print_json(result.to_json())
            return 0
        share = f" ({result.share:.1%} of {result.total:,})" if result.share is not None else ""
        print(f"segment: {result.name}")
        print(f"rule: {result.rule.label()}")
        print(
            f"window: {result.window.label} · {result.preset} definitions · reference date {result.reference_date}"
        )
        print(f"customers: {result.count:,}{share}")
        print(f"revenue: {formats.money(result.revenue, places=2)}")
        return 0

    return with_store(args, work)


def cmd_export(args: argparse.Namespace) -> int:
    def work(con: Any) -> int:
        result = _result(con, args)
        table = result.table()
        header = {k: v for k, v in result.to_json().items() if k != "customers"}
        return write_list(args, table, "customers", {**header, "count": result.count}, result.manifest)

    return with_store(args, work)


def cmd_history(args: argparse.Namespace) -> int:
    from lgs_core.analyses.saved_segments import get_segment, history

    def work(con: Any) -> int:
        segment = get_segment(con, args.name)
        result = history(con, window_from_args(args), segment.rule, args.preset, name=segment.name)
        header = {
            "segment": segment.name,
            "rule_text": segment.rule.label(),
            "window": result.window.to_json(),
        }
        return emit_frame(args, result.months, "months", {**header, "preset": args.preset})

    return with_store(args, work)


add_commands = common.commands_adder(COMMANDS, add_command)
