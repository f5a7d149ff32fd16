"""Segment maps as the Customer segments page edits them: a named map laid on a 3 × 3 or 4 × 4 grid, a custom
grid from the page's grid table and back, and the suggested cut points and thresholds for 3–5 scores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import polars as pl

from lgs_core.analyses.rfm import NAMED_MAPS, FixedCuts, SegmentMap
from lgs_core.errors import LgsError


def _to_five(score: int, bins: int) -> int:
    """A score on a 1..bins scale placed on the 1..5 scale of the named maps (1 → 1, bins → 5)."""
    return round(1 + (score - 1) * 4 / (bins - 1))


def scaled_map(base: SegmentMap, r_bins: int, x_bins: int) -> SegmentMap:
    """``base`` (a 5 × 5 map) laid on an r_bins × x_bins grid: each cell takes the segment of the 5 × 5 cell
    at the same relative position. ``base`` itself when the grid is 5 × 5."""
    if (r_bins, x_bins) == (base.r_bins, base.x_bins):
        return base
    lookup = base.lookup()
    grid = {
        f"{r}{x}": lookup[f"{_to_five(r, r_bins)}{_to_five(x, x_bins)}"]
        for r in range(1, r_bins + 1)
        for x in range(1, x_bins + 1)
    }
    built = SegmentMap.from_grid(
        grid, r_bins=r_bins, x_bins=x_bins, axis=base.axis, name=f"{base.name} on {r_bins}×{x_bins}"
    )
    order = tuple(s for s in base.segments if s in built.segments)
    return SegmentMap(built.name, built.axis, r_bins, x_bins, built.cells, order)


def segment_map_for(
    choice: str, r_bins: int = 5, x_bins: int = 5, grid: Mapping[str, str] | None = None
) -> SegmentMap:
    """The map the page's control chose: "classic10" or "rfm11" (laid on the grid's size when it is not
    5 × 5), or "custom" with ``grid`` {"RF": segment} as edited in the grid table."""
    if choice in NAMED_MAPS:
        return scaled_map(NAMED_MAPS[choice], r_bins, x_bins)
    if choice != "custom" or grid is None:
        raise LgsError(
            f"unknown segment map {choice!r}",
            where="segment map",
            todo="choose classic10, rfm11 or edit the grid",
        )
    return SegmentMap.from_grid(grid, r_bins=r_bins, x_bins=x_bins, name="custom grid")


def grid_table(segment_map: SegmentMap) -> pl.DataFrame:
    """The map as the page's grid editor shows it: one row per R score (highest first), a column per F
    (or FM) score, each cell its segment name."""
    lookup = segment_map.lookup()
    letter = "FM" if segment_map.axis == "fm" else "F"
    rows = [
        {"R": f"R={r}", **{f"{letter}={x}": lookup[f"{r}{x}"] for x in range(1, segment_map.x_bins + 1)}}
        for r in range(segment_map.r_bins, 0, -1)
    ]
    return pl.DataFrame(rows)


def grid_from_table(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The {"RF": segment} grid of an edited ``grid_table`` (its rows as dicts)."""
    grid: dict[str, str] = {}
    for row in rows:
        r = str(row.get("R", "")).removeprefix("R=")
        for column, value in row.items():
            found = re.fullmatch(r"F?M?=(\d)", str(column)) if column != "R" else None
            if found:
                grid[f"{r}{found[1]}"] = "" if value is None else str(value)
    return grid


# Suggested limits for 3–5 scores per dimension: (recency days, orders, pounds). Fixed cut points give a value
# equal to a cut point the lower score; thresholds in words include the limit (at least 10 orders: F 5).
_FIXED_CUTS = {
    5: ((30, 90, 180, 365), (1, 2, 5, 10), (100, 500, 1000, 5000)),
    4: ((30, 90, 365), (1, 3, 10), (250, 1000, 5000)),
    3: ((90, 365), (1, 5), (500, 5000)),
}
_THRESHOLDS = {
    5: ((30, 90, 180, 365), (2, 3, 5, 10), (100, 500, 1000, 5000)),
    4: ((30, 90, 365), (2, 5, 10), (250, 1000, 5000)),
    3: ((90, 365), (2, 5), (500, 5000)),
}


def _suggested(
    presets: Mapping[int, tuple[tuple[int, ...], ...]], scores: int, *, at_least: bool
) -> FixedCuts:
    if scores not in presets:
        raise LgsError(f"{scores} scores", where="scores per dimension", todo="choose 3, 4 or 5")
    r, f, m = (tuple(map(Decimal, limits)) for limits in presets[scores])
    return FixedCuts(r, f, m, at_least=at_least)


def default_fixed_cuts(scores: int = 5) -> FixedCuts:
    """Suggested fixed cut points for 3–5 scores per dimension (recency days, invoices, pounds)."""
    return _suggested(_FIXED_CUTS, scores, at_least=False)


def default_thresholds(scores: int = 5) -> FixedCuts:
    """Suggested thresholds in words for 3–5 scores: the last order within 30/90/180/365 days, at least
    2/3/5/10 orders, spent at least £100/£500/£1,000/£5,000 (each limit included)."""
    return _suggested(_THRESHOLDS, scores, at_least=True)
