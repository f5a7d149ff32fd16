"""Run one benchmark step in this process and print its wall time and peak RSS as JSON."""

from __future__ import annotations

import json
import resource
import sys
import time

from benchmarks.steps import STEPS


def main() -> None:
    name, rows = sys.argv[1], int(sys.argv[2])
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _, fn = STEPS[name]
    started = time.perf_counter()
    measured = fn(rows)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "baseline_rss_mb": baseline_kb / 1024}
    if isinstance(measured, dict):  # a step that times its own warm repeats reports their median and p95
        result.update(measured)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
