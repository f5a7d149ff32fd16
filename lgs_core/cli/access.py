"""The `lgs` commands for kept data sets and the logs (issue #16): history, restore, exports.

``lgs history`` lists the replaced data sets the store keeps (``lgs_core.store.history``), ``lgs restore N`` makes
one current again, exactly, in one transaction; ``lgs exports`` shows who took which customer list. The
analysis commands call ``log_list`` before they write a table holding customer ids: a marketer's list is
personal data, so it does not leave the store unrecorded (``lgs_core.store.access.log_export``).
"""

from __future__ import annotations

import argparse
from typing import Any

COMMANDS = {
    "history": "the replaced data sets the store keeps (restore one with `lgs restore N`)",
    "restore": "make kept data set N the current data set again (the current one is kept in turn)",
    "exports": "the export log: who took which customer list, when, how many customers",
}


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common_parent: argparse.ArgumentParser | None = None,
) -> None:
    for name in COMMANDS:
        add_command(name, subparsers, common_parent)


def add_command(
    name: str,
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common_parent: argparse.ArgumentParser | None = None,
) -> None:
    """Add the command ``name`` (one of COMMANDS) with all its options."""
    parents = [common_parent] if common_parent is not None else []
    p = subparsers.add_parser(name, parents=parents, help=COMMANDS[name])
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


def _print_json(obj: object) -> None:
    from lgs_core.cli import print_json

    print_json(obj)


def cmd_history(args: argparse.Namespace) -> int:
    from lgs_core.store import history, store

    path = store.resolve_db_path(args.db)
    con = store.connect(path, read_only=True)
    try:
        if args.loads:
            log = history.load_log(con)
            if args.json:
                _print_json({"loads": log.to_dicts()})
                return 0
            for row in log.iter_rows(named=True):
                print(
                    f"load {row['load_id']}: {row['loaded_at']} by {row['loaded_by'] or '(unknown)'}: {row['kind']} "
                    f"{row['source']} ({row['mode']}): {row['rows_loaded']:,} loaded, "
                    f"{row['rows_quarantined']:,} quarantined"
                )
            return 0
        kept = history.kept_sets(con)
        current = history.describe_current(con)
    finally:
        con.close()
    if args.json:
        _print_json({"current": current, **kept.to_json()})
        return 0
    print(f"current: {current or 'no data'}")
    if not kept.kept:
        print(f"kept: none yet ({kept.summary()}); a replace keeps the data set it replaces")
        return 0
    print(f"kept: {kept.summary()} (LGS_KEEP, LGS_KEEP_MB)")
    for k in kept.kept:
        by = f" by {k.replaced_by}" if k.replaced_by else ""
        print(
            f"  {k.kept_id}: {k.description}; replaced {k.kept_at:%Y-%m-%d %H:%M}{by} ({history.megabytes(k.bytes)})"
        )
    print("restore one with: lgs restore N")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from lgs_core.store import history

    result = history.restore(args.db, args.kept_id)
    if args.json:
        _print_json(result.to_json())
    else:
        print(f"{result.summary()} in {result.seconds:.1f} s")
        if result.kept_as is not None:
            print(f"  undo: lgs restore {result.kept_as}")
    return 0


def cmd_exports(args: argparse.Namespace) -> int:
    from lgs_core.store import access, store

    records = access.read_exports(store.resolve_db_path(args.db), limit=args.limit)
    if args.json:
        _print_json({"exports": [r.to_json() for r in records]})
        return 0
    if not records:
        print("no customer list exported yet")
    for r in records:
        scope = f" [{r.scope}]" if r.scope else ""
        print(f"{r.at} {r.by} ({r.via}): {r.what}{scope}: {r.customers:,} customers, {r.format} to {r.file}")
    return 0


def log_list(args: argparse.Namespace, table: Any, what: str, fmt: str) -> None:
    """Record a table with customer ids before the CLI writes it (stdout or --out); others are not lists."""
    from lgs_core.store import store

    columns = getattr(table, "columns", [])
    if "customer_id" not in columns:
        return
    from lgs_core.store import access

    window = getattr(args, "start", None), getattr(args, "end", None), getattr(args, "country", None)
    scope = ", ".join(
        part
        for part in (
            f"from {window[0]}" if window[0] else "",
            f"to {window[1]}" if window[1] else "",
            "countries " + " ".join(window[2]) if window[2] else "",
        )
        if part
    )
    access.log_export(
        store.resolve_db_path(args.db),
        by=access.os_user(),
        what=f"lgs {args.command}: {what}",
        customers=int(table["customer_id"].n_unique()),
        fmt=fmt,
        file=getattr(args, "out", None) or "stdout",
        via="cli",
        scope=scope,
    )
