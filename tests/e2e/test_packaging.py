"""`pip install .` gives a working `lgs` (issue #17): the wheel holds every lgs_core module, the queries of sql/
and docs/DEFINITIONS.md, and the `lgs` it installs runs outside the checkout.

The wheel is built offline (no build isolation: the machine's setuptools and wheel, requirements-dev.txt) from a
copy of the checkout, installed with --no-deps into a fresh venv that sees the machine's packages for the
dependencies, and run from tmp_path with PYTHONPATH unset, so nothing of the checkout can stand in for it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
# What a build never reads: the tests, the history, caches, stores and what earlier builds left.
_NOT_BUILT = shutil.ignore_patterns(
    ".git", "tests", "benchmarks", "test-artifacts", "build", "dist", "*.egg-info", "__pycache__", ".venv",
    ".*_cache", "*.duckdb", "*.wal",
)  # fmt: skip


def _missing(reason: str) -> None:
    """Skip with the reason; under CI=true fail instead (CI installs requirements-dev.txt)."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (
        f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done.stdout


def _checkout_files() -> set[str]:
    """What the wheel must hold, by its path inside the wheel."""
    modules = {
        str(p.relative_to(REPO)) for p in (REPO / "lgs_core").rglob("*.py") if "__pycache__" not in p.parts
    }
    queries = {f"lgs_core/_sql/{p.relative_to(REPO / 'sql')}" for p in (REPO / "sql").rglob("*.sql")}
    return modules | queries | {"lgs_core/_docs/DEFINITIONS.md"}


def test_pip_install_gives_an_lgs_that_runs_outside_the_checkout(tmp_path: Path) -> None:
    if importlib.util.find_spec("setuptools") is None:
        _missing("setuptools is not installed: pip install -r requirements-dev.txt")
    if (
        importlib.util.find_spec("wheel") is None
        and importlib.util.find_spec("setuptools.command.bdist_wheel") is None
    ):
        _missing("no bdist_wheel (wheel, or setuptools >= 70.1): pip install -r requirements-dev.txt")
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=_NOT_BUILT)
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)], cwd=tmp_path)
    (wheel,) = dist.glob("lgs_explorer-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        held = set(archive.namelist())
    assert _checkout_files() - held == set()  # every module (subpackages too), query and the definitions

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], cwd=tmp_path)
    python, lgs = venv / "bin" / "python", venv / "bin" / "lgs"
    _run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], cwd=tmp_path)

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LGS_DB")}
    where = _run(
        [
            str(python),
            "-c",
            "import lgs_core, lgs_core.sqlfiles as s, lgs_core.glossary as a; "
            "print(lgs_core.__file__); print(s.SQL_DIR); print(a.DEFINITIONS_PATH); print(len(a.definitions()))",
        ],
        cwd=work,
        env=env,
    ).split("\n")
    site = venv.resolve()
    for found in where[:3]:  # the venv's copy ran, with its own queries and definitions, not the checkout's
        assert Path(found).resolve().is_relative_to(site) and not Path(found).resolve().is_relative_to(
            REPO
        ), where
    assert int(where[3]) > 20, "the installed definitions are read"

    store = work / "store.duckdb"
    made = _run([str(lgs), "demo", "--db", str(store), "--rows", "2000"], cwd=work, env=env)
    assert "2,000 lines written" in made
    table = _run([str(lgs), "monthly", "--db", str(store)], cwd=work, env=env).splitlines()
    assert table[0].split()[:5] == ["month", "invoices", "placed", "canceled", "sales"], table[:3]
    months = [line.split()[0] for line in table[2:]]
    assert months[0] == "2009-12" and len(months) > 12, table
