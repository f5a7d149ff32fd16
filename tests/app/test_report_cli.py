"""`lgs report` end to end on a real store: the files it writes, its exit codes (0 quiet, 3 flagged, 2 a user
error in one line), --json, --format, --weeks, --no-seasonal. Runs through `lgs` itself once cli.py wires the
command (``cli_report.add_commands``), through `lgs` itself (``lgs_core.cli.main``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures import report_data
from fixtures.report_data import EARLY_SPIKE_WEEK, SPIKE_WEEK, injected_store, lgs

from lgs_core.cli import report as cli_report


@pytest.fixture(scope="module")
def db() -> str:
    return str(injected_store())


@pytest.fixture(scope="module")
def quiet_sunday() -> str:
    return report_data.quiet_sunday()


@pytest.fixture(autouse=True)
def no_smtp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SMTP settings leak in from the machine (environment, ./ or ~/.streamlit/secrets.toml)."""
    for name in ("HOST", "PORT", "USER", "PASSWORD", "STARTTLS", "FROM", "CAFILE"):
        monkeypatch.delenv(f"LGS_SMTP_{name}", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)


def test_a_flagged_week_writes_three_files_and_exits_3(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    code, stdout, err = lgs(capsys, "report", "--db", db, "--as-of", "2011-05-22", "--out", str(out))
    assert code == cli_report.EXIT_FLAGGED == 3, err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["lgs-weekly-2011-W20.html", "lgs-weekly-2011-W20.json", "lgs-weekly-2011-W20.md"]
    body = json.loads((out / "lgs-weekly-2011-W20.json").read_text(encoding="utf-8"))
    assert body["flag_count"] >= 1 and body["week"]["start"] == SPIKE_WEEK.isoformat()
    assert "2011-W20" in stdout and "New customers" in stdout and "Germany" in stdout
    assert "<svg" in (out / "lgs-weekly-2011-W20.html").read_text(encoding="utf-8")
    assert err == ""


def test_a_quiet_week_exits_0(
    db: str, quiet_sunday: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, err = lgs(capsys, "report", "--db", db, "--as-of", quiet_sunday, "--out", str(tmp_path))
    assert code == 0, err
    assert "nothing unusual" in stdout


def test_default_week_format_json_and_weeks(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = lgs(
        capsys, "report", "--db", db, "--out", str(tmp_path), "--format", "md", "--weeks", "4", "--json"
    )
    body = json.loads(stdout)
    assert code == (3 if body["flag_count"] else 0)
    assert body["week"]["iso"] == "2011-W48" and len(body["weeks"]) == 4
    assert body["files"] == [str(tmp_path / "lgs-weekly-2011-W48.md")]
    assert body["email"] == {"to": [], "sent": False, "reason": "no --email-to"}
    assert [p.name for p in tmp_path.iterdir() if p.suffix in (".md", ".html", ".json")] == [
        "lgs-weekly-2011-W48.md"
    ]


def test_settings_change_the_verdict(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sunday = (EARLY_SPIKE_WEEK + timedelta(days=6)).isoformat()
    code, stdout, _ = lgs(capsys, "report", "--db", db, "--as-of", sunday, "--out", str(tmp_path))
    assert code == 0 and "watch: New customers" in stdout  # first year: no same week last year
    code, _, _ = lgs(capsys, "report", "--db", db, "--as-of", sunday, "--out", str(tmp_path), "--no-seasonal")
    assert code == 3
    code, _, _ = lgs(
        capsys,
        "report",
        *("--db", db, "--as-of", "2011-05-22", "--out", str(tmp_path)),
        *("--min-change", "new_customers=1000,orders=100000,sales=1e9"),
    )
    assert code == 0
    code, _, _ = lgs(
        capsys, "report", "--db", db, "--as-of", "2011-05-22", "--out", str(tmp_path), "--z", "50"
    )
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "2011-13-01"), "--as-of: '2011-13-01' is not a date"),
        (("--as-of", "2012-06-30"), "--as-of: the data ends on"),
        (("--format", "pdf"), "--format: unknown report format(s): pdf"),
        (("--min-change", "visitors=3"), "--min-change: 'visitors=3' is not METRIC=NUMBER"),
        (("--weeks", "0"), "--weeks: 0 weeks of history"),
        (("--z", "-1"), "--z: z threshold -1.0"),
        (("--country", "Atlantis"), "--country: no lines for 'Atlantis'"),
        (("--email-to", "not-an-address"), "--email-to: 'not-an-address' is not an email address"),
        (("--email-to", "ops@example.com"), "--email-to: no SMTP server configured"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "never"
    code, stdout, err = lgs(capsys, "report", "--db", db, "--out", str(out), *args)
    assert code == 2
    assert err.startswith(f"error: {message}") and err.count("\n") == 1, err
    assert stdout == "" and not out.exists()  # arguments are checked before any work


def test_a_missing_store_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = lgs(capsys, "report", "--db", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path))
    assert code == 2 and "no store yet" in err
