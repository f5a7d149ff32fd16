"""The demo stores and the CLI runner the report tests share (no tests here): plain demo data, and the same data with injected
anomalies in new customers. Built once per test session into a temporary folder, whatever the number of
test modules using them (a conftest fixture would do the same; this keeps the report tests self-contained).

Why 600,000 lines and not 300,000: at 300k the demo has ~10 new customers a week, and a week with none
scores z ≈ −3.1 (s is at least sqrt(10), the Poisson floor), right on the threshold, so whether a dip is
caught would depend on the seed. At 600k (~20 a week) a week with none scores z ≈ −3.5 to −4.5 and a
week with three times the usual z ≈ +8 for every seed tried (42, 1, 2, 3), so the test tests the detector.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from lgs_core import cli
from lgs_core.sources.demo import SCHEMA, generate_lines
from lgs_core.store import store

DEMO_ROWS = 600_000
SEED = 42
SPIKE_WEEK = date(2011, 5, 16)  # 2011-W20: three times the usual new customers, most of them German
DIP_WEEK = date(2011, 9, 19)  # 2011-W38: no new customer at all
EARLY_SPIKE_WEEK = date(2010, 6, 14)  # 2010-W24: a spike in the first year (no same week last year)
SPIKE_COUNTRIES = ("Germany", "Germany", "Germany", "United Kingdom")  # 3 of 4 injected customers German


@cache
def _folder() -> Path:
    path = Path(tempfile.mkdtemp(prefix="lgs-report-tests-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@cache
def demo_lines() -> pl.DataFrame:
    return generate_lines(DEMO_ROWS, SEED)


def write_store(path: Path, frame: pl.DataFrame) -> Path:
    """A store holding exactly ``frame`` (demo.SCHEMA columns), written as `lgs demo` writes one."""
    con = store.connect(path)
    try:
        with store.transaction(con):
            load_id = store.next_load_id(con)
            store.clear_data(con)
            con.register("staged_lines", frame)
            try:
                store.insert_staged_lines(con, load_id)
            finally:
                con.unregister("staged_lines")
            store.log_load(
                con,
                load_id=load_id,
                kind="demo",
                source="report test data",
                fingerprint=f"report-tests-{path.stem}",
                mode="replace",
                rows_read=frame.height,
                rows_loaded=frame.height,
                rows_quarantined=0,
            )
            refresh = getattr(store, "refresh_summaries", None)  # the engine's summaries, where it has them
            if refresh is not None:
                refresh(con)
    finally:
        con.close()
    return path


def first_weeks(frame: pl.DataFrame) -> pl.DataFrame:
    """customer_id → the Monday of the week of their first line."""
    return (
        frame.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(first_week=pl.col("invoice_date").min().dt.truncate("1w").dt.date())
    )


def usual_new_customers(frame: pl.DataFrame, week: date) -> int:
    """The median of weekly new customers over the 12 weeks before ``week``."""
    per_week = first_weeks(frame).group_by("first_week").len()
    before = per_week.filter(
        (pl.col("first_week") < week) & (pl.col("first_week") >= week - timedelta(weeks=12))
    )
    return int(before["len"].median())  # type: ignore[arg-type]


def new_customer_invoices(week: date, count: int, first_id: int, first_invoice: int) -> pl.DataFrame:
    """``count`` brand-new customers, each with one 3-line invoice on a weekday of ``week``."""
    rows = []
    for i in range(count):
        when = datetime.combine(week + timedelta(days=i % 5), time(9, 0)) + timedelta(minutes=7 * i)
        for line, (code, text, price) in enumerate(
            (
                ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "2.55"),
                ("22423", "REGENCY CAKESTAND 3 TIER", "12.75"),
                ("POST", "POSTAGE", "18.00"),
            )
        ):
            rows.append(
                {
                    "source_row": 50_000_000 + first_invoice * 10 + i * 3 + line,
                    "invoice": str(first_invoice + i),
                    "stock_code": code,
                    "description": text,
                    "quantity": 6 if code != "POST" else 1,
                    "invoice_date": when,
                    "unit_price": Decimal(price),
                    "customer_id": first_id + i,
                    "country": SPIKE_COUNTRIES[i % len(SPIKE_COUNTRIES)],
                }
            )
    return pl.DataFrame(rows, schema=SCHEMA)


def inject(frame: pl.DataFrame) -> pl.DataFrame:
    """The demo frame with a spike in new customers at SPIKE_WEEK and EARLY_SPIKE_WEEK (2 × the usual
    number of extra brand-new customers: three times the usual) and none at DIP_WEEK (every customer whose
    first line falls in that week is removed, with all their lines, so no later week gains them).
    """
    gone = first_weeks(frame).filter(pl.col("first_week") == DIP_WEEK)["customer_id"]
    kept = frame.filter(pl.col("customer_id").is_null() | ~pl.col("customer_id").is_in(gone.implode()))
    extra = [
        new_customer_invoices(SPIKE_WEEK, 2 * usual_new_customers(frame, SPIKE_WEEK), 90_000, 950_000),
        new_customer_invoices(
            EARLY_SPIKE_WEEK, 2 * usual_new_customers(frame, EARLY_SPIKE_WEEK), 95_000, 960_000
        ),
    ]
    return pl.concat([kept, *extra]).sort("invoice_date", "invoice")


@cache
def plain_store() -> Path:
    return write_store(_folder() / "plain.duckdb", demo_lines())


@cache
def injected_store() -> Path:
    return write_store(_folder() / "injected.duckdb", inject(demo_lines()))


@cache
def quiet_sunday() -> str:
    """The Sunday (ISO text) of the first week from February 2011 where no metric is flagged or watched."""
    from lgs_core.report import report

    con = store.connect(injected_store(), read_only=True)
    try:
        weeks = report.assess_weeks(con)
    finally:
        con.close()
    for i, judged in enumerate(weeks["new_customers"]):
        if judged.week_start >= date(2011, 2, 1) and all(weeks[m][i].status == "normal" for m in weeks):
            return (judged.week_start + timedelta(days=6)).isoformat()
    raise AssertionError("no quiet week in the demo data")


def lgs(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI: (exit code, stdout, stderr)."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
