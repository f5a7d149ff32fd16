"""The `lgs` command line (also `python -m lgs_core`): load, demo, info and the analyses.

Exit codes: 0 success; 2 a user error (one line on stderr: what, where, what to do); 1 an unexpected
failure (one line; `--debug` shows the traceback); 3 is reserved for "the report flagged something".

A command loads only what it runs (issue #14): the command modules (``lgs_core.cli.*``) import nothing heavy
at import time, and the parser fully builds only the command being run; every other command is listed with
its one-line help (each module's ``COMMANDS``). So `lgs --help` imports no Polars, DuckDB or SciPy, and
`lgs monthly` no SciPy, report or lifetime-value code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from lgs_core.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNEXPECTED,
    EXIT_USER_ERROR,
    print_json,
    print_load_notes,
    progress,
    progress_printer,
    say_kept,
    store_parent,
)
from lgs_core.errors import LgsError

__all__ = [
    "EXIT_OK",
    "EXIT_UNEXPECTED",
    "EXIT_USER_ERROR",
    "build_parser",
    "main",
    "print_json",
    "progress_printer",
]


def _cmd_load(args: argparse.Namespace) -> int:
    from lgs_core.sources.ingest import load_file

    result = load_file(
        args.path,
        args.db,
        append=args.append,
        progress=progress(args),
    )
    if args.json:
        print_json(result.to_json())
    else:
        print(
            f"{result.source}: {result.rows_read:,} lines read, {result.rows_loaded:,} loaded, "
            f"{result.rows_quarantined:,} quarantined ({result.mode}) in {result.seconds:.1f} s"
        )
        print_load_notes(dict(sorted(result.quarantine_reasons.items())), result.notes)
        say_kept(args.db, result.load_id)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from lgs_core.sources.demo import load_demo

    result = load_demo(
        args.db,
        rows=args.rows,
        seed=args.seed,
        progress=progress(args),
    )
    if args.json:
        print_json(result.to_json())
    else:
        print(f"{result.source}: {result.rows_loaded:,} lines written in {result.seconds:.1f} s")
        say_kept(args.db, result.load_id)
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from lgs_core.store import store

    path = store.resolve_db_path(args.db)
    con = store.connect(path, read_only=True)
    try:
        info = store.store_info(con, str(path))
    finally:
        con.close()
    if args.json:
        print_json(info.to_json())
        return EXIT_OK
    print(f"store: {info.path}")
    print(f"lines: {info.lines:,} ({info.quarantined:,} quarantined)")
    print(f"invoices: {info.invoices:,}  customers: {info.customers:,}  countries: {info.countries}")
    if info.first_date and info.last_date:
        print(f"dates: {info.first_date:%Y-%m-%d %H:%M} to {info.last_date:%Y-%m-%d %H:%M}")
    for load in info.loads:
        print(
            f"load {load['load_id']}: {load['kind']} {load['source']} ({load['mode']}) at {load['loaded_at']}: "
            f"{load['rows_loaded']:,} loaded, {load['rows_quarantined']:,} quarantined"
        )
    return EXIT_OK


# The command modules in this package (lgs_core/cli/): each has COMMANDS (name -> one-line help) and
# add_command(name, subparsers, common_parent) (lgs_core.cli.common.AddCommand).
COMMAND_MODULES = (
    "engine",
    "postgres",
    "report",
    "segments",
    "access",
    "saved_segments",
)


def _command_in(argv: Sequence[str] | None) -> str | None:
    """The command ``argv`` runs (its first word that is not an option), or None (`lgs --help`, `lgs`)."""
    if argv is None:
        return None
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The `lgs` parser. With ``argv``, only the command it runs gets its options (the others are listed
    with their help, so `lgs --help` and error messages still name them all); without, every command does."""
    common = store_parent()

    parser = argparse.ArgumentParser(
        prog="lgs", description="LGS Explorer: London Gift Shop sales and customer analytics."
    )
    parser.add_argument("--debug", action="store_true", help="show a traceback on unexpected failures")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "load", parents=[common], help="load a transactions file (.xlsx or .csv) into the store"
    )
    p.add_argument("path", help="the file: UCI workbook, its CSV dump, or the original Online Retail set")
    p.add_argument("--append", action="store_true", help="add to the data set instead of replacing it")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser("demo", parents=[common], help="replace the data set with generated demo data")
    p.add_argument("--rows", type=int, default=1_000_000, help="number of lines (default 1,000,000)")
    p.add_argument("--seed", type=int, default=42, help="random seed: the same seed gives the same data")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("info", parents=[common], help="what the store holds")
    p.set_defaults(func=_cmd_info)

    wanted = _command_in(argv)
    for module in COMMAND_MODULES:
        try:
            commands = importlib.import_module(f"lgs_core.cli.{module}")
        except ModuleNotFoundError as exc:  # a command group not present in this build
            if exc.name != f"lgs_core.cli.{module}":
                raise
            continue
        for name, help_text in commands.COMMANDS.items():
            if argv is None or name == wanted:
                commands.add_command(name, sub, common)
            else:
                sub.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except LgsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # the reader went away (`lgs rfm | head`): not a failure
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("error: interrupted — nothing was changed by the interrupted step", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        from lgs_core.store import (
            store,  # loaded by then: every command that can fail so has opened the store
        )

        known = store.failure(exc, getattr(args, "db", None))  # damage a query met, a full disk, ...
        if known is not None and not args.debug:
            print(f"error: {known}", file=sys.stderr)
            return EXIT_USER_ERROR
        if args.debug:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"error: unexpected failure: {type(exc).__name__}: {first} — rerun with --debug and report it",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    raise SystemExit(main())
