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
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lgs_core.cli.engine import (
    _analysis_parent,
    _emit,
    _emit_frame,
    _format,
    _parse_date,
    _with_store,
    render_table,
    rfm_params_from_args,
    rows_for_json,
    window_from_args,
)
from lgs_core.errors import LgsError
from lgs_core.query.window import Window

if TYPE_CHECKING:
    import duckdb
    import polars as pl

COMMANDS = {
    "cohorts": "cohort retention: customers by first-purchase month, and who of them bought in each later month",
    "migration": "segment migration: RFM segments at two reference dates and who moved where",
    "clv": "customer lifetime value: expected purchases (BG/NBD) and spend (Gamma-Gamma) per customer",
    "affinity": "product affinity of one RFM segment: its top products (lift) and products bought together",
}


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common_parent: argparse.ArgumentParser | None = None,
) -> None:
    """Add ``cohorts``, ``migration``, ``clv`` and ``affinity`` to the CLI's subparsers."""
    for name in COMMANDS:
        add_command(name, subparsers, common_parent)


def add_command(
    name: str,
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common_parent: argparse.ArgumentParser | None = None,
) -> None:
    """Add the command ``name`` (one of COMMANDS) with all its options."""
    parents = [_analysis_parent(common_parent)]
    if common_parent is not None:
        parents.insert(0, common_parent)
    if name == "cohorts":
        from lgs_core.analyses.cohorts import MEASURES

        p = subparsers.add_parser("cohorts", parents=parents, help=COMMANDS["cohorts"])
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
        p.set_defaults(func=cmd_cohorts)
    elif name == "migration":
        p = subparsers.add_parser(
            "migration", parents=[*parents, _scoring_parent()], help=COMMANDS["migration"]
        )
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
        p.set_defaults(func=cmd_migration)
    elif name == "clv":
        from lgs_core.analyses.clv import DEFAULT_HOLDOUT_MONTHS, DEFAULT_HORIZONS

        p = subparsers.add_parser("clv", parents=parents, help=COMMANDS["clv"])
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
        p.set_defaults(func=cmd_clv)
    elif name == "affinity":
        p = subparsers.add_parser(
            "affinity", parents=[*parents, _scoring_parent()], help=COMMANDS["affinity"]
        )
        p.add_argument("--segment", required=True, metavar="NAME", help='the segment, e.g. "Champions"')
        p.add_argument(
            "--reference-date", metavar="YYYY-MM-DD", help="'today' for recency (default: see docs)"
        )
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
        p.set_defaults(func=cmd_affinity)


def _scoring_parent() -> argparse.ArgumentParser:
    """The RFM scoring options of ``lgs rfm`` that migration and affinity need (same names and meaning)."""
    from lgs_core.analyses.rfm import EXAMPLE_FIXED_CUTS

    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--bins", type=int, default=5, help="quantile scores 1..BINS, 3 to 5 (default 5)")
    parent.add_argument(
        "--cuts", metavar="CUTS", help=f"fixed cut points instead of quantiles, e.g. '{EXAMPLE_FIXED_CUTS}'"
    )
    parent.add_argument(
        "--segments",
        default="classic10",
        metavar="classic10|rfm11|PATH.json",
        help='segment map: the notebook\'s 10, the 11-segment variant, or a JSON grid {"RF": name}',
    )
    return parent


# --- output ---------------------------------------------------------------------------------------------------


def _write_list(
    args: argparse.Namespace,
    table: pl.DataFrame,
    key: str,
    header: dict[str, Any],
    manifest: Callable[[], dict[str, Any]],
) -> int:
    """A table to stdout or ``--out``; a CSV file gets ``manifest()`` beside it, an Excel file as a sheet."""
    from lgs_core.analyses import export

    fmt = _format(args)
    if fmt in ("csv", "xlsx") and args.out:
        from lgs_core.cli.access import log_list

        log_list(args, table, key, fmt)  # a list of customers is logged before it leaves (issue #16)
        if fmt == "xlsx":
            _emit(args, export.segment_export_xlsx(table, manifest(), sheet=key))
        else:
            data, manifest_bytes = export.segment_export_csv(table, manifest())
            _emit(args, data)
            Path(args.out).with_suffix(".manifest.json").write_bytes(manifest_bytes)
        return 0
    if fmt == "xlsx":
        raise LgsError("an .xlsx output needs a file", where="--format", todo="give --out FILE.xlsx")
    return _emit_frame(args, table, key, header)


