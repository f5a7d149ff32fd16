"""The deeper-segmentation commands of the `lgs` CLI (issue #9): cohorts, migration, clv, affinity.

``add_commands(subparsers, common_parent)`` adds them. They share the analysis commands' window and output
options (``lgs_core.cli.engine``: ``--start --end --country --products-only --preset --format --out``); every
list written with ``--out FILE.csv`` gets ``FILE.manifest.json`` beside it, and ``--out FILE.xlsx`` a manifest
sheet (``lgs_core.analyses.export``). Each command returns an exit code and raises ``LgsError`` for a user error.

Imports nothing heavy itself: each command imports its analysis when it runs (``lgs cohorts`` never loads
SciPy, which only the lifetime-value fit needs), and `lgs --help` lists them without loading any.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING

from lgs_core.cli import common
from lgs_core.cli.common import required_date, rfm_params_from_args, window_from_args
from lgs_core.cli.output import (
    emit,
    emit_json,
    header,
    output_format,
    render_table,
    rows_for_json,
    with_store,
    write_list,
)
from lgs_core.errors import LgsError

if TYPE_CHECKING:
    import duckdb

COMMANDS = {
    "cohorts": "cohort retention: customers by first-purchase month, and who of them bought in each later month",
    "migration": "segment migration: RFM segments at two reference dates and who moved where",
    "clv": "customer lifetime value: expected purchases (BG/NBD) and spend (Gamma-Gamma) per customer",
    "affinity": "product affinity of one RFM segment: its top products (lift) and products bought together",
}


def add_command(name: str, subparsers: common.Subparsers, common_parent: argparse.ArgumentParser) -> None:
    """Add the command ``name`` (one of COMMANDS) with all its options (``common_parent``: --db, --json)."""
    p = subparsers.add_parser(name, parents=[common_parent, common.analysis_parent()], help=COMMANDS[name])
    p.set_defaults(func=_FUNCTIONS[name])
    if name == "cohorts":
        from lgs_core.analyses.cohorts import MEASURES

        p.add_argument(
            "--measure",
            choices=MEASURES,
            default="active_share",
            help="what the triangle shows: share of the cohort buying (default), customers buying, or revenue (£)",
        )
        p.add_argument(
            "--long", action="store_true", help="one row per cohort and month instead of the triangle"
        )
        p.add_argument(
            "--cohort",
            metavar="YYYY-MM|earlier",
            help="list the customers of one cohort (or those whose first purchase is before the window)",
        )
    elif name == "migration":
        common.add_scoring_options(p)
        p.add_argument("--from-date", required=True, metavar="YYYY-MM-DD", help="the first reference date")
        p.add_argument("--to-date", required=True, metavar="YYYY-MM-DD", help="the second reference date")
        p.add_argument(
            "--no-lapsed",
            action="store_true",
            help="keep lapsed customers in their second-date segment instead of the Lapsed column",
        )
        p.add_argument(
            "--cell",
            nargs=2,
            metavar=("FROM", "TO"),
            help='list the customers of one cell, e.g. --cell Champions "At Risk"',
        )
        p.add_argument("--flows", action="store_true", help="one row per cell instead of the matrix")
    elif name == "clv":
        from lgs_core.analyses.clv import DEFAULT_HOLDOUT_MONTHS, DEFAULT_HORIZONS

        p.add_argument(
            "--horizon-days",
            type=int,
            action="append",
            metavar="N",
            help=f"predict the next N days (repeatable; default {', '.join(map(str, DEFAULT_HORIZONS))})",
        )
        p.add_argument("--top", type=int, metavar="N", help="only the N customers of highest expected spend")
        p.add_argument(
            "--calibrate",
            action="store_true",
            help="hold out the last months: predicted vs actual purchases by decile instead of the customer list",
        )
        p.add_argument(
            "--holdout-months",
            type=int,
            default=DEFAULT_HOLDOUT_MONTHS,
            metavar="M",
            help=f"months held out by --calibrate (default {DEFAULT_HOLDOUT_MONTHS})",
        )
        p.add_argument(
            "--plot", metavar="FILE.png", help="with --calibrate: also save the calibration chart as PNG"
        )
    elif name == "affinity":
        common.add_scoring_options(p)
        p.add_argument("--segment", required=True, metavar="NAME", help='the segment, e.g. "Champions"')
        common.add_reference_date(p)
        p.add_argument("--pairs", action="store_true", help="list the product pairs instead of the products")
        p.add_argument("--top", type=int, default=20, metavar="N", help="products to list (default 20)")
        p.add_argument("--top-pairs", type=int, default=50, metavar="N", help="pairs to list (default 50)")
        p.add_argument(
            "--min-support",
            type=float,
            default=0.01,
            metavar="SHARE",
            help="a pair must be on at least this share of the segment's invoices (default 0.01)",
        )
        p.add_argument(
            "--min-invoices", type=int, default=3, metavar="N", help="…and on at least N invoices (default 3)"
        )
        p.add_argument(
            "--max-products",
            type=int,
            default=500,
            metavar="N",
            help="count pairs among the N products on the most invoices (default 500)",
        )


def _parse_month(text: str) -> date | None:
    if text.strip().lower() == "earlier":
        return None
    try:
        return date.fromisoformat(text.strip()[:7] + "-01")
    except ValueError:
        raise LgsError(
            f"{text!r} is not a month", where="--cohort", todo="write the cohort as YYYY-MM, or 'earlier'"
        ) from None


# --- commands ----------------------------------------------------------------------------------------------------


def cmd_cohorts(args: argparse.Namespace) -> int:
    from lgs_core.analyses.cohorts import cohort_retention

    window = window_from_args(args)

    def work(con: duckdb.DuckDBPyConnection) -> int:
        result = cohort_retention(con, window, args.preset)
        if args.cohort:
            month = _parse_month(args.cohort)
            table = result.customers_of(month)
            name = "earlier" if month is None else f"{month:%Y-%m}"
            return write_list(
                args,
                table,
                "customers",
                header(args, result.window, {"cohort": name}),
                lambda: result.manifest(table, f"cohort customers ({name})", {"cohort": name}),
            )
        fmt = output_format(args)
        if fmt == "json" and not args.long:
            body = {
                **result.to_json(),
                "cohorts": rows_for_json(result.cohorts()),
                "cells": rows_for_json(result.cells),
            }
            return emit_json(args, body)
        table = result.cells if args.long else result.triangle(args.measure)
        what = (
            "cohort retention (one row per cohort and month)"
            if args.long
            else f"cohort triangle ({args.measure})"
        )
        code = write_list(
            args,
            table,
            "cells" if args.long else "triangle",
            header(args, result.window, {"measure": args.measure, **result.to_json()}),
            lambda: result.manifest(table, what),
        )
        if fmt == "table" and not args.out:
            print(
                f"{result.cohort_customers:,} customers in cohorts; {result.earlier_customers:,} bought in the "
                "window but first bought before it (in no cohort)"
            )
        return code

    return with_store(args, work)


def cmd_migration(args: argparse.Namespace) -> int:
    from lgs_core.analyses.migration import match_state, migration

    window = window_from_args(args)
    from_date = required_date(args.from_date, "--from-date")
    to_date = required_date(args.to_date, "--to-date")
    params = rfm_params_from_args(argparse.Namespace(**{**vars(args), "reference_date": None}))

    def work(con: duckdb.DuckDBPyConnection) -> int:
        result = migration(con, window, from_date, to_date, params, lapsed_as_state=not args.no_lapsed)
        head = header(args, window, result.to_json())
        if args.cell:
            from_state = match_state(args.cell[0], result.from_states, "from state")
            to_state = match_state(args.cell[1], result.to_states, "to state")
            table = result.cell(from_state, to_state)
            return write_list(
                args,
                table,
                "customers",
                {**head, "from_state": from_state, "to_state": to_state},
                lambda: result.manifest(
                    table,
                    f"migration customers ({from_state} → {to_state})",
                    {"from_state": [from_state], "to_state": [to_state]},
                ),
            )
        table = result.flows() if args.flows else result.matrix()
        key = "flows" if args.flows else "matrix"
        return write_list(args, table, key, head, lambda: result.manifest(table, f"segment migration {key}"))

    return with_store(args, work)


def cmd_clv(args: argparse.Namespace) -> int:
    from lgs_core.analyses.clv import DEFAULT_HORIZONS, calibrate, customer_value
    from lgs_core.present.segment_charts import save_calibration_png

    window = window_from_args(args)
    horizons = tuple(args.horizon_days or DEFAULT_HORIZONS)
    if args.plot and not args.calibrate:
        raise LgsError("--plot draws the calibration chart", where="--plot", todo="add --calibrate")
    if args.top is not None and args.top < 1:
        raise LgsError(f"--top {args.top}", where="--top", todo="give a number of customers ≥ 1")

    def work(con: duckdb.DuckDBPyConnection) -> int:
        if args.calibrate:
            cal = calibrate(con, window, holdout_months=args.holdout_months, preset=args.preset)
            if args.plot:
                save_calibration_png(cal, args.plot)
            return write_list(
                args,
                cal.deciles,
                "deciles",
                header(args, cal.window, cal.to_json()),
                lambda: cal.manifest(cal.deciles, "clv calibration by decile"),
            )
        result = customer_value(con, window, horizons=horizons, preset=args.preset)
        table = result.customers if args.top is None else result.customers.head(args.top)
        if output_format(args) == "table" and not args.out:
            bg, gg = result.bg_nbd, result.gamma_gamma
            print(
                f"BG/NBD (days): r={bg.r:.4f} alpha={bg.alpha:.4f} a={bg.a:.4f} b={bg.b:.4f} "
                f"({bg.customers:,} customers); Gamma-Gamma: p={gg.p:.4f} q={gg.q:.4f} gamma=£{gg.gamma:,.2f} "
                f"({gg.customers:,} repeat buyers); predictions from {result.reference_date}"
            )
        return write_list(
            args,
            table,
            "customers",
            header(args, result.window, result.to_json()),
            lambda: result.manifest(
                table, "customer lifetime value", {"top": args.top} if args.top is not None else None
            ),
        )

    return with_store(args, work)


def cmd_affinity(args: argparse.Namespace) -> int:
    from lgs_core.analyses.affinity import AffinityOptions, affinity

    window = window_from_args(args)
    params = rfm_params_from_args(args)
    options = AffinityOptions(
        top_products=args.top,
        top_pairs=args.top_pairs,
        min_support=args.min_support,
        min_invoices=args.min_invoices,
        max_products=args.max_products,
    )

    def work(con: duckdb.DuckDBPyConnection) -> int:
        result = affinity(con, window, args.segment, params, options)
        fmt = output_format(args)
        if fmt == "json" and not args.out:
            body = {
                **result.to_json(),
                "products": rows_for_json(result.products),
                "pairs": rows_for_json(result.pairs),
            }
            return emit_json(args, body)
        if fmt == "table" and not args.out:
            parts = [
                f"{result.segment}: {result.segment_customers:,} of {result.all_customers:,} customers, "
                f"{result.segment_invoices:,} invoices; pairs on at least {result.min_invoices:,} invoices",
                "",
                "products (reach = share of the segment's customers who bought it; lift = reach ÷ base reach):",
                render_table(result.products),
                "",
                "products bought together (support, confidence, lift):",
                render_table(result.pairs),
            ]
            return emit(args, "\n".join(parts) + "\n")
        table, key = (result.pairs, "pairs") if args.pairs else (result.products, "products")
        return write_list(
            args,
            table,
            key,
            header(args, window, result.to_json()),
            lambda: result.manifest(table, f"affinity {key} ({result.segment})"),
        )

    return with_store(args, work)


_FUNCTIONS = {
    "cohorts": cmd_cohorts,
    "migration": cmd_migration,
    "clv": cmd_clv,
    "affinity": cmd_affinity,
}
add_commands = common.commands_adder(COMMANDS, add_command)
