"""`lgs segment list|show|export|history` on a real store (tests/fixtures/segment_fixtures.py), through `lgs` itself."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.segment_fixtures import MARKETER_CUSTOMERS, make_segment_store

from lgs_core import cli
from lgs_core.analyses.saved_segments import SaveSegment, apply_change
from lgs_core.analyses.segment_rules import Condition, all_of
from lgs_core.store import store

NAME = "France, last order within 60 days, spent over £1,000"
RULE = all_of(
    Condition.make("country", "in", ["France"]),
    Condition.make("recency_days", "le", [60]),
    Condition.make("spend", "gt", ["1000"]),
)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "store.duckdb"
    con = make_segment_store(path)
    apply_change(con, SaveSegment(NAME, RULE))
    apply_change(con, SaveSegment("Everyone", all_of()))
    con.close()
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "segment", "list", "--db", db)
    assert code == 0
    assert out.splitlines()[0].startswith(
        "Everyone: every customer with a purchase in the date range (saved "
    )
    assert f"{NAME}: {RULE.label()}" in out
    code, out, _ = run(capsys, "segment", "list", "--db", db, "--json")
    body = json.loads(out)
    assert [s["name"] for s in body["segments"]] == ["Everyone", NAME]
    assert body["segments"][1]["rule"] == RULE.to_json()


def test_list_of_a_store_without_segments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.duckdb"
    make_segment_store(path).close()
    code, out, _ = run(capsys, "segment", "list", "--db", str(path))
    assert code == 0 and "no saved segments yet" in out


def test_show(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "segment", "show", "FRANCE, last order within 60 days, spent over £1,000", "--db", db
    )
    assert code == 0
    assert f"segment: {NAME}" in out and "customers: 3 (33.3% of 9)" in out and "revenue: £3,840.00" in out
    code, out, _ = run(capsys, "segment", "show", NAME, "--db", db, "--json", "--preset", "classic")
    body = json.loads(out)
    assert body["customers"] == 3 and body["preset"] == "classic" and body["reference_date"] == "2012-01-01"


def test_export_csv_with_its_manifest(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "france.csv"
    code, _, _ = run(capsys, "segment", "export", NAME, "--db", db, "--out", str(out_file))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert sorted(int(r["customer_id"]) for r in rows) == MARKETER_CUSTOMERS
    manifest = json.loads(out_file.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["segment"] == NAME and manifest["rows"] == 3
    code, _, _ = run(capsys, "segment", "export", NAME, "--db", db, "--out", str(tmp_path / "france.xlsx"))
    assert code == 0 and (tmp_path / "france.xlsx").read_bytes()[:2] == b"PK"
    code, out, _ = run(capsys, "segment", "export", NAME, "--db", db, "--json", "--country", "Germany")
    body = json.loads(out)
    assert body["count"] == 0 and body["customers"] == [] and body["window"]["countries"] == ["Germany"]


def test_history(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "segment", "history", NAME, "--db", db, "--json", "--start", "2011-09-01")
    assert code == 0
    months = json.loads(out)["months"]
    assert [m["month"] for m in months] == ["2011-09", "2011-10", "2011-11", "2011-12"]
    assert months[2]["customers"] == 4


@pytest.mark.parametrize(
    "argv",
    [
        ("segment", "show", "nope"),
        ("segment", "export", "nope", "--format", "csv"),
        ("segment", "export", NAME, "--start", "someday"),
        ("segment", "show", NAME, "--start", "2011-12-01", "--end", "2011-01-01"),
    ],
)
def test_problems_are_one_line_and_exit_2(
    db: str, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, _, err = run(capsys, *argv, "--db", db)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_a_hostile_country_matches_nobody(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "segment", "history", NAME, "--db", db, "--json", "--country", "'; drop table lines; --"
    )
    assert code == 0 and all(m["customers"] == 0 for m in json.loads(out)["months"])


def test_the_segment_commands_import_nothing_heavy_for_help() -> None:
    code = (
        "import sys, lgs_core.cli.saved_segments as m, argparse; "
        "p = argparse.ArgumentParser(); m.add_commands(p.add_subparsers()); "
        "print(sorted(x for x in ('polars', 'duckdb', 'sklearn', 'streamlit') if x in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "[]"


def test_the_store_is_only_read(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = Path(db).stat().st_mtime_ns
    run(capsys, "segment", "export", NAME, "--db", db, "--json")
    con = store.connect(db, read_only=True)
    con.close()
    assert Path(db).stat().st_mtime_ns == before
