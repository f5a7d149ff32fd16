"""The app uses Streamlit's public API only (issue #17): no private module, no private name.

A private module (``streamlit.runtime.*``, ``streamlit.web.*`` …) or name (``st._main``) changes without notice
between Streamlit releases; pages/_common.py once flipped ``streamlit.runtime.pages_manager.PagesManager`` to
leave the v1 ``pages/`` folder mode, and pages/_navigation.py now does it with ``st.navigation``. The scan reads
the source (AST), so an import inside a function or a ``try`` counts too.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

import pytest
import streamlit

REPO = Path(__file__).resolve().parents[2]
# Streamlit's documented modules besides ``streamlit`` itself (https://docs.streamlit.io/develop/api-reference).
PUBLIC_MODULES = frozenset(
    {"streamlit", "streamlit.testing.v1", "streamlit.components.v1", "streamlit.column_config"}
)


def _sources() -> list[Path]:
    files = sorted((REPO / "lgs_core").rglob("*.py")) + sorted((REPO / "pages").glob("*.py"))
    return [*files, REPO / "streamlit_app.py"]


def _public_module(name: str) -> bool:
    return name in PUBLIC_MODULES


def _dotted(node: ast.expr) -> list[str] | None:
    """``st.components.v1.html`` -> ["st", "components", "v1", "html"]; None for anything but names and dots."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_streamlit_uses(source: str) -> list[str]:
    """Each use of a private Streamlit module or name in ``source``, as "line N: what"."""
    tree = ast.parse(source)
    found: list[str] = []
    # The local names that stand for a streamlit module: `import streamlit as st` binds st -> "streamlit".
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "streamlit" or alias.name.startswith("streamlit."):
                    if not _public_module(alias.name):
                        found.append(f"line {node.lineno}: import {alias.name}")
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:  # `import streamlit.x` binds `streamlit`
                        bound["streamlit"] = "streamlit"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = node.module
            if module != "streamlit" and not module.startswith("streamlit."):
                continue
            if not _public_module(module):
                found.append(f"line {node.lineno}: from {module} import …")
                continue
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if _private(alias.name):
                    found.append(f"line {node.lineno}: from {module} import {alias.name}")
                elif (
                    isinstance(getattr(streamlit, alias.name, None), types.ModuleType)
                    and module == "streamlit"
                ):
                    if not any(m == full or m.startswith(full + ".") for m in PUBLIC_MODULES):
                        found.append(
                            f"line {node.lineno}: from streamlit import {alias.name} (a private module)"
                        )
                    else:
                        bound[alias.asname or alias.name] = full
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parts = _dotted(node)
        if parts is None or parts[0] not in bound:
            continue
        path = bound[parts[0]].split(".") + parts[1:]
        if any(_private(p) for p in path):
            found.append(f"line {node.lineno}: {'.'.join(parts)}")
            continue
        # A submodule reached by attribute (st.runtime.exists): allowed only within a public module.
        obj: object = streamlit
        for depth, name in enumerate(path[1:], start=2):
            obj = getattr(obj, name, None)
            if not isinstance(obj, types.ModuleType):
                break
            dotted = ".".join(path[:depth])
            if not any(m == dotted or m.startswith(dotted + ".") for m in PUBLIC_MODULES):
                found.append(f"line {node.lineno}: {'.'.join(parts)} (module {dotted})")
                break
    return sorted(set(found))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_the_app_uses_no_private_streamlit_module_or_name(path: Path) -> None:
    assert private_streamlit_uses(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "from streamlit.runtime.pages_manager import PagesManager",
        "def f():\n    try:\n        from streamlit.runtime.scriptrunner import get_script_run_ctx\n    except ImportError:\n        pass",
        "import streamlit.runtime.pages_manager",
        "import streamlit.web.server as server",
        "import streamlit as st\nst._main.empty()",
        "import streamlit as st\nst.sidebar._html('x')",
        "import streamlit as st\nst.runtime.exists()",
        "import streamlit\nstreamlit.runtime.get_instance()",
        "from streamlit import _bottom",
        "from streamlit import runtime",
        "from streamlit.testing.v1 import _something",
    ],
)
def test_the_scan_finds_a_private_use(source: str) -> None:
    assert private_streamlit_uses(source), source


@pytest.mark.parametrize(
    "source",
    [
        "import streamlit as st\nst.navigation([]).run()\nst.session_state['a'] = 1\nst.sidebar.button('x')",
        "import streamlit as st\nst.components.v1.html('<b>x</b>')\nst.column_config.NumberColumn('n')",
        "import streamlit.components.v1 as components\ncomponents.html('x')",
        "from streamlit.testing.v1 import AppTest",
        "from streamlit import column_config",
        "import streamlit as st\nprint(st.__version__)",
        "import polars as pl\npl._private_thing",
    ],
)
def test_the_scan_lets_public_uses_pass(source: str) -> None:
    assert private_streamlit_uses(source) == []
