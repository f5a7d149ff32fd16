"""lgs_core's layers hold (issue #17): import-linter's contracts in .importlinter pass, every module sits in a
layer, and the layer packages import nothing themselves (so `lgs --help` stays lazy: tests/app/test_analytics_cli.py).

The same `lint-imports` runs in .ci/run's static checks; this test makes the README's test command cover it.
"""

from __future__ import annotations

import configparser
import pkgutil
import subprocess
import sys
from pathlib import Path

import lgs_core

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ".importlinter"
# The modules beside the layer packages: the entry point and the base modules every layer may import.
BASE = {"lgs_core.errors", "lgs_core.sqlfiles", "lgs_core.glossary", "lgs_core.formats"}
TOP_LEVEL = {"lgs_core.__main__"} | BASE


def _layers() -> list[str]:
    config = configparser.ConfigParser()
    config.read(CONFIG, encoding="utf-8")
    lines = config["importlinter:contract:layers"]["layers"].split("\n")
    return [name.strip() for line in lines if line.strip() for name in line.split("|")]


def _modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(lgs_core.__path__, "lgs_core.")]


def test_import_contracts_hold() -> None:
    """`lint-imports` (the console script's own entry point, so no PATH is needed) keeps every contract."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout and "BROKEN" not in done.stdout, done.stdout
    assert done.stdout.count(" KEPT") == len(_sections()) >= 5, done.stdout  # every contract ran


def _sections() -> list[str]:
    config = configparser.ConfigParser()
    config.read(CONFIG, encoding="utf-8")
    return [s for s in config.sections() if s.startswith("importlinter:contract:")]


def test_every_module_is_in_a_layer() -> None:
    """A new module is placed in a layer package (so the contracts see it), not left flat in lgs_core/."""
    layers = _layers()
    modules = _modules()
    assert len(modules) > 40, modules  # the walk found the subpackages' modules, not just the top
    outside = [
        m for m in modules if m not in TOP_LEVEL and not any(m == x or m.startswith(x + ".") for x in layers)
    ]
    assert outside == [], f"modules in no layer of .importlinter: {outside}"
    assert set(layers) >= BASE


def test_layer_packages_import_nothing() -> None:
    """A layer package's __init__ is empty: importing one module of a layer loads no other (the CLI imports
    its command modules by name, lazily). lgs_core.cli's __init__ is the `lgs` parser itself (light)."""
    for layer in _layers():
        init = REPO / Path(*layer.split(".")) / "__init__.py"
        if layer == "lgs_core.cli" or layer in BASE:
            continue
        assert init.read_text(encoding="utf-8") == "", f"{init.relative_to(REPO)} should stay empty"
