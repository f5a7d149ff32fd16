"""What every `lgs` command module shares: exit codes, registering a module's commands, the option blocks
several commands take, date parsing, JSON and progress printing.

Imports only the standard library and ``lgs_core.errors`` (every command module imports this at load, and
`lgs --help` loads every command module): what a block needs beyond that it imports when it is built.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from lgs_core.errors import LgsError

if TYPE_CHECKING:
    from lgs_core.analyses import rfm
    from lgs_core.query.window import Window

EXIT_OK = 0
EXIT_UNEXPECTED = 1  # one line; `--debug` shows the traceback
EXIT_USER_ERROR = 2  # one line on stderr: what, where, what to do
EXIT_FLAGGED = 3  # `lgs report`: the report flagged something (cron and CI act on it)
EXIT_INTERRUPTED = 130  # Ctrl-C

# lgs_core.analyses.analytics.PRESETS, written out so building a parser imports no analysis (a test checks).
PRESETS = ("classic", "standard")
OUTPUT_FORMATS = ("table", "csv", "json")
_DSN_EXAMPLE = (
    "e.g. postgresql://USER:PASSWORD@HOST:5432/DBNAME "
    "(default: env LGS_PG_DSN, else [postgres] in .streamlit/secrets.toml)"
)
_TABLE_DEFAULT = "TABLE or SCHEMA.TABLE (default: table in [postgres] of secrets.toml, else retail)"


# --- registering a module's commands -----------------------------------------------------------------------


class Subparsers(Protocol):
    """What a command module needs of ``ArgumentParser.add_subparsers()``'s result: ``add_parser``."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


AddCommand = Callable[[str, Subparsers, argparse.ArgumentParser], None]


class AddCommands(Protocol):
    def __call__(
        self, subparsers: Subparsers, common_parent: argparse.ArgumentParser | None = None
    ) -> None: ...


def commands_adder(commands: Mapping[str, str], add_command: AddCommand) -> AddCommands:
    """A module's ``add_commands(subparsers, common_parent=None)``: ``add_command`` for each of ``commands``.

    ``common_parent`` gives every command ``--db`` and ``--json`` (`lgs` passes its own); without it, the
    commands get ``store_parent()``'s."""

    def add_commands(subparsers: Subparsers, common_parent: argparse.ArgumentParser | None = None) -> None:
        parent = common_parent if common_parent is not None else store_parent()
        for name in commands:
            add_command(name, subparsers, parent)

    return add_commands


# --- the option blocks -------------------------------------------------------------------------------------


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


def store_parent() -> argparse.ArgumentParser:
    """``--db`` and ``--json``: every command has them."""
    parent = _parent()
    parent.add_argument(
        "--db",
        help="the DuckDB store (default: env LGS_DB, else ~/.local/share/lgs-explorer/lgs.duckdb)",
    )
    parent.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return parent


def window_parent() -> argparse.ArgumentParser:
    """The window an analysis looks at and its definitions: ``--start --end --country --products-only --preset``."""
    parent = _parent()
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
        choices=PRESETS,
        default="standard",
        help="classic: the original notebook's definitions; standard (default): see docs/DEFINITIONS.md",
    )
    return parent


def add_output_options(parser: argparse.ArgumentParser, files: str) -> None:
    """``--format table|csv|json`` and ``--out FILE`` (``files``: the suffixes it writes, for the help)."""
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default=None, help="output format")
    parser.add_argument("--out", metavar="FILE", help=f"write to FILE ({files})")


def analysis_parent() -> argparse.ArgumentParser:
    """The window and output options of the analyses (``lgs_core.cli.engine`` and ``.segments``)."""
    parent = window_parent()
    add_output_options(parent, ".csv, .json, .txt; rfm also .xlsx")
    return parent


def add_postgres_options(parser: argparse.ArgumentParser, dsn_lead: str, table_lead: str) -> None:
    """``--dsn`` and ``--table``: which PostgreSQL table (``lgs_core.sources.postgres.resolve_*``)."""
    parser.add_argument("--dsn", help=f"{dsn_lead} {_DSN_EXAMPLE}")
    parser.add_argument("--table", help=f"{table_lead} {_TABLE_DEFAULT}")


