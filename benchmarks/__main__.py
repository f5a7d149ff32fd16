"""`python -m benchmarks [--quick] [--sizes 1000000,10000000] [--only SUBSTRING]`.

Each step runs in a fresh process (inputs prepared beforehand and not timed); wall time is the median of
--repeat runs. Writes docs/benchmarks.md (a Markdown table with the machine) and docs/benchmarks.json.
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

from benchmarks.steps import MAX_ROWS, PREPARE, STEPS, cleanup

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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "--quick", action="store_true", help="a small run (100k lines) to check the suite works"
    )
    parser.add_argument("--sizes", default="1000000", help="comma-separated line counts (default 1,000,000)")
    parser.add_argument("--only", default="", help="run only steps whose name contains this")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the median is reported")
    parser.add_argument("--no-write", action="store_true", help="print, but do not rewrite docs/benchmarks.*")
    args = parser.parse_args()
    sizes = [100_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else args.repeat
    rows_out = []
    for rows in sizes:
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
            row = {"group": group, "step": name, "rows": rows, "seconds": seconds, "peak_rss_mb": peak}
            if "p95" in runs[0]:
                row["p95"] = max(r["p95"] for r in runs)
            rows_out.append(row)
            print(f"{group:<12} {name:<40} {rows:>12,} {seconds:>9.3f} s {peak:>9.0f} MB", flush=True)
    cleanup()
    if args.no_write:
        return
    DOCS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    (DOCS / "benchmarks.json").write_text(
        json.dumps({"machine": machine(), "when": stamp, "results": rows_out}, indent=2)
    )
    lines = [
        "# Benchmarks",
        "",
        f"Regenerate with `python -m benchmarks --sizes {args.sizes}` (this table was written {stamp}).",
        f"Machine: {machine()}.",
        "Each step runs in a fresh process; wall time is the median of the runs; peak RSS is the process's maximum",
        "resident set (interpreter and imports included).",
        "",
        "Engine steps time warm repeats on an open store (median, and p95 over the repeats).",
        "",
        "| group | step | lines | wall time (s) | p95 (s) | peak RSS (MB) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows_out:
        p95 = f"{r['p95']:.3f}" if "p95" in r else ""
        lines.append(
            f"| {r['group']} | {r['step']} | {r['rows']:,} | {r['seconds']:.3f} | {p95} | {r['peak_rss_mb']:.0f} |"
        )
    for rows in sizes:
        ours = [r for r in rows_out if r["rows"] == rows and r["step"].endswith("(engine)")]
        theirs = [r for r in rows_out if r["rows"] == rows and r["step"].endswith("pandas")]
        if ours and theirs:
            ratio = theirs[0]["seconds"] / ours[0]["seconds"]
            lines.append("")
            lines.append(
                f"All seed analyses at {rows:,} lines: the engine is **{ratio:.0f}×** faster than the notebook's "
                f"pandas ({ours[0]['seconds']:.3f} s against {theirs[0]['seconds']:.3f} s)."
            )
    notes = DOCS / "benchmarks_notes.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    (DOCS / "benchmarks.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
