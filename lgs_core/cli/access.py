"""The `lgs` commands for kept data sets and the logs (issue #16): history, restore, exports.

``lgs history`` lists the replaced data sets the store keeps (``lgs_core.store.history``), ``lgs restore N`` makes
one current again, exactly, in one transaction; ``lgs exports`` shows who took which customer list. The
analysis commands log a table holding customer ids before they write it (``lgs_core.cli.output.log_list``): a
marketer's list is personal data, so it does not leave the store unrecorded.
"""

from __future__ import annotations

import argparse

from lgs_core.cli import common
from lgs_core.cli.common import EXIT_OK, print_json

COMMANDS = {
    "history": "the replaced data sets the store keeps (restore one with `lgs restore N`)",
    "restore": "make kept data set N the current data set again (the current one is kept in turn)",
    "exports": "the export log: who took which customer list, when, how many customers",
}


def add_command(name: str, subparsers: common.Subparsers, common_parent: argparse.ArgumentParser) -> None:
    """Add the command ``name`` (one of COMMANDS) with all its options (``common_parent``: --db, --json)."""
    p = subparsers.add_parser(name, parents=[common_parent], help=COMMANDS[name])
    if name == "history":
        p.add_argument(
            "--loads", action="store_true", help="the load log instead: who loaded what, when, how many lines"
        )
        p.set_defaults(func=cmd_history)
    elif name == "restore":
        p.add_argument(
            "kept_id", type=int, metavar="N", help="the kept data set's number (`lgs history` lists them)"
        )
        p.set_defaults(func=cmd_restore)
    else:
        p.add_argument("--limit", type=int, default=50, help="the newest N exports (default 50)")
        p.set_defaults(func=cmd_exports)


def cmd_history(args: argparse.Namespace) -> int:
    from lgs_core.store import history, store

    path = store.resolve_db_path(args.db)
    con = store.connect(path, read_only=True)
    try:
        if args.loads:
            log = history.load_log(con)
            if args.json:
                print_json({"loads": log.to_dicts()})
                return EXIT_OK
            for row in log.iter_rows(named=True):
                print(
                    f"load {row['load_id']}: {row['loaded_at']} by {row['loaded_by'] or '(unknown)'}: {row['kind']} "
                    f"{row['source']} ({row['mode']}): {row['rows_loaded']:,} loaded, "
                    f"{row['rows_quarantined']:,} quarantined"
                )
            return EXIT_OK
        kept = history.kept_sets(con)
        current = history.describe_current(con)
    finally:
        con.close()
    if args.json:
        print_json({"current": current, **kept.to_json()})
        return EXIT_OK
    print(f"current: {current or 'no data'}")
    if not kept.kept:
        print(f"kept: none yet ({kept.summary()}); a replace keeps the data set it replaces")
        return EXIT_OK
    print(f"kept: {kept.summary()} (LGS_KEEP, LGS_KEEP_MB)")
    for k in kept.kept:
        by = f" by {k.replaced_by}" if k.replaced_by else ""
        print(
            f"  {k.kept_id}: {k.description}; replaced {k.kept_at:%Y-%m-%d %H:%M}{by} ({history.megabytes(k.bytes)})"
        )
    print("restore one with: lgs restore N")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from lgs_core.store import history

    result = history.restore(args.db, args.kept_id)
    if args.json:
        print_json(result.to_json())
    else:
        print(f"{result.summary()} in {result.seconds:.1f} s")
        if result.kept_as is not None:
            print(f"  undo: lgs restore {result.kept_as}")
    return EXIT_OK


def cmd_exports(args: argparse.Namespace) -> int:
    from lgs_core.store import access, store

    records = access.read_exports(store.resolve_db_path(args.db), limit=args.limit)
    if args.json:
        print_json({"exports": [r.to_json() for r in records]})
        return EXIT_OK
    if not records:
        print("no customer list exported yet")
    for r in records:
        scope = f" [{r.scope}]" if r.scope else ""
        print(f"{r.at} {r.by} ({r.via}): {r.what}{scope}: {r.customers:,} customers, {r.format} to {r.file}")
    return EXIT_OK


add_commands = common.commands_adder(COMMANDS, add_command)
