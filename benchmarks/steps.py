"""The measured steps. Each runs in its own process (`python -m benchmarks.step NAME SIZE`), so its wall
time and peak RSS are its own. Inputs (stores, files) are prepared once per size and cached in
benchmarks/out/ (git-ignored)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"

Step = Callable[[int], object]
STEPS: dict[str, tuple[str, Step]] = {}
MAX_ROWS: dict[str, int] = {}  # steps measured only up to this size (e.g. file loads and pandas: 1M)


def step(name: str, group: str, max_rows: int | None = None) -> Callable[[Step], Step]:
    def register(fn: Step) -> Step:
        STEPS[name] = (group, fn)
        if max_rows is not None:
            MAX_ROWS[name] = max_rows
        return fn

    return register


def _schema_key() -> str:
    """Changes with the store's schema and summaries: a cached store of an older schema is not reused."""
    import hashlib

    from lgs_core.sqlfiles import SQL_DIR

    digest = hashlib.sha256()
    for sql_file in sorted((SQL_DIR / "store").glob("*.sql")):
        digest.update(sql_file.read_bytes())
    return digest.hexdigest()[:10]


def demo_store(rows: int) -> Path:
    """A warm store of `rows` demo lines (seed 42), built once and reused."""
    path = OUT / f"demo_{rows}_{_schema_key()}.duckdb"
    if not path.exists():
        from lgs_core.sources.demo import load_demo

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

        from lgs_core.sources.demo import generate_lines

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

        from lgs_core.sources.demo import generate_lines

        frame = _uci_shape(generate_lines(rows, seed=42)).with_columns(pl.col("Price").cast(pl.Float64))
        split = datetime(2010, 12, 1)
        OUT.mkdir(parents=True, exist_ok=True)
        # constant_memory streams rows to disk; a real workbook holds real dates and numbers, as here.
        with xlsxwriter.Workbook(str(path), {"constant_memory": True}) as book:
            date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
            for name, part in (
                ("Year 2009-2010", frame.filter(pl.col("InvoiceDate") < split)),
                ("Year 2010-2011", frame.filter(pl.col("InvoiceDate") >= split)),
            ):
                sheet = book.add_worksheet(name)
                sheet.write_row(0, 0, part.columns)
                sheet.set_column(4, 4, 16, date_format)
                for r, row in enumerate(part.iter_rows(), start=1):
                    sheet.write_row(r, 0, row[:4])
                    sheet.write_datetime(r, 4, row[4], date_format)
                    sheet.write_number(r, 5, row[5])
                    if row[6] is not None:
                        sheet.write_number(r, 6, row[6])
                    sheet.write_string(r, 7, row[7])
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
    from lgs_core.sources.demo import load_demo

    load_demo(scratch_db(rows, "demo"), rows=rows, seed=7)


@step("CSV load", "foundation", max_rows=1_000_000)
def _csv_load(rows: int) -> None:
    from lgs_core.sources.ingest import load_file

    result = load_file(demo_csv(rows), scratch_db(rows, "csv"))
    assert result.rows_loaded == rows, result


@step("xlsx load", "foundation", max_rows=1_000_000)
def _xlsx_load(rows: int) -> None:
    from lgs_core.sources.ingest import load_file

    result = load_file(demo_xlsx(rows), scratch_db(rows, "xlsx"))
    assert result.rows_loaded == rows, result


# --- issue 3: the engine, on a warm store -------------------------------------------------------------


def warm_timings(run: Callable[[], object], repeats: int = 20) -> dict[str, float]:
    """Median and p95 of `repeats` warm runs (one untimed run first: the store's pages in the OS cache).
    A call that takes over a second (a model fit at 10M lines) is repeated 5 times, not `repeats`."""
    import statistics
    import time

    started = time.perf_counter()
    run()
    if time.perf_counter() - started > 1.0:
        repeats = min(repeats, 5)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    times.sort()
    return {"seconds": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))]}


def _engine_step(name: str, call: Callable[..., object]) -> None:
    def measure(rows: int) -> dict[str, float]:
        from lgs_core.query.window import Window
        from lgs_core.store import store

        con = store.connect(demo_store(rows), read_only=True)
        try:
            return warm_timings(lambda: call(con, Window()), repeats=10 if rows >= 10_000_000 else 20)
        finally:
            con.close()

    step(name, "engine")(measure)


