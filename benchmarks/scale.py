"""`python -m benchmarks.scale [--rows 100000000] [--base 10000000] [--keep]`: the store at 100M lines (issue #7).

`python -m benchmarks --sizes …,100000000` runs this as its 100M size (``run``), and its rows join the table.

Builds the store without a Python object per line: ``--base`` demo lines (lgs_core.sources.demo, seed 42), then
``scale_store`` replicates them inside DuckDB into ``rows / base`` disjoint copies, all in one data-set write
(lgs_core.store.write) that also logs the load and brings the summaries up to date. Then each analysis runs in a fresh process (``--measure NAME PATH``) and
reports its first (cold) run, the median of its warm repeats and the process's peak RSS, as
benchmarks/step.py does. Writes docs/benchmarks_100m.md and deletes the store unless ``--keep``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from benchmarks.step import peak_rss_mb
from lgs_core.store import store
from lgs_core.store.write import write_data_set

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
DOCS = REPO / "docs"

# A copy k shifts customer ids by k × 100,000 and invoice numbers by k × 1,000,000: the demo's ids are
# 5 digits and its invoice numbers 6 (lgs_core.sources.demo up to 15M lines), so the copies never collide, and
# 99 copies still fit DuckDB's 32-bit integer customer_id (99 × 100,000 + 99,999 < 2^31).
CUSTOMER_STRIDE = 100_000
INVOICE_STRIDE = 1_000_000
MAX_COPIES = 99
BASE = 10_000_000  # demo lines generated before replicating (lgs_core.sources.demo makes at most 15M)

_REPLICATE = """
insert into lines
with copies as (select cast(k as integer) as k from range(1, $copies) as t(k)),
final as (
    select
        cast($load_id as integer) as load_id,
        source_row + k * $max_source_row as source_row,
        -- keep the C / A prefix (DOMAIN.md §1 "Invoice"), shift the number: unique per copy
        regexp_extract(invoice, '^[^0-9]*')
            || cast(k * $invoice_stride + cast(regexp_extract(invoice, '[0-9]+$') as bigint) as varchar) as invoice,
        stock_code,
        description,
        quantity,
        invoice_date,
        unit_price,
        customer_id + k * $customer_stride as customer_id,
        country,
        is_cancellation,
        is_adjustment,
        is_product,
        line_amount
    from lines cross join copies
)

