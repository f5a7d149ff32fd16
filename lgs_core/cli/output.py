"""How the analysis commands run and write what they find: on which engine (``with_store``), in which format
(``--format table|csv|json``, ``--json`` is ``--format json``, else from ``--out``'s suffix), to stdout or
``--out FILE``; a list of customers is logged before it leaves (issue #16, ``log_list``), and a list written to a
file gets its manifest (``write_list``). Money in JSON as numbers of pounds with 2 decimals, ``month`` as
``YYYY-MM``.

Imports nothing heavy at load (Polars, DuckDB and the export code are imported by the functions that use them).
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

from lgs_core.cli.common import EXIT_OK
from lgs_core.errors import LgsError

if TYPE_CHECKING:
    import polars as pl

    from lgs_core.query.window import Window

_MONEY_COLUMNS = frozenset(
    {"sales", "amount", "monetary", "revenue", "mean_monetary", "bin_start", "bin_end"}
)


# --- where the data is ----------------------------------------------------------------------------------------


def with_store(args: argparse.Namespace, work: Callable[[Any], int]) -> int:
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

    con = store.connect(getattr(args, "db", None), read_only=True)
    try:
        return work(con)
    finally:
        con.close()


def data_version(con: Any) -> str:
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
    if isinstance(value, Decimal):
        return f"{value:,.2f}"  # exact: Decimal's own rounding, never through a float
    if column in _MONEY_COLUMNS and isinstance(value, float):
        return f"{value:,.2f}"
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


# --- writing ---------------------------------------------------------------------------------------------------


def output_format(args: argparse.Namespace) -> str:
    """table, csv, json or xlsx: ``--format``, else ``--json``, else ``--out``'s suffix, else table."""
    if args.format:
        return str(args.format)
    if getattr(args, "json", False):
        return "json"
    if args.out:
        suffix = Path(args.out).suffix.lower()
        return {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}.get(suffix, "table")
    return "table"


def header(args: argparse.Namespace, window: Window, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON header: ``extra`` (a result's ``to_json()``), then the window, preset and engine of this run."""
    body: dict[str, Any] = {**(extra or {}), "window": window.to_json(), "preset": args.preset}
    if getattr(args, "engine", "duckdb") != "duckdb":
        body["engine"] = args.engine
    return body


def emit(args: argparse.Namespace, text: str | bytes) -> int:
    """``text`` to ``--out`` or stdout; the exit code of a command that has written its result."""
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
    return EXIT_OK


def emit_json(args: argparse.Namespace, body: dict[str, Any]) -> int:
    return emit(args, json.dumps(body, indent=2) + "\n")


def no_xlsx(args: argparse.Namespace) -> LgsError:
    """The error for an ``--out FILE.xlsx`` a command cannot write."""
    return LgsError("an .xlsx output is available for rfm only", where=args.out, todo="use .csv or .json")


def emit_frame(args: argparse.Namespace, df: pl.DataFrame, key: str, head: dict[str, Any]) -> int:
    """A table as ``{**head, key: rows}`` in JSON, as CSV, or as a text table."""
    fmt = output_format(args)
    if fmt == "xlsx":
        raise no_xlsx(args)
    log_list(args, df, key, fmt)  # a list of customers is logged before it leaves (issue #16)
    if fmt == "json":
        return emit_json(args, {**head, key: rows_for_json(df)})
    if fmt == "csv":
        from lgs_core.analyses import export

        return emit(args, export.frame_to_csv(_csv_frame(df)))
    return emit(args, render_table(df) + "\n")


def write_file_list(
    args: argparse.Namespace, table: pl.DataFrame, key: str, fmt: str, manifest: Callable[[], dict[str, Any]]
) -> int:
    """A table to ``--out`` as .xlsx (``manifest()`` as a sheet) or .csv (FILE.manifest.json beside it)."""
    from lgs_core.analyses import export

    log_list(args, table, key, fmt)  # a list of customers is logged before it leaves (issue #16)
    if fmt == "xlsx":
        return emit(args, export.segment_export_xlsx(table, manifest(), sheet=key))
    data, manifest_bytes = export.segment_export_csv(table, manifest())
    emit(args, data)
    Path(args.out).with_suffix(".manifest.json").write_bytes(manifest_bytes)
    return EXIT_OK


def write_list(
    args: argparse.Namespace,
    table: pl.DataFrame,
    key: str,
    head: dict[str, Any],
    manifest: Callable[[], dict[str, Any]],
) -> int:
    """A table to stdout or ``--out``; a CSV file gets ``manifest()`` beside it, an Excel file as a sheet."""
    fmt = output_format(args)
    if fmt in ("csv", "xlsx") and args.out:
        return write_file_list(args, table, key, fmt, manifest)
    if fmt == "xlsx":
        raise LgsError("an .xlsx output needs a file", where="--format", todo="give --out FILE.xlsx")
    return emit_frame(args, table, key, head)


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
