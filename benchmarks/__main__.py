"""`python -m benchmarks [--quick] [--sizes 1000000,10000000,100000000] [--only SUBSTRING]`.

Each step runs in a fresh process (inputs prepared beforehand and not timed); wall time is the median of
--repeat runs. A size beyond what the demo generator makes (lgs_core.sources.demo.MAX_ROWS) is the scale run
(benchmarks.scale: demo lines replicated inside DuckDB; store size, RFM, monthly). At each demo size the
browser step (benchmarks.browser, issue #14) then clicks the running app in Chromium against a one-button
Streamlit app in the same run, and up to 1M lines the first start on a new store is timed. Writes
docs/benchmarks.md (Markdown tables with the machine, each row's target from the issues and whether it is
met) and docs/benchmarks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from benchmarks.steps import CLI_RUNS, MAX_ROWS, PREPARE, STEPS, cleanup
from benchmarks.targets import FIRST_PAINT, verdict

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def run_step(name: str, rows: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.step", name, str(rows)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark step {name!r} at {rows:,} lines failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def scale_rows(rows: int, repeat: int) -> list[dict[str, object]]:
    """The scale run at ``rows`` lines as table rows: generation (with the store's size) and each analysis."""
    from benchmarks import scale

    measured = scale.run(rows, scale.BASE, repeat)
    build = measured["build"]
    facts = measured["facts"]
    results = measured["results"]
    assert isinstance(build, dict) and isinstance(facts, dict) and isinstance(results, dict)
    gb = int(facts["bytes"]) / 1024**3
    generated = {
        "group": "scale",
        "step": f"{scale.BASE:,} demo lines ×{rows // scale.BASE} in DuckDB + summaries (store {gb:.2f} GB on disk)",
        "rows": rows,
        "seconds": build["seconds"],
        "peak_rss_mb": build["peak_rss_mb"],
        "store_bytes": facts["bytes"],
    }
    analyses = [
        {
            "group": "scale",
            "step": name,
            "rows": rows,
            "seconds": r["seconds"],
            "first_seconds": r["first_seconds"],
            "peak_rss_mb": r["peak_rss_mb"],
        }
        for name, r in results.items()
    ]
    return [generated, *analyses]


def add_pandas_ratio(rows_out: list[dict[str, object]]) -> None:
    """``times_faster`` on each engine row of the pandas comparison: pandas' time over the engine's."""
    for ours in rows_out:
        if ours["group"] != "vs pandas" or not str(ours["step"]).endswith("(engine)"):
            continue
        theirs = [
            r
            for r in rows_out
            if r["rows"] == ours["rows"] and r["group"] == "vs pandas" and str(r["step"]).endswith("pandas")
        ]
        if theirs:
            ours["times_faster"] = float(theirs[0]["seconds"]) / float(ours["seconds"])  # type: ignore[arg-type]
            theirs[0]["times_faster"] = 1.0


# Groups with a table of their own (issue #14): what a person waits for, not a call's time in one process.
BROWSER_STEP = "browser: clicks in Chromium over a one-button Streamlit app (the floor)"
OWN_TABLES = ("browser", "start", "cli", "server")


def _cell(row: dict[str, object], key: str, fmt: str = "{:.3f}") -> str:
    return fmt.format(row[key]) if row.get(key) not in (None, "") else ""


def browser_table(rows_out: list[dict[str, object]]) -> list[str]:
    lines = [
        "| step | lines | median (s) | p95 (s) | median × floor | p95 × floor | median × default floor | clicks "
        "| server RSS (MB) | load (1 min, before → after) | target (issue) | met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in (r for r in rows_out if r["group"] == "browser"):
        target, met = verdict(r)
        lines.append(
            f"| {r['step']} | {r['rows']:,} | {_cell(r, 'seconds')} | {_cell(r, 'p95')} | "
            f"{_cell(r, 'x_floor', '{:.1f}×')} | {_cell(r, 'x_floor_p95', '{:.1f}×')} | "
            f"{_cell(r, 'x_default_floor', '{:.1f}×')} | {r.get('clicks', '')} | "
            f"{_cell(r, 'peak_rss_mb', '{:.0f}')} | {r.get('load', '')} | {target} | {met} |"
        )
    return lines


def start_and_cli_table(rows_out: list[dict[str, object]]) -> list[str]:
    lines = [
        "| step | lines | median (s) | slowest (s) | server healthy after (s) | target (issue) | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in (r for r in rows_out if r["group"] in ("start", "cli")):
        target, met = verdict(r)
        lines.append(
            f"| {r['step']} | {r['rows']:,} | {_cell(r, 'seconds')} | {_cell(r, 'p95')} | "
            f"{_cell(r, 'health_seconds')} | {target} | {met} |"
        )
    return lines


def server_table(rows_out: list[dict[str, object]]) -> list[str]:
    lines = ["| step | lines | median (s) | p95 (s) | peak RSS (MB) |", "|---|---|---:|---:|---:|"]
    for r in (r for r in rows_out if r["group"] == "server"):
        lines.append(
            f"| {r['step']} | {r['rows']:,} | {_cell(r, 'seconds')} | {_cell(r, 'p95')} | "
            f"{_cell(r, 'peak_rss_mb', '{:.0f}')} |"
        )
    return lines


def table(rows_out: list[dict[str, object]]) -> list[str]:
    rows_out = [r for r in rows_out if r["group"] not in OWN_TABLES]
    lines = [
        "| group | step | lines | wall time (s) | p95 (s) | first run (s) | peak RSS (MB) | × pandas | target (issue) | met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows_out:
        cells = [
            f"{r[key]:.3f}" if key in r else ""  # type: ignore[str-format]
            for key in ("seconds", "p95", "first_seconds")
        ]
        ratio = f"{r['times_faster']:.1f}×" if "times_faster" in r else ""
        target, met = verdict(r)
        lines.append(
            f"| {r['group']} | {r['step']} | {r['rows']:,} | {' | '.join(cells)} | {r['peak_rss_mb']:.0f} | "
            f"{ratio} | {target} | {met} |"
        )
    return lines


def _previous() -> dict[str, object]:
    path = DOCS / "benchmarks.json"
    return json.loads(path.read_text()) if path.exists() else {}


def previous_command() -> str:
    return str(_previous().get("command", "python -m benchmarks --sizes 1000000,10000000,100000000"))


def merged(new_rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The last written table's rows with ``new_rows`` in place of the rows of the same (step, lines); a new
    row (a step added since) goes after the last row of its group at its size, else at the end."""
    rows: list[dict[str, object]] = list(_previous().get("results", []))  # type: ignore[call-overload]
    for new in new_rows:
        same = [i for i, r in enumerate(rows) if (r["step"], r["rows"]) == (new["step"], new["rows"])]
        if same:
            rows[same[0]] = new
            continue
        group = [i for i, r in enumerate(rows) if (r["group"], r["rows"]) == (new["group"], new["rows"])]
        rows.insert(group[-1] + 1 if group else len(rows), new)
    return rows


def main() -> None:
    from lgs_core.sources.demo import MAX_ROWS as DEMO_MAX_ROWS

    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "--quick", action="store_true", help="a small run (100k lines) to check the suite works"
    )
    parser.add_argument(
        "--sizes",
        default="1000000",
        help="comma-separated line counts (default 1,000,000); beyond 15M: the scale run (e.g. 100000000)",
    )
    parser.add_argument("--only", default="", help="run only steps whose name contains this")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the median is reported")
    parser.add_argument("--no-write", action="store_true", help="print, but do not rewrite docs/benchmarks.*")
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: rewrite docs/benchmarks.md from docs/benchmarks.json and the notes",
    )
    args = parser.parse_args()
    if args.render:
        write_markdown(_previous())
        return
    sizes = [100_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat
    rows_out: list[dict[str, object]] = []
    for rows in sizes:
        if rows > DEMO_MAX_ROWS:
            if not args.only or args.only == "scale":
                rows_out += scale_rows(rows, repeat)
            continue
        for name, (group, _) in STEPS.items():
            if args.only and args.only not in name:
                continue
            if rows > MAX_ROWS.get(name, rows):
                continue
            if name in PREPARE:
                PREPARE[name](rows)
            runs = [run_step(name, rows) for _ in range(repeat)]
            seconds = statistics.median(r["seconds"] for r in runs)
            peak = max(r["peak_rss_mb"] for r in runs)
            row: dict[str, object] = {
                "group": group,
                "step": name,
                "rows": rows,
                "seconds": seconds,
                "peak_rss_mb": peak,
            }
            if "p95" in runs[0]:
                row["p95"] = max(r["p95"] for r in runs)
            rows_out.append(row)
            print(f"{group:<12} {name:<40} {rows:>12,} {seconds:>9.3f} s {peak:>9.0f} MB", flush=True)
        if not args.only or args.only in BROWSER_STEP:
            from benchmarks import browser

            rows_out += browser.rows_of(rows, browser.measure(rows))
        if rows <= 1_000_000 and (not args.only or args.only in FIRST_PAINT):
            from benchmarks import browser

            rows_out.append(browser.first_paint_row(rows, max(repeat, 3) if not args.quick else 1))
            print(f"start        {FIRST_PAINT} {rows:>12,} {rows_out[-1]['seconds']:>9.3f} s", flush=True)
    cleanup()
    add_pandas_ratio(rows_out)
    if args.no_write:
        for render in (table, browser_table, start_and_cli_table, server_table):
            print("\n".join(render(rows_out)) + "\n")
        return
    DOCS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    command = "python -m benchmarks --quick" if args.quick else f"python -m benchmarks --sizes {args.sizes}"
    data: dict[str, object] = {
        "machine": machine(),
        "when": stamp,
        "load_before": LOAD_BEFORE,
        "partials": [],
        "command": command,
    }
    if args.only:  # a partial run replaces its own rows in the last full table and keeps the rest
        previous = _previous()
        rows_out = merged(rows_out)
        data = {
            **data,
            **{k: previous[k] for k in ("machine", "when", "load_before", "command") if k in previous},
            "partials": [*previous.get("partials", []), f"steps matching {args.only!r} at {stamp}"],  # type: ignore[list-item]
        }
    for r in rows_out:
        r["target"], r["met"] = verdict(r)
    data["results"] = rows_out
    (DOCS / "benchmarks.json").write_text(json.dumps(data, indent=2))
    write_markdown(data)


def write_markdown(data: dict[str, object]) -> None:
    """docs/benchmarks.md from what docs/benchmarks.json holds, with docs/benchmarks_notes.md under the table."""
    rows_out: list[dict[str, object]] = data["results"]  # type: ignore[assignment]
    partials: list[str] = data.get("partials") or []  # type: ignore[assignment]
    lines = [
        "# Benchmarks",
        "",
        f"Regenerate with `{data['command']}` (this table was written {data['when']}; load average before the "
        f"run: {data.get('load_before', '?')})."
        + (f" Re-measured later with `--only`: {'; '.join(partials)}." if partials else ""),
        f"Machine: {data['machine']}.",
        "Each step runs in a fresh process; wall time is the median of the runs; peak RSS is the process's maximum",
        "resident set (interpreter and imports included). Engine and page steps time warm repeats on an open store",
        "(median, and p95 over the repeats). At 100M lines (the scale group, [benchmarks_100m.md](benchmarks_100m.md))",
        "the first run is cold (the store just opened) and the wall time is the median of the warm runs after it.",
        "× pandas: the notebook's pandas time over the engine's, for all seed analyses on the same lines.",
        "",
        *table(rows_out),
    ]
    missed = [r for r in rows_out if r["met"] == "**no**"]
    lines += [
        "",
        "## What a person waits for (issue #14)",
        "",
        "A real Chromium (Playwright, Debian's chromium) clicks the running app (`streamlit run streamlit_app.py`",
        "on a copy of the demo store) and, in the same run, a one-button Streamlit app: the floor, what any click",
        "costs in Streamlit on this machine (the floor's median is the unit of the × columns). A click is timed in",
        "the page from `click()` until the script state is back to notRunning, no element is stale and the page",
        "shows the run's result. Per page, a fresh session opens it (its tab for Deeper segments), then 5 clicks in",
        "the sidebar to filter states it has not computed (products only, 2010, all lines, the last 12 months —",
        "2009 for the Weekly report, which judges the week the range ends on —, products only), then the same 5",
        "states again (cached). For a slow tab that computes beside the page, *result drawn* is when its figures",
        'replaced its "computing…" line. Load: the machine\'s 1-minute load average before and after the step.',
        "",
        *browser_table(rows_out),
        "",
        "## Start-up and the command line (issue #14)",
        "",
        "The first start: `streamlit run streamlit_app.py` on a store that does not exist (LGS_DEMO_ROWS lines);",
        "a browser asks for the Overview as soon as the server's health answers; timed until its KPI cards are",
        "drawn and the run has finished. The CLI: `python -m lgs_core …` as a whole process (a new interpreter,",
        f"imports included), {CLI_RUNS} runs, on the warm demo store of that size.",
        "",
        *start_and_cli_table(rows_out),
        "",
        "## A cached rerun's server time (issue #14)",
        "",
        "The page's script run alone (Streamlit's AppTest, through streamlit_app.py: navigation and sidebar),",
        "rerun unchanged 15 times after a first run filled the caches: what a page repeats on every rerun.",
        "",
        *server_table(rows_out),
    ]
    lines += [
        "",
        f"Targets: {sum(1 for r in rows_out if r['met'] == 'yes')} rows met, {len(missed)} missed"
        + (": " + "; ".join(f"{r['step']} at {r['rows']:,}" for r in missed) if missed else "")
        + " (each miss is explained, with its profile, in the notes below).",
    ]
    notes = DOCS / "benchmarks_notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    (DOCS / "benchmarks.md").write_text("\n".join(lines) + "\n")


LOAD_BEFORE = "{:.1f}, {:.1f}, {:.1f}".format(*os.getloadavg())


if __name__ == "__main__":
    main()
