"""Run one benchmark step in this process and print its wall time and peak RSS as JSON."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from benchmarks.steps import STEPS


def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM, which starts afresh at exec. Not ru_maxrss: on Linux a child
    inherits its parent's, so a suite whose parent had built an input file would raise every step's floor."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere (macOS: bytes, not kB)


def main() -> None:
    name, rows = sys.argv[1], int(sys.argv[2])
    baseline = peak_rss_mb()
    _, fn = STEPS[name]
    started = time.perf_counter()
    measured = fn(rows)
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "baseline_rss_mb": baseline}
    if isinstance(measured, dict):  # a step that times its own warm repeats reports their median and p95
        result.update(measured)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