def _header(args: argparse.Namespace, window: Window, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON header: ``extra`` (a result's ``to_json()``), then the window and preset of this run."""
    return {**(extra or {}), "window": window.to_json(), "preset": args.preset}


def _parse_month(text: str) -> date | None:
    if text.strip().lower() == "earlier":
        return None
    try:
        return date.fromisoformat(text.strip()[:7] + "-01")
    except ValueError:
        raise LgsError(
            f"{text!r} is not a month", where="--cohort", todo="write the cohort as YYYY-MM, or 'earlier'"
        ) from None


def _required_date(text: str, option: str) -> date:
    parsed = _parse_date(text, option)
    if parsed is None:
        raise LgsError("no date given", where=option, todo="write dates as YYYY-MM-DD")
    return parsed


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
            return _write_list(
                args,
                table,
                "customers",
                _header(args, result.window, {"cohort": name}),
                lambda: result.manifest(table, f"cohort customers ({name})", {"cohort": name}),
            )
        fmt = _format(args)
        if fmt == "json" and not args.long:
            body = {
                **result.to_json(),
                "cohorts": rows_for_json(result.cohorts()),
                "cells": rows_for_json(result.cells),
            }
            _emit(args, json.dumps(body, indent=2) + "\n")
            return 0
        table = result.cells if args.long else result.triangle(args.measure)
        what = (
            "cohort retention (one row per cohort and month)"
            if args.long
            else f"cohort triangle ({args.measure})"
        )
        code = _write_list(
            args,
            table,
            "cells" if args.long else "triangle",
            _header(args, result.window, {"measure": args.measure, **result.to_json()}),
            lambda: result.manifest(table, what),
        )
        if fmt == "table" and not args.out:
            print(
                f"{result.cohort_customers:,} customers in cohorts; {result.earlier_customers:,} bought in the "
                "window but first bought before it (in no cohort)"
            )
        return code

    return _with_store(args, work)


def cmd_migration(args: argparse.Namespace) -> int:
    from lgs_core.analyses.migration import match_state, migration

    window = window_from_args(args)
    from_date = _required_date(args.from_date, "--from-date")
    to_date = _required_date(args.to_date, "--to-date")
    params = rfm_params_from_args(argparse.Namespace(**{**vars(args), "reference_date": None}))

    def work(con: duckdb.DuckDBPyConnection) -> int:
        result = migration(con, window, from_date, to_date, params, lapsed_as_state=not args.no_lapsed)
        header = _header(args, window, result.to_json())
        if args.cell:
            from_state = match_state(args.cell[0], result.from_states, "from state")
            to_state = match_state(args.cell[1], result.to_states, "to state")
            table = result.cell(from_state, to_state)
            return _write_list(
                args,
                table,
                "customers",
                {**header, "from_state": from_state, "to_state": to_state},
                lambda: result.manifest(
                    table,
                    f"migration customers ({from_state} → {to_state})",
                    {"from_state": [from_state], "to_state": [to_state]},
                ),
            )
        table = result.flows() if args.flows else result.matrix()
        key = "flows" if args.flows else "matrix"
        return _write_list(
            args, table, key, header, lambda: result.manifest(table, f"segment migration {key}")
        )

    return _with_store(args, work)


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
            return _write_list(
                args,
                cal.deciles,
                "deciles",
                _header(args, cal.window, cal.to_json()),
                lambda: cal.manifest(cal.deciles, "clv calibration by decile"),
            )
        result = customer_value(con, window, horizons=horizons, preset=args.preset)
        table = result.customers if args.top is None else result.customers.head(args.top)
        if _format(args) == "table" and not args.out:
            bg, gg = result.bg_nbd, result.gamma_gamma
            print(
                f"BG/NBD (days): r={bg.r:.4f} alpha={bg.alpha:.4f} a={bg.a:.4f} b={bg.b:.4f} "
                f"({bg.customers:,} customers); Gamma-Gamma: p={gg.p:.4f} q={gg.q:.4f} gamma=£{gg.gamma:,.2f} "
                f"({gg.customers:,} repeat buyers); predictions from {result.reference_date}"
            )
        return _write_list(
            args,
            table,
            "customers",
            _header(args, result.window, result.to_json()),
            lambda: result.manifest(
                table, "customer lifetime value", {"top": args.top} if args.top is not None else None
            ),
        )

    return _with_store(args, work)


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
        fmt = _format(args)
        if fmt == "json" and not args.out:
            body = {
                **result.to_json(),
                "products": rows_for_json(result.products),
                "pairs": rows_for_json(result.pairs),
            }
            _emit(args, json.dumps(body, indent=2) + "\n")
            return 0
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
            _emit(args, "\n".join(parts) + "\n")
            return 0
        table, key = (result.pairs, "pairs") if args.pairs else (result.products, "products")
        return _write_list(
            args,
            table,
            key,
            _header(args, window, result.to_json()),
            lambda: result.manifest(table, f"affinity {key} ({result.segment})"),
        )

    return _with_store(args, work)
