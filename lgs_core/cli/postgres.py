"""The PostgreSQL commands of `lgs`: `pg-load PATH` (a file into the `retail` table) and `sync` (the table
into the store). Wired into the parser by ``lgs_core.cli.build_parser`` through ``add_commands``.

Both take ``--dsn`` (else env LGS_PG_DSN, else [postgres] in .streamlit/secrets.toml) and ``--table`` (else
``table`` in that section, else ``retail``). User errors raise LgsError; ``cli.main`` prints them as one line.
"""

from __future__ import annotations

import argparse

from lgs_core.cli import common
from lgs_core.cli.common import EXIT_OK, print_json, print_load_notes, say_kept
from lgs_core.cli.common import progress as _progress
from lgs_core.errors import LgsError


def _cmd_pg_load(args: argparse.Namespace) -> int:
    from lgs_core.sources import postgres

    dsn = postgres.resolve_dsn(args.dsn)
    table = postgres.resolve_table(args.table)
    result = postgres.pg_load(args.path, dsn, table, progress=_progress(args), replace=args.replace)
    if args.json:
        print_json(result.to_json())
        return EXIT_OK
    print(
        f"{result.source} → {result.target}: {result.rows_read:,} lines read, "
        f"{result.rows_loaded:,} loaded, {result.rows_quarantined:,} refused ({result.mode}) "
        f"in {result.seconds:.1f} s"
    )
    for reason, count in result.quarantine_reasons.items():
        print(f"  refused: {reason}: {count:,}")
    for note in result.notes:
        print(f"  note: {note}")
    return EXIT_OK


def _cmd_sync(args: argparse.Namespace) -> int:
    from lgs_core.sources import postgres

    dsn = postgres.resolve_dsn(args.dsn)
    table = postgres.resolve_table(args.table)
    if args.chunk_rows < 1:
        raise LgsError(f"--chunk-rows must be at least 1 (got {args.chunk_rows})")
    result = postgres.sync(
        dsn, args.db, table, full=args.full, progress=_progress(args), chunk_rows=args.chunk_rows
    )
    if args.json:
        print_json(result.to_json())
        return EXIT_OK
    print(f"{result.source}: {result.summary()}")
    print_load_notes(dict(sorted(result.quarantine_reasons.items())), result.notes)
    if result.mode == "full":
        say_kept(args.db, result.load_id)
    return EXIT_OK


COMMANDS = {
    "pg-load": "load a transactions file into the PostgreSQL table (created if absent)",
    "sync": "pull the PostgreSQL table into the store (new lines only; --full for all)",
}


DESCRIPTIONS = {
    "pg-load": "Validate a transactions file like `load` does and COPY its good lines into the "
    "PostgreSQL table, in one transaction. Appends unless --replace.",
    "sync": "Read the PostgreSQL table (read-only) into the store with the same validation and "
    "quarantine as a file. Incremental by default: lines newer than the last sync of this table. "
    "A failed sync leaves the store unchanged.",
}


def add_command(name: str, subparsers: common.Subparsers, common_parent: argparse.ArgumentParser) -> None:
    """Add the command ``name`` (one of COMMANDS) with all its options (``common_parent``: --db, --json)."""
    p = subparsers.add_parser(
        name, parents=[common_parent], help=COMMANDS[name], description=DESCRIPTIONS[name]
    )
    if name == "pg-load":
        p.add_argument("path", help="the file: UCI workbook, its CSV dump, or the original Online Retail set")
    common.add_postgres_options(p, "the PostgreSQL server,", "the table,")
    if name == "pg-load":
        p.add_argument(
            "--replace", action="store_true", help="empty the table first (in the same transaction)"
        )
        p.set_defaults(func=_cmd_pg_load)
    else:
        p.add_argument("--full", action="store_true", help="replace the data set with the whole table")
        p.add_argument(
            "--chunk-rows",
            type=int,
            default=200_000,
            help="lines read and validated per step (default 200,000; lower uses less memory)",
        )
        p.set_defaults(func=_cmd_sync)


add_commands = common.commands_adder(COMMANDS, add_command)