select * from final
"""


def scale_store(con: duckdb.DuckDBPyConnection, copies: int) -> int:
    """Make the store's lines ``copies`` disjoint copies of themselves, in one transaction; return the lines added.

    Copy k (1 .. copies-1) has customer ids + k·100,000 and invoice numbers + k·1,000,000 (prefix kept), the
    same dates, countries, products and amounts: so customers, invoices and Σ sales are multiplied by ``copies``
    exactly, and each copy's customers score as the original's (see tests/store/test_scale.py for what holds).
    Written as every data-set write is (``lgs_core.store.write.write_data_set``): one transaction, a load_log
    row ('append') recording the scaling, and the summaries brought up to the lines in it (when they were
    current, as after load_demo, only the new copies' invoices and customers are computed: they are disjoint).
    """
    if not 1 <= copies <= MAX_COPIES:
        raise ValueError(f"copies must be 1 .. {MAX_COPIES}, not {copies}")
    bad = store.scalar(
        con,
        "select count(*) from lines where customer_id >= $stride or not regexp_full_match(invoice, '[A-Z]?[0-9]{1,6}')",
        {"stride": CUSTOMER_STRIDE},
    )
    if bad:
        raise ValueError(
            f"{bad} lines have a customer id ≥ {CUSTOMER_STRIDE} or an invoice not [A-Z]?[0-9]{{1,6}}"
        )
    # Counted before the write: the load log's source names it (the connection is the store's only writer).
    before = int(store.scalar(con, "select count(*) from lines"))  # type: ignore[call-overload]
    with write_data_set(
        con,
        kind="demo",
        source=f"scaled ×{copies} ({before:,} → {before * copies:,} lines)",
        fingerprint=hashlib.sha256(f"scale_store {copies} {before}".encode()).hexdigest(),
    ) as w:
        max_source_row = int(store.scalar(con, "select coalesce(max(source_row), 0) from lines"))  # type: ignore[call-overload]
        load_id = w.start("append")
        con.execute(
            _REPLICATE,
            {
                "copies": copies,
                "load_id": load_id,
                "max_source_row": max_source_row,
                "invoice_stride": INVOICE_STRIDE,
                "customer_stride": CUSTOMER_STRIDE,
            },
        )
        added = before * (copies - 1)
        w.add(added, added, 0, {})
    return added


# --- the measured analyses (each in a fresh process) ------------------------------------------------------


def _analyses() -> dict[str, Callable[[duckdb.DuckDBPyConnection], object]]:
    from lgs_core.analyses import analytics, rfm
    from lgs_core.query.window import Window

    return {
        "RFM standard (quintiles)": lambda con: rfm.rfm(con, Window(), rfm.RfmParams()),
        "RFM classic (quintiles)": lambda con: rfm.rfm(con, Window(), rfm.RfmParams(preset="classic")),
        "monthly (standard)": lambda con: analytics.monthly(con, Window(), "standard"),
        "monthly (classic)": lambda con: analytics.monthly(con, Window(), "classic"),
    }


TARGETS = {"RFM": 10.0, "monthly": 5.0}
RSS_TARGET_MB = 8 * 1024


def _measure(name: str, path: Path, repeats: int) -> None:
    """In this (fresh) process: open the store, run ``name`` once cold and ``repeats`` times warm; print JSON."""
    baseline = peak_rss_mb()
    call = _analyses()[name]
    con = store.connect(path, read_only=True)
    try:
        started = time.perf_counter()
        call(con)
        first = time.perf_counter() - started
        warm = []
        for _ in range(repeats):
            started = time.perf_counter()
            call(con)
            warm.append(time.perf_counter() - started)
    finally:
        con.close()
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "first_seconds": first,
                "seconds": statistics.median(warm) if warm else first,
                "peak_rss_mb": peak,
                "baseline_rss_mb": baseline,
            }
        )
    )


def _run_measure(name: str, path: Path, repeats: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--measure", name, str(path), "--repeat", str(repeats)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _build(path: Path, rows: int, base: int) -> dict[str, float]:
    """In this (fresh) process: demo lines, then scale; print the phases' times and the peak RSS."""
    from lgs_core.sources.demo import load_demo

    copies = rows // base
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    load_demo(path, rows=base, seed=42)
    demo_seconds = time.perf_counter() - started
    con = store.connect(path)
    try:
        started = time.perf_counter()
        scale_store(con, copies)
        scale_seconds = time.perf_counter() - started
        con.execute("checkpoint")
    finally:
        con.close()
    result = {
        "demo_seconds": demo_seconds,
        "scale_seconds": scale_seconds,
        "seconds": demo_seconds + scale_seconds,
        "peak_rss_mb": peak_rss_mb(),
    }
    # The facts after the peak is taken: scanning the store for them would raise it.
    print(json.dumps({**result, "facts": _store_facts(path)}))
    return result


def _store_facts(path: Path) -> dict[str, object]:
    con = store.connect(path, read_only=True)
    try:
        info = store.store_info(con)
        summary_rows = store.scalar(con, "select count(*) from invoice_summary")
        current = store.summaries_are_current(con)
    finally:
        con.close()
    return {
        "lines": info.lines,
        "invoices": info.invoices,
        "customers": info.customers,
        "first_date": str(info.first_date),
        "last_date": str(info.last_date),
        "summary_rows": summary_rows,
        "summaries_current": current,
        "bytes": path.stat().st_size,
    }


def _target(name: str) -> float:
    return next(seconds for prefix, seconds in TARGETS.items() if name.startswith(prefix))


def _write(
    build: dict[str, float],
    facts: dict[str, object],
    results: dict[str, dict[str, float]],
    rows: int,
    base: int,
) -> None:
    from benchmarks.__main__ import machine

    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    gb = int(facts["bytes"]) / 1024**3  # type: ignore[call-overload]
    lines = [
        f"# Benchmarks at {rows:,} lines",
        "",
        f"Regenerate with `python -m benchmarks --sizes {rows}` or `python -m benchmarks.scale --rows {rows} "
        f"--base {base}` (written {stamp}).",
        f"Machine: {machine()}.",
        "",
        "## The store",
        "",
        f"{base:,} demo lines (lgs_core.sources.demo, seed 42) replicated inside DuckDB into {rows // base} disjoint copies "
        "(`benchmarks.scale.scale_store`: customer ids + k·100,000, invoice numbers + k·1,000,000 with the C/A prefix kept, "
        "same dates 2009-12..2011-12), the summaries rebuilt, all in one transaction; no Python object per line.",
        "",
        "| fact | value |",
        "|---|---:|",
        f"| lines | {facts['lines']:,} |",
        f"| invoices | {facts['invoices']:,} |",
        f"| customers | {facts['customers']:,} |",
        f"| dates | {facts['first_date']} .. {facts['last_date']} |",
        f"| invoice_summary rows (current: {facts['summaries_current']}) | {facts['summary_rows']:,} |",
        f"| generation: {base:,} demo lines (s) | {build['demo_seconds']:.1f} |",
        f"| generation: replicate ×{rows // base} + summaries, one transaction (s) | {build['scale_seconds']:.1f} |",
        f"| generation: total (s) | {build['seconds']:.1f} |",
        f"| generation: peak RSS (MB) | {build['peak_rss_mb']:,.0f} |",
        f"| store size on disk | {gb:.2f} GB ({facts['bytes']:,} bytes) |",
        "",
        "## The analyses",
        "",
        "Each in a fresh process on the store opened read-only, whole period, every country: the first run (cold: "
        "the store's pages possibly not yet in the OS cache) and the median of the warm repeats; peak RSS is the "
        "process's maximum resident set (interpreter and imports included).",
        "",
        "| analysis | first run (s) | warm median (s) | target (s) | peak RSS (MB) | met |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in results.items():
        met = max(r["first_seconds"], r["seconds"]) < _target(name) and r["peak_rss_mb"] < RSS_TARGET_MB
        lines.append(
            f"| {name} | {r['first_seconds']:.2f} | {r['seconds']:.2f} | < {_target(name):.0f} | "
            f"{r['peak_rss_mb']:,.0f} | {'yes' if met else '**no**'} |"
        )
    lines += ["", f"Peak RSS target: < {RSS_TARGET_MB:,} MB per analysis process."]
    notes = DOCS / "benchmarks_100m_notes.md"  # measured by hand: profiles, earlier runs
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks_100m.md").write_text("\n".join(lines) + "\n")
    (OUT / f"scale_{rows}.json").write_text(
        json.dumps({"build": build, "facts": facts, "results": results}, indent=2, default=str)
    )


def run(rows: int, base: int, repeat: int, keep: bool = False) -> dict[str, object]:
    """Build the store of ``rows`` lines (``base`` demo lines replicated), measure every analysis in a fresh
    process, write docs/benchmarks_100m.md; return ``{"build", "facts", "results"}`` (the suite's rows)."""
    if rows % base:
        raise SystemExit("--rows must be a multiple of --base")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"scale_{rows}.duckdb"
    try:
        command = [sys.executable, "-m", "benchmarks.scale", "--build", str(path)]
        command += ["--rows", str(rows), "--base", str(base)]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"building the store failed:\n{done.stderr[-2000:]}")
        build = json.loads(done.stdout.strip().splitlines()[-1])
        facts = build.pop("facts")
        print(f"built {rows:,} lines: {build}", flush=True)
        print(f"store: {facts}", flush=True)
        results = {}
        for name in _analyses():
            results[name] = _run_measure(name, path, repeat)
            print(f"{name:<28} {results[name]}", flush=True)
        _write(build, facts, results, rows, base)
        return {"build": build, "facts": facts, "results": results}
    finally:
        if not keep:
            path.unlink(missing_ok=True)
            Path(str(path) + ".wal").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--base", type=int, default=BASE, help="demo lines generated, then replicated")
    parser.add_argument(
        "--repeat", type=int, default=3, help="warm runs per analysis; the median is reported"
    )
    parser.add_argument("--keep", action="store_true", help="keep the store (it is large) in benchmarks/out/")
    parser.add_argument("--measure", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--build", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(args.measure[0], Path(args.measure[1]), args.repeat)
    elif args.build:
        _build(Path(args.build), args.rows, args.base)
    else:
        run(args.rows, args.base, args.repeat, args.keep)


if __name__ == "__main__":
    main()
