"""The benchmark suite's table (issue #7): each row's target from the issues, whether it is met, and the
pandas ratio, as docs/benchmarks.md shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import add_pandas_ratio, table
from benchmarks.targets import verdict


def _row(group: str, step: str, rows: int, seconds: float, **more: float) -> dict[str, object]:
    return {"group": group, "step": step, "rows": rows, "seconds": seconds, "peak_rss_mb": 300.0, **more}


def test_a_row_over_its_target_is_marked_missed() -> None:
    fast = _row("engine", "monthly (classic)", 1_000_000, 0.030, p95=0.040)
    slow = _row("engine", "monthly (classic)", 10_000_000, 1.2, p95=1.5)
    assert verdict(fast) == ("< 150 ms (#3)", "yes")
    assert verdict(slow) == ("< 1 s (#3)", "**no**")
    assert verdict(_row("report", "weekly report (build + HTML)", 1_000_000, 0.5)) == ("", "")


def test_pages_are_judged_on_their_p95() -> None:
    page = _row("pages", "Orders: one filter change", 10_000_000, 0.3, p95=1.003)
    assert verdict(page) == ("p95 < 1 s (#7)", "**no**")


def test_at_100m_the_cold_first_run_counts_too() -> None:
    warm_only = _row("scale", "monthly (classic)", 100_000_000, 3.1, first_seconds=5.2)
    target, met = verdict(warm_only)
    assert "first run < 5 s" in target and "RSS < 8.0 GB" in target and met == "**no**"


def test_the_pandas_ratio_is_a_column_judged_against_30x() -> None:
    rows = [
        _row("vs pandas", "all seed analyses, classic (engine)", 1_000_000, 0.080),
        _row("vs pandas", "all seed analyses, the notebook's pandas", 1_000_000, 0.600),
    ]
    add_pandas_ratio(rows)
    assert rows[0]["times_faster"] == 0.600 / 0.080
    rendered = table(rows)
    assert "| 7.5× | ≥ 30× pandas (#3) | **no** |" in rendered[2]
    assert "| 1.0× |  |  |" in rendered[3]


def test_a_partial_run_replaces_its_rows_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import benchmarks.__main__ as suite

    earlier = [
        _row("engine", "monthly (classic)", 1_000_000, 0.030),
        _row("pages", "Orders: one filter change", 1_000_000, 0.05, p95=0.08),
        _row("engine", "monthly (classic)", 10_000_000, 0.2),
    ]
    (tmp_path / "benchmarks.json").write_text(
        json.dumps({"command": "python -m benchmarks --sizes 1000000,10000000", "results": earlier})
    )
    monkeypatch.setattr(suite, "DOCS", tmp_path)
    again = _row("pages", "Orders: one filter change", 1_000_000, 0.04, p95=0.06)
    added = _row("pages", "Deeper segments, cohorts tab: one filter change", 1_000_000, 0.03, p95=0.05)
    rows = suite.merged([again, added])
    assert [(r["step"], r["rows"]) for r in rows] == [
        ("monthly (classic)", 1_000_000),
        ("Orders: one filter change", 1_000_000),
        ("Deeper segments, cohorts tab: one filter change", 1_000_000),
        ("monthly (classic)", 10_000_000),
    ]
    assert rows[1]["p95"] == 0.06
    assert suite.previous_command() == "python -m benchmarks --sizes 1000000,10000000"
