"""The analysis commands of the `lgs` CLI: monthly, weekly, invoices, rfm.

``add_commands(subparsers, common_parent)`` adds them; each command function returns an exit code and raises
``LgsError`` for a user error. Output: ``--format table|csv|json`` (``--json`` is ``--format json``) to stdout
or ``--out FILE`` (``lgs_core.cli.output``); money in JSON as numbers of pounds with 2 decimals, ``month`` as
``YYYY-MM``.

``--engine postgres`` runs the same analysis inside PostgreSQL on LGS's table (``lgs_core.query.pushdown``), for
data too big to pull: ``--dsn`` (else env LGS_PG_DSN, else [postgres] in .streamlit/secrets.toml) and
``--table`` (else ``table`` in that section, else ``retail``).

Imports nothing heavy itself (Polars, DuckDB and the analyses are imported by the functions that use them):
`lgs --help` lists these commands without loading them (lgs_core.cli).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lgs_core import formats
from lgs_core.cli import common
from lgs_core.cli.common import rfm_params_from_args, window_from_args
from lgs_core.cli.output import (
    data_version,
    emit,
    emit_frame,
    emit_json,
    header,
    no_xlsx,
    output_format,
    render_table,
    rows_for_json,
    with_store,
    write_file_list,
)

if TYPE_CHECKING:
    import polars as pl

    from lgs_core.analyses import analytics
    from lgs_core.query.window import Window

ENGINES = ("duckdb", "postgres")
COMMANDS = {
    "monthly": "sales, orders and customers per month (DOMAIN.md §2.2–2.6)",
    "weekly": "the monthly figures per ISO week",
    "invoices": "invoice amount statistics, all and trimmed at the 85th percentile",
    "rfm": "RFM scores and segments per customer",
}


def add_command(name: str, subparsers: common.Subparsers, common_parent: argparse.ArgumentParser) -> None:
    """Add the command ``name`` (one of COMMANDS) with all its options (``common_parent``: --db, --json)."""
    p = subparsers.add_parser(
        name, parents=[common_parent, common.analysis_parent(), _engine_parent()], help=COMMANDS[name]
    )
    p.set_defaults(func=_FUNCTIONS[name])
    if name == "invoices":
        p.add_argument(
            "--histogram", type=int, metavar="BINS", help="also give a histogram of amounts with BINS bins"
        )
    elif name == "rfm":
        common.add_reference_date(p)
        common.add_scoring_options(p)
        p.add_argument("--summary", action="store_true", help="one row per segment instead of per customer")
        p.add_argument("--grid", action="store_true", help="customers per R×F cell (for a heat map)")
        p.add_argument("--explain", type=int, metavar="CUSTOMER_ID", help="explain one customer's scores")


def _engine_parent() -> argparse.ArgumentParser:
    """``--engine``, ``--dsn``, ``--table``: for the analyses that also run inside PostgreSQL (push-down)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="duckdb (default): the store; postgres: run inside PostgreSQL on LGS's table (push-down)",
    )
    common.add_postgres_options(parent, "--engine postgres: the server,", "--engine postgres:")
    return parent


# --- commands --------------------------------------------------------------------------------------------------


def _per_period(args: argparse.Namespace, analysis: Callable[..., pl.DataFrame], key: str) -> int:
    """``analysis(con, window, preset)`` (monthly or weekly) as the table ``key``."""
    window = window_from_args(args)
    return with_store(
        args, lambda con: emit_frame(args, analysis(con, window, args.preset), key, header(args, window))
    )


def cmd_monthly(args: argparse.Namespace) -> int:
    from lgs_core.analyses import analytics

    return _per_period(args, analytics.monthly, "months")


def cmd_weekly(args: argparse.Namespace) -> int:
    from lgs_core.analyses import analytics

    return _per_period(args, analytics.weekly, "weeks")


def _stats_frame(dist: analytics.InvoiceDistribution) -> pl.DataFrame:
    import polars as pl

    rows = []
    for name, stats in (("positive", dist.positive), ("trimmed_85", dist.trimmed_85)):
        rows.append(
            {
                "invoices": name,
                **{k: getattr(stats, k) for k in ("count", "min", "max", "median", "mean", "mode")},
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "invoices": pl.String,
            "count": pl.Int64,
            **{k: pl.Decimal(38, 6) for k in ("min", "max", "median", "mean", "mode")},
        },
        orient="row",
    )


def cmd_invoices(args: argparse.Namespace) -> int:
    from lgs_core.analyses import analytics, export

    window = window_from_args(args)
    bins = args.histogram

    def work(con: Any) -> int:
        dist = analytics.invoice_distribution(con, window, args.preset)
        fmt = output_format(args)
        if fmt == "json":
            body: dict[str, Any] = {**header(args, window), **dist.to_json()}
            if bins:
                body["histogram"] = {
                    "positive": rows_for_json(dist.histogram(bins)),
                    "trimmed_85": rows_for_json(dist.histogram(bins, trimmed=True)),
                }
            return emit_json(args, body)
        table = _stats_frame(dist)
        if fmt == "csv":
            return emit(args, export.frame_to_csv(table))
        if fmt == "xlsx":
            raise no_xlsx(args)
        parts = [render_table(table)]
        if dist.p85 is not None:
            parts.append(
                f"85th percentile of amount: {formats.money(dist.p85, places=2)} (the trimmed set: amount ≤ it)"
            )
        if bins:
            parts += ["", "histogram (amount > 0):", render_table(dist.histogram(bins))]
            parts += [
                "",
                "histogram (trimmed at the 85th percentile):",
                render_table(dist.histogram(bins, trimmed=True)),
            ]
        return emit(args, "\n".join(parts) + "\n")

    return with_store(args, work)


def _rfm_header(args: argparse.Namespace, window: Window, result: Any, params: Any) -> dict[str, Any]:
    return {
        **header(args, window),
        "parameters": params.to_json(),
        "reference_date": result.reference_date.isoformat() if result.reference_date else None,
        "cut_points": result.cut_points.to_json(),
    }


def cmd_rfm(args: argparse.Namespace) -> int:
    from lgs_core.analyses import export, rfm

    window = window_from_args(args)
    params = rfm_params_from_args(args)

    def work(con: Any) -> int:
        result = rfm.rfm(con, window, params)
        if args.explain is not None:
            lines = result.explain(args.explain)
            if output_format(args) == "json":
                return emit_json(args, {"customer_id": args.explain, "explanation": lines})
            return emit(args, "\n".join(lines) + "\n")
        if args.summary:
            table, key = result.summary(), "segments"
        elif args.grid:
            table, key = result.grid(), "cells"
        else:
            table, key = result.customers, "customers"
        fmt = output_format(args)
        if fmt in ("csv", "xlsx") and args.out:
            manifest = export.build_manifest(
                window,
                params,
                data_version(con),
                rows=table.height,
                what=f"rfm {key}",
                reference_date=result.reference_date,
                cut_points=result.cut_points,
            )
            return write_file_list(args, table, key, fmt, lambda: manifest)
        return emit_frame(args, table, key, _rfm_header(args, window, result, params))

    return with_store(args, work)


_FUNCTIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "monthly": cmd_monthly,
    "weekly": cmd_weekly,
    "invoices": cmd_invoices,
    "rfm": cmd_rfm,
}
add_commands = common.commands_adder(COMMANDS, add_command)