def add_reference_date(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reference-date", metavar="YYYY-MM-DD", help="'today' for recency (default: see docs)"
    )


def add_scoring_options(parser: argparse.ArgumentParser) -> None:
    """The RFM scoring options (``lgs rfm``, and migration and affinity, with the same names and meaning)."""
    from lgs_core.analyses.rfm import EXAMPLE_FIXED_CUTS

    parser.add_argument("--bins", type=int, default=5, help="quantile scores 1..BINS, 3 to 5 (default 5)")
    parser.add_argument(
        "--cuts", metavar="CUTS", help=f"fixed cut points instead of quantiles, e.g. '{EXAMPLE_FIXED_CUTS}'"
    )
    parser.add_argument(
        "--segments",
        default="classic10",
        metavar="classic10|rfm11|PATH.json",
        help='segment map: the notebook\'s 10, the 11-segment variant, or a JSON grid {"RF": name}',
    )


# --- reading arguments ---------------------------------------------------------------------------------------


def parse_date(text: str | None, option: str) -> date | None:
    """``YYYY-MM-DD`` (None when not given); a user error naming ``option`` when it is not a date."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise LgsError(f"{text!r} is not a date", where=option, todo="write dates as YYYY-MM-DD") from None


def required_date(text: str, option: str) -> date:
    parsed = parse_date(text, option)
    if parsed is None:
        raise LgsError("no date given", where=option, todo="write dates as YYYY-MM-DD")
    return parsed


# --- printing ------------------------------------------------------------------------------------------------


def print_json(obj: object) -> None:
    """One JSON object on stdout (the `--json` output of every command)."""
    print(json.dumps(obj, indent=2, default=str))


def progress_printer(enabled: bool) -> Callable[[float, str], None] | None:
    """A progress line on stderr for long steps (None when disabled: not a terminal, or --json)."""
    if not enabled:
        return None

    def show(fraction: float, message: str) -> None:
        print(
            f"\r[{fraction:4.0%}] {message:<60}",
            end="" if fraction < 1 else "\n",
            file=sys.stderr,
            flush=True,
        )

    return show


def progress(args: argparse.Namespace) -> Callable[[float, str], None] | None:
    """The progress line of a loading command: on a terminal, and not with ``--json``."""
    return progress_printer(sys.stderr.isatty() and not args.json)


def say_kept(db: str | None, load_id: int) -> None:
    """After a replace: which kept set holds the data set it replaced, and how to bring it back."""
    from lgs_core.store import history, store

    try:  # the load itself succeeded: a store busy again by now only loses this line
        con = store.connect(db, read_only=True)
    except LgsError:
        return
    try:
        kept = history.kept_by_load(con, load_id)
    finally:
        con.close()
    if kept is not None:
        kept_id, description = kept
        print(f"  kept the data set it replaced as {kept_id} ({description}): lgs restore {kept_id}")


def print_load_notes(
    reasons: Mapping[str, int], notes: list[str] | None, refused: str = "quarantined"
) -> None:
    """The lines under a load's summary: each quarantine reason with its count, then the notes."""
    for reason, count in reasons.items():
        print(f"  {refused}: {reason}: {count:,}")
    for note in notes or []:
        print(f"  note: {note}")


def window_from_args(args: argparse.Namespace) -> Window:
    """The window of ``--start --end --country --products-only`` (``window_parent``)."""
    from lgs_core.query.window import Window

    return Window(
        start=parse_date(args.start, "--start"),
        end=parse_date(args.end, "--end"),
        countries=tuple(args.country or ()),
        products_only=bool(args.products_only),
    )


def rfm_params_from_args(args: argparse.Namespace) -> rfm.RfmParams:
    """The RFM parameters of ``--preset``, ``--reference-date`` and ``scoring_parent``'s options."""
    from lgs_core.analyses import rfm

    cuts = rfm.FixedCuts.parse(args.cuts) if args.cuts else None
    return rfm.RfmParams(
        preset=args.preset,
        reference_date=parse_date(args.reference_date, "--reference-date"),
        scoring="fixed" if cuts else "quantile",
        bins=args.bins,
        cuts=cuts,
        segment_map=args.segments,
    )