def _register_engine_steps() -> None:
    from lgs_core.analyses import analytics, rfm

    fixed = rfm.FixedCuts.parse("r=30,90,180,365;f=1,2,5,10;m=100,500,1000,5000")
    _engine_step("monthly (standard)", lambda con, w: analytics.monthly(con, w, "standard"))
    _engine_step("monthly (classic)", lambda con, w: analytics.monthly(con, w, "classic"))
    _engine_step("weekly", lambda con, w: analytics.weekly(con, w, "standard"))
    _engine_step("invoice distribution", lambda con, w: analytics.invoice_distribution(con, w, "standard"))
    _engine_step("RFM classic (quintiles)", lambda con, w: rfm.rfm(con, w, rfm.RfmParams(preset="classic")))
    _engine_step("RFM standard (quintiles)", lambda con, w: rfm.rfm(con, w, rfm.RfmParams()))
    _engine_step(
        "RFM standard (fixed cuts)",
        lambda con, w: rfm.rfm(con, w, rfm.RfmParams(scoring="fixed", cuts=fixed)),
    )
    _engine_step("RFM standard (rfm11)", lambda con, w: rfm.rfm(con, w, rfm.RfmParams(segment_map="rfm11")))


_register_engine_steps()


# --- issue 5: what one filter change costs each page (the lgs_core calls the page makes) -----------------


def _filter_changes() -> list[object]:
    """A cycle of different windows, as a user clicking through the sidebar would make them."""
    from datetime import date

    from lgs_core.query.window import Window

    return [
        Window(date(2011, 1, 1), date(2011, 12, 9), ("France",)),
        Window(date(2010, 6, 1), date(2011, 5, 31)),
        Window(None, None, (), True),
        Window(date(2011, 1, 1), date(2011, 12, 9), ("United Kingdom", "Germany")),
        Window(date(2010, 1, 1), date(2010, 12, 31), ("EIRE",), True),
    ]


def _page_step(name: str, call: Callable[..., object]) -> None:
    def measure(rows: int) -> dict[str, float]:
        import contextlib
        import itertools

        from lgs_core.errors import LgsError
        from lgs_core.store import store

        def as_the_page(window: object) -> None:
            # the page shows an LgsError as its one-line message (e.g. too few customers to fit a model)
            with contextlib.suppress(LgsError):
                call(con, window)

        windows = itertools.cycle(_filter_changes())
        con = store.connect(demo_store(rows), read_only=True)
        try:
            return warm_timings(lambda: as_the_page(next(windows)), repeats=20)
        finally:
            con.close()

    step(name, "pages")(measure)


def _register_page_steps() -> None:
    # Each step is a page's (or tab's) page-model calls, as pages/_common makes them (lgs_core.app).
    from lgs_core.analyses import affinity
    from lgs_core.analyses.rfm import RfmParams
    from lgs_core.app import deeper_segments as deeper_model
    from lgs_core.app import orders as orders_model
    from lgs_core.app import overview as overview_model
    from lgs_core.app import segments as segments_model

    def segments_page(con: object, window: object) -> None:
        result = segments_model.segments(con, window, RfmParams())  # type: ignore[arg-type]
        first = result.result.customers["customer_id"][0] if result.result.customers.height else 0
        segments_model.customer_invoices(con, window, int(first))  # type: ignore[arg-type]

    def migration_tab(con: object, window: object) -> None:
        first, second = deeper_model.reference_dates(con, window)  # type: ignore[arg-type]
        deeper_model.segment_migration(con, window, first, second, RfmParams(), True)  # type: ignore[arg-type]

    def affinity_tab(con: object, window: object) -> None:
        params = RfmParams()
        segment = params.segments.segments[-1]  # the page's default: the map's last segment
        options = affinity.AffinityOptions(min_support=0.01)
        deeper_model.product_affinity(con, window, segment, params, options)  # type: ignore[arg-type]

    _page_step("Overview: one filter change", lambda con, w: overview_model.overview(con, w, "standard"))
    _page_step("Orders: one filter change", lambda con, w: orders_model.orders(con, w, "standard"))
    _page_step("Customer segments: one filter change", segments_page)
    # Deeper segments: only the open tab computes (st.tabs with on_change="rerun"), so each tab is a step.
    _page_step(
        "Deeper segments, cohorts tab: one filter change",
        lambda con, w: deeper_model.cohort_retention(con, w, "standard"),
    )
    _page_step("Deeper segments, migration tab: one filter change", migration_tab)
    _page_step(
        "Deeper segments, lifetime value tab: one filter change",
        lambda con, w: deeper_model.customer_value(con, w, "standard"),
    )
    _page_step("Deeper segments, affinity tab: one filter change", affinity_tab)


