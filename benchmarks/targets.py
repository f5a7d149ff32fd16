"""The targets the issues set (#2–#7), as the table's "target" and "met" columns (docs/benchmarks.md).

A target applies to the steps of a group, or to one step, at one size; it bounds one measured figure: the wall
time (median of the runs), the first (cold) run at 100M, the p95 over a step's warm repeats, the peak RSS, or,
for the engine's row of the pandas comparison, how many times faster than the notebook's pandas it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Metric = Literal["seconds", "first_seconds", "p95", "peak_rss_mb", "times_faster"]
GB = 1024


@dataclass(frozen=True)
class Target:
    rows: int
    metric: Metric
    limit: float
    issue: int
    group: str = ""  # every step of this group …
    step: str = ""  # … or this one step (exact name)

    def applies(self, row: dict[str, object]) -> bool:
        if row["rows"] != self.rows or self.metric not in row:
            return False
        return row["step"] == self.step if self.step else row["group"] == self.group

    def met(self, row: dict[str, object]) -> bool:
        value = float(row[self.metric])  # type: ignore[arg-type]
        return value >= self.limit if self.metric == "times_faster" else value < self.limit

    @property
    def text(self) -> str:
        if self.metric == "times_faster":
            return f"≥ {self.limit:.0f}× pandas"
        if self.metric == "peak_rss_mb":
            return f"RSS < {self.limit / GB:.1f} GB"
        label = {"p95": "p95 ", "first_seconds": "first run "}.get(self.metric, "")
        return f"{label}< {self.limit * 1000:.0f} ms" if self.limit < 1 else f"{label}< {self.limit:.0f} s"


M, M10, M100 = 1_000_000, 10_000_000, 100_000_000
TARGETS: tuple[Target, ...] = (
    Target(M, "seconds", 10, 2, step="demo generation into store"),
    Target(M, "seconds", 3, 2, step="CSV load"),
    Target(M, "peak_rss_mb", 1.5 * GB, 2, step="CSV load"),
    Target(M, "seconds", 20, 2, step="xlsx load"),
    Target(M, "peak_rss_mb", 1.5 * GB, 2, step="xlsx load"),
    Target(M, "seconds", 0.150, 3, group="engine"),
    Target(M10, "seconds", 1.0, 3, group="engine"),
    Target(M, "times_faster", 30, 3, step="all seed analyses, classic (engine)"),
    Target(M, "seconds", 2, 4, step="PostgreSQL full sync into a new store"),
    Target(M, "seconds", 0.5, 4, step="PostgreSQL incremental sync of 10k new lines"),
    Target(M, "p95", 0.150, 7, group="pages"),
    Target(M10, "p95", 1.0, 7, group="pages"),
    *(
        Target(M100, metric, limit, 7, step=name)
        for name, limit in (
            ("RFM standard (quintiles)", 10),
            ("RFM classic (quintiles)", 10),
            ("monthly (standard)", 5),
            ("monthly (classic)", 5),
        )
        for metric in ("seconds", "first_seconds")
    ),
    Target(M100, "peak_rss_mb", 8 * GB, 7, group="scale"),
)


def targets_of(row: dict[str, object]) -> list[Target]:
    return [t for t in TARGETS if t.applies(row)]


def verdict(row: dict[str, object]) -> tuple[str, str]:
    """The row's ("target", "met") cells: "" where no target applies; "yes" or "**no**" otherwise."""
    found = targets_of(row)
    if not found:
        return "", ""
    met = all(t.met(row) for t in found)
    return ", ".join(f"{t.text} (#{t.issue})" for t in found), "yes" if met else "**no**"
