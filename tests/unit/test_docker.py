"""The Dockerfile: installs from requirements.txt, runs the app on 8501, checks its health, never as root.

No Docker engine runs here: the file is read and linted (hadolint), and the health check's command is
compiled, so a typo in it fails here rather than in production.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    pairs = []
    for line in lines:
        word, _, rest = line.partition(" ")
        pairs.append((word.upper(), rest.strip()))
    return pairs


def _all(name: str) -> list[str]:
    return [args for word, args in _instructions() if word == name]


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"{args!r} is not the exec (JSON) form"
    return [str(v) for v in value]


def test_installs_the_pinned_requirements() -> None:
    copies = _all("COPY")
    runs = " ".join(_all("RUN"))
    assert any(c.split()[0] == "requirements.txt" for c in copies), "requirements.txt is copied on its own"
    assert "pip install" in runs and "-r requirements.txt" in runs
    assert "--no-cache-dir" in runs
    # requirements.txt is copied before the code, so a code change does not reinstall every package
    steps = [(w, a) for w, a in _instructions() if w in ("COPY", "RUN")]

    def copies_the_code(word: str, args: str) -> bool:
        sources = [a for a in args.split() if not a.startswith("--")][:-1]
        return word == "COPY" and "." in sources

    first_code_copy = next(i for i, (w, a) in enumerate(steps) if copies_the_code(w, a))
    install = next(i for i, (w, a) in enumerate(steps) if "-r requirements.txt" in a)
    assert install < first_code_copy


def test_runs_the_app_on_8501() -> None:
    cmd = _exec_form(_all("CMD")[-1])
    assert cmd[:3] == ["streamlit", "run", "streamlit_app.py"] or cmd[:5] == [
        "python",
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
    ]
    assert "--server.port=8501" in cmd or ["--server.port", "8501"] in [
        cmd[i : i + 2] for i in range(len(cmd))
    ]
    assert "--server.address=0.0.0.0" in cmd, "reachable from outside the container"
    assert "8501" in " ".join(_all("EXPOSE")).split()


def test_health_check_asks_streamlits_health_endpoint() -> None:
    checks = _all("HEALTHCHECK")
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD")
    assert "--interval" in options and "--timeout" in options
    assert "--start-period" in options, "a first start generates demo data: give it time"
    argv = _exec_form(command.strip())
    joined = " ".join(argv)
    assert "/_stcore/health" in joined and ":8501" in joined
    if argv[:2] == ["python", "-c"]:
        compile(argv[2], "<HEALTHCHECK>", "exec")  # the check's own code is valid Python


def test_runs_as_a_non_root_user() -> None:
    users = _all("USER")
    assert users, "no USER: the app would run as root"
    last = users[-1].split(":")[0]
    assert last not in ("root", "0")
    # the store's folder is the user's: the first start writes the demo data there
    env = " ".join(_all("ENV"))
    assert "LGS_DB=/data/" in env
    assert any("chown" in run and "/data" in run for run in _all("RUN"))


def test_the_image_holds_what_the_app_reads_at_run_time() -> None:
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ".streamlit/secrets.toml" in ignored, "secrets are mounted, never baked in"
    assert "*.duckdb" in ignored
    for needed in ("docs", "sql", "lgs_core", "pages", ".streamlit"):
        assert needed not in ignored, f"{needed}/ is read at run time"
    assert (REPO / "docs" / "DEFINITIONS.md").exists(), "the app quotes it under every chart"


def test_hadolint_is_clean() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint is not installed (pip install -r requirements-dev.txt)")
        pytest.skip("hadolint is not installed (pip install -r requirements-dev.txt)")
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_tells_how_to_run_it_in_docker() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docker build" in readme and "docker run" in readme
    run_line = next(line for line in readme.splitlines() if line.strip().startswith("docker run"))
    assert "8501:8501" in shlex.join(shlex.split(run_line.strip().rstrip("\\")))
