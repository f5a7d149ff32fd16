"""The targets the issues set (#2–#7, #14), as the tables' "target" and "met" columns (docs/benchmarks.md).

A target applies to the steps of a group, or to one step, or to the steps whose name ends a certain way, at
one size; it bounds one measured figure: the wall time (median of the runs), the first (cold) run at 100M,
the p95 over a step's warm repeats, the peak RSS, for the engine's row of the pandas comparison how many
times faster than the notebook's pandas it is, or, in a real browser (#14), a click's median or p95 over the
median click of a one-button Streamlit app measured in the same run (the floor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Metric = Literal["seconds", "first_seconds", "p95", "peak_rss_mb", "times_faster", "x_floor", "x_floor_p95"]
GB = 1024


@dataclass(frozen=True)
class Target:
    rows: int
    metric: Metric
    limit: float
    issue: int
    group: str = ""  # every step of this group …
    step: str = ""  # … or this one step (exact name) …
    ending: str = ""  # … or the steps of the group whose name ends so
    at_most: bool = False  # the limit itself meets the target (≤, as #14 states them); else < limit

    def applies(self, row: dict[str, object]) -> bool:
        if row["rows"] != self.rows or self.metric not in row:
            return False
        if self.step:
            return row["step"] == self.step
        return row["group"] == self.group and str(row["step"]).endswith(self.ending)

    def met(self, row: dict[str, object]) -> bool:
        value = float(row[self.metric])  # type: ignore[arg-type]
        if self.metric == "times_faster":
            return value >= self.limit
        return value <= self.limit if self.at_most else value < self.limit

    @property
    def text(self) -> str:
        if self.metric == "times_faster":
            return f"≥ {self.limit:.0f}× pandas"
        if self.metric in ("x_floor", "x_floor_p95"):
            return f"{'p95 ' if self.metric == 'x_floor_p95' else ''}≤ {self.limit:g}× floor"
        if self.metric == "peak_rss_mb":
            return f"RSS < {self.limit / GB:.1f} GB"
        label = {"p95": "p95 ", "first_seconds": "first run "}.get(self.metric, "")
        sign = "≤" if self.at_most else "<"
        return (
            f"{label}{sign} {self.limit * 1000:.0f} ms"
            if self.limit < 1
            else f"{label}{sign} {self.limit:g} s"
        )


M, M10, M100 = 1_000_000, 10_000_000, 100_000_000
FIRST_PAINT = "first painted Overview on a new store, after the server is healthy"
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
    # #14: what a person waits for, in a real browser, over Streamlit's own floor measured in the same run.
    Target(M, "x_floor", 4, 14, group="browser", ending=": new filter state", at_most=True),
    Target(M, "x_floor_p95", 6, 14, group="browser", ending=": new filter state", at_most=True),
    Target(M, "x_floor", 2, 14, group="browser", ending=": same state again (cached)", at_most=True),
    Target(M10, "x_floor", 10, 14, group="browser", ending=": new filter state", at_most=True),
    Target(M, "seconds", 0.3, 14, step="lgs --help", at_most=True),
    Target(M, "seconds", 0.5, 14, step="lgs monthly", at_most=True),
    Target(M, "seconds", 3, 14, step=FIRST_PAINT, at_most=True),
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
