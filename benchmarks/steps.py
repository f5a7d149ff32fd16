"""The measured steps. Each runs in its own process (`python -m benchmarks.step NAME SIZE`), so its wall
time and peak RSS are its own. Inputs (stores, files) are prepared once per size and cached in
benchmarks/out/ (git-ignored)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"

Step = Callable[[int], None]
STEPS: dict[str, tuple[str, Step]] = {}


def step(name: str, group: str) -> Callable[[Step], Step]:
    def register(fn: Step) -> Step:
        STEPS[name] = (group, fn)
        return fn

    return register


def demo_store(rows: int) -> Path:
    """A warm store of `rows` demo lines (seed 42), built once and reused."""
    path = OUT / f"demo_{rows}.duckdb"
    if not path.exists():
        from lgs_core.demo import load_demo

        OUT.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        load_demo(tmp, rows=rows, seed=42)
        tmp.rename(path)
    return path


def demo_csv(rows: int) -> Path:
    """The demo lines as the UCI CSV dump writes them (Customer ID as a float, e.g. 13085.0)."""
    path = OUT / f"demo_{rows}.csv"
    if not path.exists():
        import polars as pl

        from lgs_core.demo import generate_lines

        frame = _uci_shape(generate_lines(rows, seed=42))
        OUT.mkdir(parents=True, exist_ok=True)
        frame.with_columns(pl.col("Customer ID").cast(pl.Float64)).write_csv(
            path, datetime_format="%Y-%m-%d %H:%M:%S"
        )
    return path


def demo_xlsx(rows: int) -> Path:
    """The demo lines as the UCI workbook holds them: two sheets, split at 2010-12-01."""
    path = OUT / f"demo_{rows}.xlsx"
    if not path.exists():
        from datetime import datetime

        import polars as pl
        import xlsxwriter

        from lgs_core.demo import generate_lines

        frame = _uci_shape(generate_lines(rows, seed=42)).with_columns(pl.col("Price").cast(pl.Float64))
        split = datetime(2010, 12, 1)
        OUT.mkdir(parents=True, exist_ok=True)
        with xlsxwriter.Workbook(str(path), {"constant_memory": True}) as book:
            for name, part in (
                ("Year 2009-2010", frame.filter(pl.col("InvoiceDate") < split)),
                ("Year 2010-2011", frame.filter(pl.col("InvoiceDate") >= split)),
            ):
                part.write_excel(
                    book, worksheet=name, autofit=False, dtype_formats={pl.Datetime: "yyyy-mm-dd hh:mm"}
                )
    return path


def _uci_shape(frame):  # type: ignore[no-untyped-def]
    return frame.select(
        Invoice="invoice",
        StockCode="stock_code",
        Description="description",
        Quantity="quantity",
        InvoiceDate="invoice_date",
        Price="unit_price",
        **{"Customer ID": "customer_id"},
        Country="country",
    )


def scratch_db(rows: int, name: str) -> Path:
    path = OUT / f"scratch_{name}_{rows}.duckdb"
    path.unlink(missing_ok=True)
    return path


# --- issue 2: the data foundation ---------------------------------------------------------------------


@step("demo generation into store", "foundation")
def _demo(rows: int) -> None:
    from lgs_core.demo import load_demo

    load_demo(scratch_db(rows, "demo"), rows=rows, seed=7)


@step("CSV load", "foundation")
def _csv_load(rows: int) -> None:
    from lgs_core.ingest import load_file

    result = load_file(demo_csv(rows), scratch_db(rows, "csv"))
    assert result.rows_loaded == rows, result


@step("xlsx load", "foundation")
def _xlsx_load(rows: int) -> None:
    from lgs_core.ingest import load_file

    result = load_file(demo_xlsx(rows), scratch_db(rows, "xlsx"))
    assert result.rows_loaded == rows, result


PREPARE: dict[str, Callable[[int], object]] = {
    "CSV load": demo_csv,
    "xlsx load": demo_xlsx,
}


def cleanup() -> None:
    for p in OUT.glob("scratch_*"):
        p.unlink(missing_ok=True)


def remove_all() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
