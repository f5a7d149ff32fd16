"""Every page and tab gets its data through one cached call of its page model (issue #17), and the benchmark
calls those same page models.

Read from the source (AST), so a page that opens its own connection, keeps its own cache or calls an analysis
on a connection of its own fails here, naming the page and the line.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "pages"
# The shared module holds the one mechanism (pages/_common.model); _access reads who may sign in (before any
# page model exists for the visitor); _navigation draws no data.
MECHANISM = {"_common.py", "_access.py", "_navigation.py"}
CALLS = {"page_model", "tab_model", "beside_model", "start_beside", "model"}
# Page models no benchmark step times, and why.
NOT_BENCHMARKED = {
    "data.data_status": "the Data page's store facts (a few small queries, no figure)",
    "reports.weeks": "the report's week choices (two dates)",
    "reports.weekly_report": "timed as 'weekly report (build + HTML)', which calls lgs_core.report directly",
    "saved_segments.saved": "the saved segments' list (one small table)",
    "saved_segments.rfm_frame": "built only for a rule with an RFM condition; its RFM is timed on its own",
    "saved_segments.value_frame": "built only for a rule with a value-tier condition; the CLV tab times the fit",
    "saved_segments.migration": "the Over time tab's two-date comparison, after the months (timed)",
    "saved_segments.migration_dates": "two dates",
    "deeper_segments.calibration": "started beside the lifetime-value tab; the tab's fit is timed",
}


def _page_files() -> list[Path]:
    return sorted(p for p in PAGES.glob("*.py") if p.name not in MECHANISM)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _model_aliases(tree: ast.Module) -> dict[str, str]:
    """{local name: page-model module} for ``from lgs_core.app import overview as overview_model``."""
    return {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "lgs_core.app"
        for alias in node.names
    }


def _models_called(path: Path) -> set[str]:
    """The page models a page passes to pages/_common's one call: {"overview.overview", …}."""
    tree = ast.parse(path.read_text())
    aliases = _model_aliases(tree)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func).removeprefix("_common.") in CALLS:
            model = next((a for a in node.args if isinstance(a, ast.Attribute)), None)
            if model is not None and isinstance(model.value, ast.Name) and model.value.id in aliases:
                found.add(f"{aliases[model.value.id]}.{model.attr}")
    return found


def test_no_page_opens_a_connection_or_keeps_a_cache_of_its_own() -> None:
    offences = []
    for path in _page_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = _dotted(node.func)
                if name.endswith(("store.connect", "duckdb.connect")) or name in (
                    "st.cache_data",
                    "st.cache_resource",
                ):
                    offences.append(f"{path.name}:{node.lineno}: {name}(…)")
            if isinstance(node, ast.FunctionDef):
                for deco in node.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    if _dotted(target) in ("st.cache_data", "st.cache_resource"):
                        offences.append(f"{path.name}:{node.lineno}: @{_dotted(target)} on {node.name}")
    assert not offences, (
        "pages get their data through pages/_common's page_model/tab_model/beside_model:\n"
        + "\n".join(offences)
    )


def test_no_page_calls_an_analysis_on_a_connection() -> None:
    """An analysis takes a connection first; a page has none (it passes the page model to _common instead)."""
    offences = []
    for path in _page_files():
        for node in ast.walk(ast.parse(path.read_text())):
            first = node.args[0] if isinstance(node, ast.Call) and node.args else None
            if (
                isinstance(node, ast.Call)
                and isinstance(first, ast.Name)
                and first.id in ("con", "connection")
            ):
                offences.append(f"{path.name}:{node.lineno}: {_dotted(node.func)}(con, …)")
    assert not offences, "\n".join(offences)


def test_every_page_with_data_calls_its_page_models() -> None:
    called = {path.name: _models_called(path) for path in _page_files()}
    for page in ("overview.py", "orders.py", "segments.py", "data.py", "reports.py", "deeper_segments.py"):
        module = page.removesuffix(".py")
        assert any(m.startswith(f"{module}.") for m in called[page]), (
            f"{page} calls no model of lgs_core.app.{module}"
        )
    assert {
        "deeper_segments.cohort_retention",
        "deeper_segments.segment_migration",
        "deeper_segments.customer_value",
        "deeper_segments.product_affinity",
    } <= called["deeper_segments.py"], "each Deeper segments tab gets its data through its page model"


def test_the_benchmark_times_the_page_models_the_pages_call() -> None:
    """benchmarks/steps.py calls the same lgs_core.app models the pages pass to _common (not a re-statement of
    the pages' calls), except the few listed with why."""
    steps = ast.parse((REPO / "benchmarks" / "steps.py").read_text())
    aliases = _model_aliases(steps)
    timed = {
        f"{aliases[node.value.id]}.{node.attr}"
        for node in ast.walk(steps)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
    }
    pages = set().union(*(_models_called(p) for p in _page_files()))
    assert len(pages) >= 15, sorted(pages)  # the scan finds the pages' calls (it would pass on none)
    missing = sorted(pages - timed - set(NOT_BENCHMARKED))
    assert not missing, f"page models no benchmark step calls: {missing}"
    stale = sorted(set(NOT_BENCHMARKED) - pages)
    assert not stale, f"NOT_BENCHMARKED lists models no page calls: {stale}"
