"""The analysis commands of the `lgs` CLI: monthly, weekly, invoices, rfm.

``add_commands(subparsers, common_parent)`` adds them; each command function returns an exit code and raises
``LgsError`` for a user error. Output: ``--format table|csv|json`` (``--json`` is ``--format json``) to stdout
or ``--out FILE``; money in JSON as numbers of pounds with 2 decimals, ``month`` as ``YYYY-MM``.

``--engine postgres`` runs the same analysis inside PostgreSQL on LGS's table (``lgs_core.query.pushdown``), for
data too big to pull: ``--dsn`` (else env LGS_PG_DSN, else [postgres] in .streamlit/secrets.toml) and
``--table`` (else ``table`` in that section, else ``retail``).

Imports nothing heavy itself (Polars, DuckDB and the analyses are imported by the functions that use them):
`lgs --help` lists these commands without loading them (lgs_core.cli).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lgs_core.errors import LgsError
from lgs_core.query.window import Window

if TYPE_CHECKING:
    import polars as pl

    from lgs_core.analyses import analytics, rfm

ENGINES = ("duckdb", "postgres")
COMMANDS = {
    "monthly": "sales, orders and customers per month (DOMAIN.md §2.2–2.6)",
    "weekly": "the monthly figures per ISO week",
    "invoices": "invoice amount statistics, all and trimmed at the 85th percentile",
    "rfm": "RFM scores and segments per customer",
}

_MONEY_COLUMNS = frozenset(
    {"sales", "amount", "monetary", "revenue", "mean_monetary", "bin_start", "bin_end"}
)


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common_parent: argparse.ArgumentParser | None = None,
) -> None:
    """Add ``monthly``, ``weekly``, ``invoices`` and ``rfm`` to the CLI's subparsers."""
    for name in COMMANDS:
        add_command(name, subparsers, common_parent)


def add_command(
    name: str,
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common_parent: argparse.ArgumentParser | None = None,
) -> None:
    """Add the command ``name`` (one of COMMANDS) with all its options."""
    parents = [_analysis_parent(common_parent), _engine_parent()]
    if common_parent is not None:
        parents.insert(0, common_parent)
    p = subparsers.add_parser(name, parents=parents, help=COMMANDS[name])
    if name == "monthly":
        p.set_defaults(func=cmd_monthly)
    elif name == "weekly":
        p.set_defaults(func=cmd_weekly)
    elif name == "invoices":
        p.add_argument(
            "--histogram", type=int, metavar="BINS", help="also give a histogram of amounts with BINS bins"
        )
        p.set_defaults(func=cmd_invoices)
    elif name == "rfm":
        from lgs_core.analyses.rfm import EXAMPLE_FIXED_CUTS

        p.add_argument(
            "--reference-date", metavar="YYYY-MM-DD", help="'today' for recency (default: see docs)"
        )
        p.add_argument("--bins", type=int, default=5, help="quantile scores 1..BINS, 3 to 5 (default 5)")
        p.add_argument(
            "--cuts",
            metavar="CUTS",
            help=f"fixed cut points instead of quantiles, e.g. '{EXAMPLE_FIXED_CUTS}'",
        )
        p.add_argument(
            "--segments",
            default="classic10",
            metavar="classic10|rfm11|PATH.json",
            help='segment map: the notebook\'s 10, the 11-segment variant, or a JSON grid {"RF": name}',
        )
        p.add_argument("--summary", action="store_true", help="one row per segment instead of per customer")
        p.add_argument("--grid", action="store_true", help="customers per R×F cell (for a heat map)")
        p.add_argument("--explain", type=int, metavar="CUSTOMER_ID", help="explain one customer's scores")
        p.set_defaults(func=cmd_rfm)


