"""The analysis commands of the CLI (monthly, weekly, invoices, rfm) on a real store, through `lgs` itself."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from lgs_core import cli
from lgs_core.cli import engine as cli_engine
from lgs_core.sources.ingest import load_file

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = SHARED_DATA / "online_retail_II_sample.csv"
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real sample missing at {path}: CI must have ../shared/data beside the clone")
        pytest.skip(f"real sample not found at ../shared/data (a user's clone): {path}")
    db = tmp_path_factory.mktemp("cli") / "store.duckdb"
    load_file(path, db=db)
    yield str(db)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _two_decimals(x: float) -> bool:
    return round(x, 2) == x


def test_monthly_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "monthly", "--db", db, "--json", "--preset", "classic")
    assert code == 0
    body = json.loads(out)
    assert body["preset"] == "classic" and body["window"]["start"] is None
    months = body["months"]
    assert months[0]["month"] == "2009-12" and months[-1]["month"] == "2011-12"
    assert set(months[0]) == {"month", "invoices", "placed", "canceled", "sales", "growth_pct"} | {
        "active_customers",
        "new_customers",
        "existing_customers",
    }
    assert all(_two_decimals(m["sales"]) for m in months)
    assert months[0]["growth_pct"] is None


def test_weekly_csv_with_a_window(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "weekly", "--db", db, "--format", "csv", "--start", "2011-01-01", "--end", "2011-03-31",
        "--country", "France", "--country", "Spain", "--products-only",
    )  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["week_start"] == "2011-01-03" and rows[0]["iso_week"] == "1"  # 1–2 Jan: a weekend
    assert rows[-1]["week_start"] == "2011-03-28"


def test_invoices_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "invoices", "--db", db, "--json", "--histogram", "10")
    assert code == 0
    body = json.loads(out)
    for key in ("positive", "trimmed_85"):
        assert set(body[key]) == {"count", "min", "max", "median", "mean", "mode"}
        assert all(_two_decimals(v) for k, v in body[key].items() if k != "count")
    assert body["positive"]["count"] > body["trimmed_85"]["count"] > 0
    assert sum(b["invoices"] for b in body["histogram"]["positive"]) == body["positive"]["count"]


def test_tables(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "invoices", "--db", db)
    assert code == 0 and out.splitlines()[0].split()[:2] == ["invoices", "count"]
    code, out, _ = run(capsys, "rfm", "--db", db, "--summary", "--segments", "rfm11")
    assert code == 0 and "Champions" in out and "Lost" in out
    code, out, _ = run(capsys, "monthly", "--db", db, "--start", "2020-01-01")
    assert code == 0 and "no rows" in out


def test_rfm_json_and_explain(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "rfm", "--db", db, "--json", "--cuts", "r=30,90,180,365;f=1,2,5,10;m=100,500,1000,5000"
    )
    assert code == 0
    body = json.loads(out)
    assert body["parameters"]["scoring"] == "fixed" and body["reference_date"] == "2011-12-10"
    first = body["customers"][0]
    assert set(first) >= {
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r",
        "f",
        "m",
        "rfm",
        "segment",
    }
    assert _two_decimals(first["monetary"])
    code, out, _ = run(capsys, "rfm", "--db", db, "--summary", "--json", "--preset", "classic")
    segments = json.loads(out)["segments"]
    assert sum(s["customers"] for s in segments) == 260
    code, out, _ = run(capsys, "rfm", "--db", db, "--explain", "12349", "--preset", "classic")
    assert code == 0 and out.splitlines()[-1] == "segment: cell 43 of classic10 → Potential Loyalists"


def test_rfm_exports_with_manifest(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_csv = tmp_path / "champions.csv"
    code, _, _ = run(capsys, "rfm", "--db", db, "--out", str(out_csv), "--country", "France")
    assert code == 0
    manifest = json.loads(out_csv.with_suffix(".manifest.json").read_text())
    assert manifest["window"]["countries"] == ["France"]
    assert manifest["rows"] == len(out_csv.read_text().splitlines()) - 1
    assert manifest["data_version"].startswith("v")
    out_xlsx = tmp_path / "segments.xlsx"
    code, _, _ = run(capsys, "rfm", "--db", db, "--summary", "--out", str(out_xlsx))
    assert code == 0
    assert list(pl.read_excel(out_xlsx, sheet_id=0)) == ["segments", "manifest"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["monthly", "--start", "2011-13-01"], "--start: '2011-13-01' is not a date"),
        (["weekly", "--start", "2011-02-01", "--end", "2011-01-01"], "before it starts"),
        (["rfm", "--cuts", "r=30,90"], "no cut points for frequency, monetary"),
        (["rfm", "--bins", "3"], "3×3 grid"),
        (["rfm", "--segments", "nowhere.json"], "no segment map named"),
        (["rfm", "--reference-date", "2010-01-01"], "before the last purchase"),
        (["rfm", "--explain", "1"], "customer 1 has no purchase"),
        (["monthly", "--out", "x.xlsx"], "rfm only"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv, "--db", db)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_no_store_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "monthly", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "no store yet" in err


def test_add_commands_without_a_common_parent() -> None:
    parser = argparse.ArgumentParser()
    cli_engine.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["rfm", "--db", "x.duckdb", "--json", "--country", "France", "--summary"])
    assert (args.db, args.json, args.country, args.summary, args.preset) == (
        "x.duckdb",
        True,
        ["France"],
        True,
        "standard",
    )
    assert args.func is cli_engine.cmd_rfm


# --- a command loads only what it runs (issue #14) ----------------------------------------------------------

HEAVY = ("polars", "duckdb", "numpy", "scipy", "pyarrow", "altair", "xlsxwriter", "psycopg")


def _loaded_after(argv: list[str], tmp_path: Path) -> tuple[int, set[str]]:
    """Run `lgs ARGV` in a fresh interpreter: its exit code and which heavy packages and lgs_core modules it
    imported."""
    import subprocess
    import sys

    probe = (
        "import contextlib, io, json, sys\n"
        "from lgs_core import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        code = cli.main({argv!r})\n"
        "    except SystemExit as exc:\n"
        "        code = exc.code\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo), "LGS_DB": str(tmp_path / "unused.duckdb")}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return code, {m for m in modules if m in HEAVY or m.startswith("lgs_core.")}


def test_lgs_help_loads_no_data_library(tmp_path: Path) -> None:
    """`lgs --help` (0.3 s target): no Polars, DuckDB, SciPy or any analysis module is imported."""
    code, loaded = _loaded_after(["--help"], tmp_path)
    assert code == 0
    assert not loaded & set(HEAVY), loaded
    assert (
        not {
            "lgs_core.analyses.analytics",
            "lgs_core.report.report",
            "lgs_core.analyses.clv",
            "lgs_core.store.store",
        }
        & loaded
    )


def test_lgs_monthly_loads_only_what_it_runs(db: str, tmp_path: Path) -> None:
    """`lgs monthly` (0.5 s target at 1M lines) needs the store and the analytics; not the lifetime-value
    model (SciPy), the report, the exports or PostgreSQL."""
    code, loaded = _loaded_after(["monthly", "--db", db], tmp_path)
    assert code == 0
    assert {"polars", "duckdb", "lgs_core.analyses.analytics"} <= loaded
    assert not {"scipy", "xlsxwriter", "psycopg", "altair"} & loaded, loaded
    assert (
        not {
            "lgs_core.report.report",
            "lgs_core.analyses.clv",
            "lgs_core.analyses.export",
            "lgs_core.sources.postgres",
        }
        & loaded
    ), loaded


def test_every_command_is_listed_with_its_help_without_being_built(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The lazily listed commands are the ones the full parser has, with the same one-line help."""
    full = cli.build_parser()
    lazy = cli.build_parser(["monthly"])

    def listing(parser: argparse.ArgumentParser) -> dict[str, str]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return {action.dest: action.help or "" for action in sub._choices_actions}

    assert (
        listing(lazy) == listing(full) and len(listing(full)) == 18
    )  # 14 + history, restore, exports, segment
    with pytest.raises(SystemExit):
        cli.main(["clv", "--help"])
    assert "--holdout-months" in capsys.readouterr().out  # the command run is built in full