_register_page_steps()


@step("weekly report (build + HTML)", "report")
def _report(rows: int) -> dict[str, float]:
    from lgs_core.report import report
    from lgs_core.store import store

    con = store.connect(demo_store(rows), read_only=True)
    try:
        return warm_timings(lambda: report.to_html(report.build_report(con)), repeats=3)
    finally:
        con.close()


@step("all seed analyses, classic (engine)", "vs pandas", max_rows=1_000_000)
def _engine_all(rows: int) -> dict[str, float]:
    from lgs_core.analyses import analytics, rfm
    from lgs_core.query.window import Window
    from lgs_core.store import store

    con = store.connect(demo_store(rows), read_only=True)
    window = Window()

    def run() -> None:
        analytics.invoice_distribution(con, window, "classic")
        analytics.monthly(con, window, "classic")
        rfm.rfm(con, window, rfm.RfmParams(preset="classic"))

    try:
        return warm_timings(run, repeats=5)
    finally:
        con.close()


@step("all seed analyses, the notebook's pandas", "vs pandas", max_rows=1_000_000)
def _pandas_all(rows: int) -> dict[str, float]:
    from benchmarks.notebook_pandas import all_seed_analyses
    from lgs_core.store import store

    con = store.connect(demo_store(rows), read_only=True)
    try:
        df = con.sql(
            'select invoice as "Invoice", quantity as "Quantity", invoice_date as "InvoiceDate", '
            'cast(unit_price as double) as "Price", cast(customer_id as double) as "Customer ID" from lines'
        ).df()
    finally:
        con.close()
    return warm_timings(lambda: all_seed_analyses(df), repeats=2)


PREPARE: dict[str, Callable[[int], object]] = {
    "CSV load": demo_csv,
    "xlsx load": demo_xlsx,
}


def cleanup() -> None:
    for p in OUT.glob("scratch_*"):
        p.unlink(missing_ok=True)


def remove_all() -> None:
    shutil.rmtree(OUT, ignore_errors=True)


# --- issue 4: PostgreSQL → store, and the push-down engine ---------------------------------------------
# The server: env LGS_BENCH_DSN (a server where the benchmark may create the database `lgs_bench`), else the
# local one on 127.0.0.1:5432. Its `retail` table is filled once from the demo CSV with pg-load.

BENCH_DB = "lgs_bench"