def _engine_parent() -> argparse.ArgumentParser:
    """``--engine``, ``--dsn``, ``--table``: for the analyses that also run inside PostgreSQL (push-down)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="duckdb (default): the store; postgres: run inside PostgreSQL on LGS's table (push-down)",
    )
    parent.add_argument(
        "--dsn",
        help="--engine postgres: the server, e.g. postgresql://USER:PASSWORD@HOST:5432/DBNAME "
        "(default: env LGS_PG_DSN, else [postgres] in .streamlit/secrets.toml)",
    )
    parent.add_argument(
        "--table",
        help="--engine postgres: TABLE or SCHEMA.TABLE (default: table in [postgres] of secrets.toml, else retail)",
    )
    return parent


def _analysis_parent(common: argparse.ArgumentParser | None) -> argparse.ArgumentParser:
    """The window and output options; ``--db`` and ``--json`` only when the common parent lacks them."""
    from lgs_core.analyses.analytics import PRESETS

    have = set(common._option_string_actions) if common is not None else set()
    parent = argparse.ArgumentParser(add_help=False)
    if "--db" not in have:
        parent.add_argument("--db", help="the DuckDB store (default: env LGS_DB, else the default store)")
    if "--json" not in have:
        parent.add_argument("--json", action="store_true", help="same as --format json")
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
    parent.add_argument("--format", choices=("table", "csv", "json"), default=None, help="output format")
    parent.add_argument("--out", metavar="FILE", help="write to FILE (.csv, .json, .txt; rfm also .xlsx)")
    return parent


# --- argument parsing -----------------------------------------------------------------------------------


def _parse_date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise LgsError(f"{text!r} is not a date", where=option, todo="write dates as YYYY-MM-DD") from None


def window_from_args(args: argparse.Namespace) -> Window:
    return Window(
        start=_parse_date(args.start, "--start"),
        end=_parse_date(args.end, "--end"),
        countries=tuple(args.country or ()),
        products_only=bool(args.products_only),
    )


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if getattr(args, "json", False):
        return "json"
    if args.out:
        suffix = Path(args.out).suffix.lower()
        return {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}.get(suffix, "table")
    return "table"


def rfm_params_from_args(args: argparse.Namespace) -> rfm.RfmParams:
    from lgs_core.analyses import rfm

    cuts = rfm.FixedCuts.parse(args.cuts) if args.cuts else None
    return rfm.RfmParams(
        preset=args.preset,
        reference_date=_parse_date(args.reference_date, "--reference-date"),
        scoring="fixed" if cuts else "quantile",
        bins=args.bins,
        cuts=cuts,
        segment_map=args.segments,
    )


def _with_store(args: argparse.Namespace, work: Callable[[Any], int]) -> int:
    """Run ``work`` on the chosen engine: the store (read-only), or a push-down session on PostgreSQL."""
    if getattr(args, "engine", "duckdb") == "postgres":
        from lgs_core.query import pushdown
        from lgs_core.sources import postgres

        dsn = postgres.resolve_dsn(args.dsn)
        with pushdown.PostgresEngine(dsn, postgres.resolve_table(args.table)) as engine:
            return work(engine)
    if getattr(args, "dsn", None) or getattr(args, "table", None):
        raise LgsError(
            "--dsn and --table choose a PostgreSQL table, but the engine is duckdb (the store)",
            where="--engine",
            todo="add --engine postgres to run the analysis inside PostgreSQL, or drop --dsn and --table",
        )
    from lgs_core.store import store

    con = store.connect(args.db, read_only=True)
    try:
        return work(con)
    finally:
        con.close()


def _data_version(con: Any) -> str:
    """What a manifest records as the data: the store's version, or the PostgreSQL table and its newest line."""
    import duckdb

    from lgs_core.store import store

    if isinstance(con, duckdb.DuckDBPyConnection):
        return store.data_version(con)
    return str(con.data_version())


# --- values for output --------------------------------------------------------------------------------------


def _json_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal) or (column in _MONEY_COLUMNS and isinstance(value, float)):
        return round(float(value), 2)
    if column == "month" and isinstance(value, date):
        return f"{value:%Y-%m}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


def rows_for_json(df: pl.DataFrame) -> list[dict[str, Any]]:
    return [{c: _json_value(c, v) for c, v in row.items()} for row in df.iter_rows(named=True)]


def _text_value(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal) or (column in _MONEY_COLUMNS and isinstance(value, float)):
        return f"{float(value):,.2f}"
    if column == "month" and isinstance(value, date):
        return f"{value:%Y-%m}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return f"{value:,.2f}" if "share" not in column else f"{value:.1%}"
    if isinstance(value, int) and not isinstance(value, bool) and column not in ("customer_id", "iso_year"):
        return f"{value:,}"
    return str(value)


