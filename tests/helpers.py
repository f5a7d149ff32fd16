"""Test helpers shared by several test files (imported as `from helpers import ...`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from lgs_core.store import store

Line = tuple[
    str, str, int, str, str, int | None, str
]  # invoice, stock code, qty, "YYYY-MM-DD HH:MM", price, customer, country


def make_store(path: Path, lines: Sequence[Line]) -> duckdb.DuckDBPyConnection:
    """A real store holding exactly ``lines`` (through the store's own insert, flags derived there)."""
    con = store.connect(path)
    staged = pl.DataFrame(
        {
            "source_row": list(range(1, len(lines) + 1)),
            "invoice": [x[0] for x in lines],
            "stock_code": [x[1] for x in lines],
            "description": ["item"] * len(lines),
            "quantity": [x[2] for x in lines],
            "invoice_date": [datetime.fromisoformat(x[3]) for x in lines],
            "unit_price": [Decimal(x[4]) for x in lines],
            "customer_id": [x[5] for x in lines],
            "country": [x[6] for x in lines],
        },
        schema={
            "source_row": pl.Int64,
            "invoice": pl.String,
            "stock_code": pl.String,
            "description": pl.String,
            "quantity": pl.Int32,
            "invoice_date": pl.Datetime("us"),
            "unit_price": pl.Decimal(18, 3),
            "customer_id": pl.Int32,
            "country": pl.String,
        },
    )
    con.register("staged_lines", staged)
    store.insert_staged_lines(con, 1)
    con.unregister("staged_lines")
    return con


# Real shapes from DOMAIN.md §1 as the UCI CSV dump writes them: two products, a cancellation, a line without
# customer or description, a bad-debt adjustment, postage.
GOOD_ROWS = [
    [
        "536365",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "6",
        "2010-12-01 08:26:00",
        "2.55",
        "17850.0",
        "United Kingdom",
    ],
    [
        "536365",
        "71053",
        "WHITE METAL LANTERN",
        "6",
        "2010-12-01 08:26:00",
        "3.39",
        "17850.0",
        "United Kingdom",
    ],
    ["C536379", "D", "Discount", "-1", "2010-12-01 09:41:00", "27.50", "14527.0", "United Kingdom"],
    ["536414", "22139", "", "56", "2010-12-01 11:52:00", "0", "", "United Kingdom"],
    ["A563185", "B", "Adjust bad debt", "1", "2011-08-12 14:50:00", "11062.06", "", "United Kingdom"],
    ["536370", "POST", "POSTAGE", "3", "2010-12-01 08:45:00", "18", "12583.0", "France"],
]


def assert_summaries_equal_a_rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """The store's summary tables hold exactly what rebuilding them from its lines would (row order aside),
    and are marked current."""
    assert store.summaries_are_current(con)
    for name in store.SUMMARY_TABLES:
        held = con.sql(f"select * from main.{name} order by all").fetchall()
        rebuilt = con.sql(f"select * from ({store.summary_sql(name)}) order by all").fetchall()
        assert held == rebuilt, name


@contextmanager
def mounted_tmpfs(where: Path, megabytes: int) -> Iterator[Path]:
    """A small real disk at ``where`` (a tmpfs, unmounted after): to fill up, or to remount read-only.
    Skips where this process may not mount (root or CAP_SYS_ADMIN is needed; under CI too: the
    capability is the machine's, not the code's)."""
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(
            "cannot mount a small tmpfs (needs root or CAP_SYS_ADMIN; skipped under CI too: the capability "
            f"is the machine's): {done.stderr.strip()}"
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