def _bench_dsn(rows: int) -> str:
    import os

    import psycopg

    admin = os.environ.get("LGS_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    table = f"retail_{rows}"
    with psycopg.connect(admin, autocommit=True) as con:
        if not con.execute("select 1 from pg_database where datname = %s", (BENCH_DB,)).fetchall():
            con.execute(f"create database {BENCH_DB}")
    dsn = psycopg.conninfo.make_conninfo(admin, dbname=BENCH_DB)
    with psycopg.connect(dsn) as con:
        present = con.execute("select to_regclass(%s) is not null", (table,)).fetchall()[0][0]
        count = con.execute(f"select count(*) from {table}").fetchall()[0][0] if present else 0
    if count != rows:
        from lgs_core.sources.postgres import pg_load

        pg_load(demo_csv(rows), dsn, table=table, replace=True)
    return dsn


@step("PostgreSQL full sync into a new store", "postgres", max_rows=10_000_000)
def _pg_full(rows: int) -> dict[str, float]:
    import time

    from lgs_core.sources.postgres import sync

    dsn = _bench_dsn(rows)
    target = scratch_db(rows, "pgfull")
    started = time.perf_counter()
    result = sync(dsn, target, table=f"retail_{rows}", full=True)
    seconds = time.perf_counter() - started
    assert result.rows_loaded == rows, result
    return {"seconds": seconds}


@step("PostgreSQL incremental sync of 10k new lines", "postgres", max_rows=10_000_000)
def _pg_incremental(rows: int) -> dict[str, float]:
    import shutil
    import time

    import psycopg

    from lgs_core.sources.postgres import sync

    dsn = _bench_dsn(rows)
    table = f"retail_{rows}"
    base = scratch_db(rows, "pgbase")
    sync(dsn, base, table=table, full=True)
    target = scratch_db(rows, "pgincr")
    shutil.copy(base, target)
    with psycopg.connect(dsn) as con:  # 10k lines a year after the newest: new to the store
        con.execute(
            f"insert into {table} select invoice_no, stock_code, description, quantity, "
            f"invoice_date + interval '1 year', unit_price, customer_id, country from {table} "
            f"order by invoice_date desc limit 10000"
        )
    try:
        started = time.perf_counter()
        result = sync(dsn, target, table=table)
        seconds = time.perf_counter() - started
        assert (result.mode, result.rows_loaded) == ("incremental", 10_000), result
    finally:
        with psycopg.connect(dsn) as con:
            con.execute(
                f"delete from {table} where invoice_date > (select max(invoice_date) - interval '1 year' from {table})"
            )
    return {"seconds": seconds}


@step("push-down RFM standard (inside PostgreSQL)", "postgres", max_rows=1_000_000)
def _pushdown_rfm(rows: int) -> dict[str, float]:
    from lgs_core.analyses import rfm
    from lgs_core.query.pushdown import PostgresEngine
    from lgs_core.query.window import Window

    engine = PostgresEngine(_bench_dsn(rows), table=f"retail_{rows}")
    try:
        return warm_timings(lambda: rfm.rfm(engine, Window(), rfm.RfmParams()), repeats=5)  # type: ignore[arg-type]
    finally:
        engine.close()


# --- issue 18: saved segments and behaviour clusters ------------------------------------------------------


def _segment_rules() -> list[object]:
    """A cycle of rules a marketer builds one change at a time on the Saved segments page."""
    from lgs_core.analyses.segment_rules import Condition, all_of, any_of

    france = Condition.make("country", "in", ["France"])
    recent = Condition.make("recency_days", "le", [60])
    return [
        all_of(france, recent, Condition.make("spend", "gt", ["1000"])),
        all_of(france, recent, Condition.make("spend", "ge", ["500"])),
        any_of(Condition.make("orders", "ge", [10]), Condition.make("aov", "gt", ["250"])),
        all_of(
            Condition.make("first_order", "ge", ["2011-06-01"]),
            Condition.make("country", "not_in", ["United Kingdom"]),
        ),
        all_of(recent, Condition.make("product_group", "in", ["CHRISTMAS"])),
    ]


@step("Saved segments, rule preview: one rule change", "pages")
def _segment_preview(rows: int) -> dict[str, float]:
    """What a change in the rule builder costs: the window's facts are cached by the page, the rule is not."""
    import itertools

    from lgs_core.app import saved_segments as saved_model
    from lgs_core.query.window import Window
    from lgs_core.store import store

    con = store.connect(demo_store(rows), read_only=True)
    try:
        window = Window()
        facts = saved_model.facts(con, window, "standard")
        rules = itertools.cycle([rule.to_text() for rule in _segment_rules()])  # type: ignore[attr-defined]
        return warm_timings(
            lambda: saved_model.evaluate(con, window, "standard", next(rules), "", facts=facts), repeats=20
        )
    finally:
        con.close()


def _register_segment_steps() -> None:
    from lgs_core.analyses import clusters
    from lgs_core.app import saved_segments as saved_model

    marketer = _segment_rules()[0].to_text()  # type: ignore[attr-defined]

    def filter_change(con: object, window: object) -> None:  # a sidebar change: the facts, then the rule
        facts = saved_model.facts(con, window, "standard")  # type: ignore[arg-type]
        saved_model.evaluate(con, window, "standard", marketer, "", facts=facts)  # type: ignore[arg-type]

    def cluster(con: object, window: object) -> None:
        facts = saved_model.facts(con, window, "standard")  # type: ignore[arg-type]
        saved_model.behaviour_clusters(con, window, "standard", clusters.DEFAULT_K_RANGE, facts=facts)  # type: ignore[arg-type]

    _page_step("Saved segments: one filter change (facts + rule)", filter_change)
    # Not "pages": the app computes these once per window and serves them from its cache afterwards.
    for name, call in (
        (
            "Saved segments, over time: the months of a window",
            lambda con, w: saved_model.history(con, w, "standard", marketer),
        ),
        ("Behaviour clusters (k 3-8): once per window", cluster),
    ):
        _page_step(name, call)
        STEPS[name] = ("segments", STEPS[name][1])


_register_segment_steps()


@step("weekly report with 3 saved segments (build + HTML)", "report")
def _report_with_segments(rows: int) -> dict[str, float]:
    import shutil

    from lgs_core.analyses import saved_segments
    from lgs_core.report import report
    from lgs_core.store import store

    target = scratch_db(rows, "report_segments")
    shutil.copy(demo_store(rows), target)
    con = store.connect(target)
    try:
        for i, rule in enumerate(_segment_rules()[:3]):
            saved_segments.apply_change(con, saved_segments.SaveSegment(f"segment {i}", rule))  # type: ignore[arg-type]
    finally:
        con.close()
    con = store.connect(target, read_only=True)
    try:
        return warm_timings(lambda: report.to_html(report.build_report(con)), repeats=3)
    finally:
        con.close()


# --- issue 14: what a person waits for: the CLI as whole processes, a cached rerun's server time ---------------


CLI_RUNS = 7


def _cli_step(name: str, args: Callable[[int, Path], list[str]], max_rows: int | None = None) -> None:
    """``lgs ARGS`` (``python -m lgs_core``, a new interpreter each time: imports included) as a whole
    process, CLI_RUNS times: median and the slowest run (as p95). No peak RSS: a child's ru_maxrss starts
    from this (much larger) process's. Exit 3 (the report flagged something) is a success."""

    def measure(rows: int) -> dict[str, float]:
        import statistics
        import subprocess
        import sys
        import tempfile
        import time

        with tempfile.TemporaryDirectory(prefix="lgs_cli_") as tmp:
            command = [sys.executable, "-m", "lgs_core", *args(rows, Path(tmp))]
            times = []
            for _ in range(CLI_RUNS):
                started = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                if done.returncode not in (0, 3) or not done.stdout.strip():
                    raise RuntimeError(
                        f"{' '.join(command[2:])} exited {done.returncode}: {done.stderr[-800:]}"
                    )
        times.sort()
        return {"seconds": statistics.median(times), "p95": times[-1], "peak_rss_mb": 0.0}

    step(name, "cli", max_rows)(measure)


_cli_step("lgs --help", lambda rows, tmp: ["--help"], max_rows=1_000_000)
_cli_step("lgs monthly", lambda rows, tmp: ["monthly", "--db", str(demo_store(rows))])
_cli_step("lgs rfm --summary", lambda rows, tmp: ["rfm", "--summary", "--db", str(demo_store(rows))])
_cli_step(
    "lgs report (html, md, json)",
    lambda rows, tmp: [
        "report",
        "--db",
        str(demo_store(rows)),
        "--out",
        str(tmp),
        "--format",
        "html,md,json",
    ],
)


def _server_time_step(page: str) -> None:
    def measure(rows: int) -> dict[str, float]:
        from benchmarks import browser, server_time

        try:
            return server_time.measure(page, browser.app_store(rows))
        finally:
            browser.app_store_path(rows).unlink(missing_ok=True)

    step(f"{page}: a cached rerun's server time (AppTest)", "server")(measure)


def _register_server_time_steps() -> None:
    from benchmarks.server_time import PAGES as APP_PAGES

    for page in APP_PAGES:
        _server_time_step(page)


_register_server_time_steps()