def render_table(df: pl.DataFrame) -> str:
    """A plain aligned text table (numbers right-aligned)."""
    import polars as pl

    if df.is_empty():
        return "(no rows: the window holds no data for this analysis)"
    cells = [[_text_value(c, v) for c, v in row.items()] for row in df.iter_rows(named=True)]
    numeric = [dtype.is_numeric() or isinstance(dtype, pl.Decimal) for dtype in df.dtypes]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(df.columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(df.columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _csv_frame(df: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    if "month" in df.columns:
        return df.with_columns(pl.col("month").dt.strftime("%Y-%m"))
    return df


def _emit(args: argparse.Namespace, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    if args.out:
        try:
            Path(args.out).write_bytes(data)
        except OSError as exc:
            raise LgsError(
                f"cannot write ({exc.strerror})", where=args.out, todo="choose a writable path"
            ) from None
    else:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()


def _emit_frame(args: argparse.Namespace, df: pl.DataFrame, key: str, header: dict[str, Any]) -> int:
    fmt = _format(args)
    if fmt != "xlsx":
        from lgs_core.cli.access import log_list

        log_list(args, df, key, fmt)  # a list of customers is logged before it leaves (issue #16)
    if fmt == "json":
        _emit(args, json.dumps({**header, key: rows_for_json(df)}, indent=2) + "\n")
    elif fmt == "csv":
        from lgs_core.analyses import export

        _emit(args, export.frame_to_csv(_csv_frame(df)))
    elif fmt == "xlsx":
        raise LgsError("an .xlsx output is available for rfm only", where=args.out, todo="use .csv or .json")
    else:
        _emit(args, render_table(df) + "\n")
    return 0


def _header(args: argparse.Namespace, window: Window) -> dict[str, Any]:
    header: dict[str, Any] = {"window": window.to_json(), "preset": args.preset}
    if getattr(args, "engine", "duckdb") != "duckdb":
        header["engine"] = args.engine
    return header


# --- commands --------------------------------------------------------------------------------------------------


def cmd_monthly(args: argparse.Namespace) -> int:
    from lgs_core.analyses import analytics

    window = window_from_args(args)
    return _with_store(
        args,
        lambda con: _emit_frame(
            args, analytics.monthly(con, window, args.preset), "months", _header(args, window)
        ),
    )


def cmd_weekly(args: argparse.Namespace) -> int:
    from lgs_core.analyses import analytics

    window = window_from_args(args)
    return _with_store(
        args,
        lambda con: _emit_frame(
            args, analytics.weekly(con, window, args.preset), "weeks", _header(args, window)
        ),
    )


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
        fmt = _format(args)
        if fmt == "json":
            body: dict[str, Any] = {**_header(args, window), **dist.to_json()}
            if bins:
                body["histogram"] = {
                    "positive": rows_for_json(dist.histogram(bins)),
                    "trimmed_85": rows_for_json(dist.histogram(bins, trimmed=True)),
                }
            _emit(args, json.dumps(body, indent=2) + "\n")
            return 0
        table = _stats_frame(dist)
        if fmt == "csv":
            _emit(args, export.frame_to_csv(table))
            return 0
        if fmt == "xlsx":
            raise LgsError(
                "an .xlsx output is available for rfm only", where=args.out, todo="use .csv or .json"
            )
        parts = [render_table(table)]
        if dist.p85 is not None:
            parts.append(f"85th percentile of amount: £{float(dist.p85):,.2f} (the trimmed set: amount ≤ it)")
        if bins:
            parts += ["", "histogram (amount > 0):", render_table(dist.histogram(bins))]
            parts += [
                "",
                "histogram (trimmed at the 85th percentile):",
                render_table(dist.histogram(bins, trimmed=True)),
            ]
        _emit(args, "\n".join(parts) + "\n")
        return 0

    return _with_store(args, work)


def cmd_rfm(args: argparse.Namespace) -> int:
    from lgs_core.analyses import export, rfm

    window = window_from_args(args)
    params = rfm_params_from_args(args)

    def work(con: Any) -> int:
        result = rfm.rfm(con, window, params)
        if args.explain is not None:
            lines = result.explain(args.explain)
            if _format(args) == "json":
                _emit(args, json.dumps({"customer_id": args.explain, "explanation": lines}, indent=2) + "\n")
            else:
                _emit(args, "\n".join(lines) + "\n")
            return 0
        if args.summary:
            table, key = result.summary(), "segments"
        elif args.grid:
            table, key = result.grid(), "cells"
        else:
            table, key = result.customers, "customers"
        fmt = _format(args)
        if fmt in ("csv", "xlsx") and args.out:
            manifest = export.build_manifest(
                window,
                params,
                _data_version(con),
                rows=table.height,
                what=f"rfm {key}",
                reference_date=result.reference_date,
                cut_points=result.cut_points,
            )
            from lgs_core.cli.access import log_list

            log_list(args, table, key, fmt)
            if fmt == "xlsx":
                _emit(args, export.segment_export_xlsx(table, manifest, sheet=key))
            else:
                data, manifest_bytes = export.segment_export_csv(table, manifest)
                _emit(args, data)
                Path(args.out).with_suffix(".manifest.json").write_bytes(manifest_bytes)
            return 0
        header = {
            **_header(args, window),
            "parameters": params.to_json(),
            "reference_date": result.reference_date.isoformat() if result.reference_date else None,
            "cut_points": result.cut_points.to_json(),
        }
        return _emit_frame(args, table, key, header)

    return _with_store(args, work)
