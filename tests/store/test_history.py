"""Kept data sets (issue #16): a replace keeps what it replaces, a restore brings it back exactly, atomically.

Real stores in tmp_path, the real sample file, the real CLI (``cli.main``). "Exactly" is what a user sees: the
analyses' JSON (`lgs monthly --json`, `lgs rfm --summary --json`, `lgs invoices --json`) and `lgs info`
equal before the replace and after the restore, the summary tables equal a rebuild from the lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lgs_core import cli
from lgs_core.errors import LgsError
from lgs_core.sources.demo import load_demo
from lgs_core.sources.ingest import load_file
from lgs_core.store import history, store
from lgs_core.store.access import AccessDenied, Principal, Role, os_user

pytest_plugins = ["fixtures.pg_fixtures"]

ANALYSES = (
    ("monthly", "--json"),
    ("rfm", "--summary", "--json"),
    ("invoices", "--json"),
    ("weekly", "--json", "--preset", "classic"),
    ("info", "--json"),
)
ANNA = Principal("anna@lgs.example", Role.EDITOR, signed_in=True)
VICTOR = Principal("victor@lgs.example", Role.VIEWER, signed_in=True)


def lgs(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def analyses(capsys: pytest.CaptureFixture[str], db: Path) -> dict[str, object]:
    """What a user reads of the data set: every analysis's JSON, and `lgs info` without its load ids."""
    seen: dict[str, object] = {}
    for argv in ANALYSES:
        code, out, err = lgs(capsys, *argv, "--db", str(db))
        assert code == 0, err
        body = json.loads(out)
        if argv[0] == "info":  # the load ids are new after a restore (the log keeps both); all else is equal
            body.pop("data_version")
            for load in body["loads"]:
                load.pop("load_id")
        seen[" ".join(argv)] = body
    return seen


def tables(db: Path) -> dict[str, object]:
    """Every row of every table of the store, and the list of tables: 'the store as it was'."""
    con = store.connect(db, read_only=True)
    try:
        names = [r[0] for r in con.sql("select table_name from duckdb_tables() order by 1").fetchall()]
        return {
            "tables": names,
            **{n: sorted(con.sql(f"select * from {n}").fetchall(), key=repr) for n in names},
        }
    finally:
        con.close()


def summary_tables_equal_a_rebuild(db: Path) -> None:
    con = store.connect(db, read_only=True)
    try:
        assert store.summaries_are_current(con)
        for name in store.SUMMARY_TABLES:
            kept = con.sql(f"select * from {name} order by all").fetchall()
            rebuilt = con.sql(f"select * from ({store.summary_sql(name)}) order by all").fetchall()
            assert kept == rebuilt, name
    finally:
        con.close()


HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"


@pytest.fixture
def sample_store(tmp_path: Path, sample_csv: Path) -> Path:
    """The real sample, then a late file with one good line and one refused (two loads, a quarantine)."""
    db = tmp_path / "store.duckdb"
    load_file(sample_csv, db, by=ANNA)
    late = tmp_path / "late.csv"
    late.write_text(
        HEADER
        + "999001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-12-10 08:26:00,2.55,17850,United Kingdom\n"
        "999002,22423,REGENCY CAKESTAND 3 TIER,six,2011-12-10 08:30:00,12.75,17850,United Kingdom\n"
    )
    load_file(late, db, append=True, by=ANNA)
    return db


def test_a_restore_returns_exactly_the_replaced_data_set(
    sample_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = analyses(capsys, sample_store)
    assert before["info --json"]["quarantined"] > 0  # type: ignore[index]  # the quarantine comes back too
    load_demo(sample_store, rows=20_000, seed=7, by=ANNA)
    assert analyses(capsys, sample_store) != before

    code, out, err = lgs(capsys, "history", "--db", str(sample_store), "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert listed["current"].startswith("the 20,000 lines of demo data loaded")
    (kept,) = listed["kept"]
    assert (
        kept["description"].startswith("the ") and "online_retail_II_sample.csv loaded" in kept["description"]
    )
    assert "(and 1 quarantined)" in kept["description"] and "and 1 later load" in kept["description"]
    assert "by anna@lgs.example" in kept["description"]
    assert kept["replaced_by"] == "anna@lgs.example" and kept["bytes"] > 0

    code, out, err = lgs(capsys, "restore", str(kept["kept_id"]), "--db", str(sample_store), "--json")
    assert code == 0, err
    assert analyses(capsys, sample_store) == before
    summary_tables_equal_a_rebuild(sample_store)


def test_a_restore_can_be_undone_and_the_demo_set_comes_back_too(
    sample_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = analyses(capsys, sample_store)
    load_demo(sample_store, rows=20_000, seed=7)
    demo = analyses(capsys, sample_store)
    result = history.restore(sample_store, 1, by=ANNA)
    assert result.kept_as == 2 and result.lines == original["info --json"]["lines"]  # type: ignore[index]
    assert analyses(capsys, sample_store) == original
    history.restore(sample_store, result.kept_as, by=ANNA)
    assert analyses(capsys, sample_store) == demo
    summary_tables_equal_a_rebuild(sample_store)


def test_a_restored_set_is_the_current_data_set_for_the_next_append(
    sample_store: Path, sample_csv: Path
) -> None:
    load_demo(sample_store, rows=10_000, seed=3)
    history.restore(sample_store, 1)
    # The sample is in the restored set: appending it again is refused as before the replace.
    with pytest.raises(LgsError, match="already loaded"):
        load_file(sample_csv, sample_store, append=True)


def test_a_failed_replace_keeps_nothing_and_changes_nothing(sample_store: Path, sample_csv: Path) -> None:
    before = tables(sample_store)

    def fail_while_writing(fraction: float, message: str) -> None:
        if message == "writing to the store":  # after the old data set was set aside, before the commit
            raise RuntimeError("the disk filled up")

    with pytest.raises(RuntimeError):
        load_file(sample_csv, sample_store, progress=fail_while_writing)
    assert tables(sample_store) == before


def test_a_failed_restore_leaves_the_store_as_it_was(
    sample_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    load_demo(sample_store, rows=10_000, seed=3)
    before = tables(sample_store)
    # The last step of a restore (dropping what the limits exceed) reads the limits: make that step fail,
    # after every table was renamed and the load log written.
    monkeypatch.setenv("LGS_KEEP", "three")
    with pytest.raises(LgsError, match="LGS_KEEP"):
        history.restore(sample_store, 1)
    assert tables(sample_store) == before
    monkeypatch.delenv("LGS_KEEP")
    code, _, err = lgs(capsys, "restore", "7", "--db", str(sample_store))
    assert code == 2 and "no kept data set 7" in err and "lgs history" in err and len(err.splitlines()) == 1
    assert tables(sample_store) == before


def test_the_last_three_are_kept_and_the_newest_always(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "store.duckdb"
    for seed in range(5):
        load_demo(db, rows=5_000, seed=seed)
    con = store.connect(db, read_only=True)
    kept = history.kept_sets(con)
    con.close()
    assert [k.kept_id for k in kept.kept] == [4, 3, 2]  # seeds 3, 2, 1; seed 0's set was dropped
    assert [k.description.split(" loaded")[0] for k in kept.kept] == ["the 5,000 lines of demo data"] * 3
    con = store.connect(db, read_only=True)
    leftovers = con.sql("select table_name from duckdb_tables() where table_name like 'kept_1_%'").fetchall()
    con.close()
    assert leftovers == []

    monkeypatch.setenv("LGS_KEEP_MB", "0")  # no budget: only the newest replaced set stays
    load_demo(db, rows=5_000, seed=9)
    con = store.connect(db, read_only=True)
    assert [k.kept_id for k in history.kept_sets(con).kept] == [5]
    con.close()


def test_an_append_replaces_nothing_and_keeps_nothing(sample_store: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text(
        HEADER
        + "999003,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2011-12-10 09:26:00,2.55,17850,United Kingdom\n"
    )
    load_file(extra, sample_store, append=True)
    con = store.connect(sample_store, read_only=True)
    assert history.kept_sets(con).kept == []
    con.close()


def test_the_load_log_says_who_loaded_what_when_and_how_many(sample_store: Path) -> None:
    load_demo(sample_store, rows=10_000, seed=3)  # the CLI's way: the OS user
    history.restore(sample_store, 1, by=ANNA)
    con = store.connect(sample_store, read_only=True)
    log = history.load_log(con).to_dicts()
    con.close()
    by_kind = {(row["kind"], row["loaded_by"]) for row in log}
    assert ("file", "anna@lgs.example") in by_kind
    assert ("demo", os_user()) in by_kind  # the CLI's and a script's loads: the OS user
    restore_row = next(row for row in log if row["kind"] == "restore")
    assert restore_row["loaded_by"] == "anna@lgs.example"
    assert restore_row["source"].startswith("kept data set 1: the ")
    assert restore_row["rows_loaded"] + restore_row["rows_quarantined"] == restore_row["rows_read"]


def test_a_viewer_cannot_change_the_data_even_by_calling_lgs_core(
    sample_store: Path, sample_csv: Path
) -> None:
    load_demo(sample_store, rows=10_000, seed=3)
    before = tables(sample_store)
    for change in (
        lambda: load_file(sample_csv, sample_store, by=VICTOR),
        lambda: load_file(sample_csv, sample_store, append=True, by=VICTOR),
        lambda: load_demo(sample_store, rows=10_000, seed=1, by=VICTOR),
        lambda: history.restore(sample_store, 1, by=VICTOR),
    ):
        with pytest.raises(AccessDenied, match="a viewer cannot") as refused:
            change()
        assert "victor@lgs.example" in str(refused.value) and "editor" in str(refused.value)
    stranger = Principal("eve@elsewhere.example", None, signed_in=True)
    with pytest.raises(AccessDenied, match="not on this app's list"):
        load_demo(sample_store, rows=10_000, seed=1, by=stranger)
    assert tables(sample_store) == before


def test_the_apps_data_key_sees_a_restore(sample_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import _common  # the app's caches key on this (the store file's mtime, size and WAL)

    monkeypatch.setenv("LGS_DB", str(sample_store))
    load_demo(sample_store, rows=10_000, seed=3)
    key = _common.data_key()
    history.restore(sample_store, 1)
    assert _common.data_key() != key


def test_a_store_from_before_kept_sets_opens_and_lists_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "old.duckdb"
    load_demo(db, rows=5_000, seed=1)
    con = store.connect(db)
    con.execute("drop table kept_sets; drop sequence kept_id_seq; alter table load_log drop column loaded_by")
    con.close()
    code, out, err = lgs(capsys, "history", "--db", str(db))  # read-only: nothing created
    assert code == 0, err
    assert "kept: none yet" in out
    code, out, err = lgs(capsys, "history", "--loads", "--db", str(db))
    assert code == 0 and "(unknown)" in out, err
    load_demo(db, rows=5_000, seed=2)  # writable: the schema catches up, and the old set is kept
    con = store.connect(db, read_only=True)
    assert [k.kept_id for k in history.kept_sets(con).kept] == [1]
    con.close()


# --- a restored PostgreSQL sync goes on syncing incrementally ----------------------------------------------


@pytest.mark.postgres
def test_a_restored_sync_resumes_incrementally_from_its_watermark(pg_db: str, tmp_path: Path) -> None:
    from datetime import datetime

    from fixtures.pg_lines import ROWS, add_generated_lines, write_csv

    from lgs_core.sources import postgres

    postgres.pg_load(write_csv(tmp_path / "rows.csv", ROWS), pg_db)
    db = tmp_path / "store.duckdb"
    first = postgres.sync(pg_db, db, by=ANNA)
    load_demo(db, rows=5_000, seed=2)  # someone replaces the synced set with demo data
    history.restore(db, 1, by=ANNA)
    add_generated_lines(pg_db, 50, after=datetime(2011, 12, 1))
    again = postgres.sync(pg_db, db)
    assert (again.mode, again.rows_loaded, again.notes) == ("incremental", 50, [])
    con = store.connect(db, read_only=True)
    try:
        assert store.scalar(con, "select count(*) from lines") == first.rows_loaded + 50
    finally:
        con.close()


def test_lgs_says_where_the_replaced_set_went(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "store.duckdb")
    code, out, err = lgs(capsys, "demo", "--rows", "5000", "--db", db)
    assert code == 0 and "kept" not in out, err  # nothing was there to replace
    code, out, err = lgs(capsys, "demo", "--rows", "6000", "--seed", "2", "--db", db)
    assert code == 0, err
    assert "kept the data set it replaced as 1 (the 5,000 lines of demo data loaded " in out
    assert out.rstrip().endswith("lgs restore 1")
    code, out, err = lgs(capsys, "restore", "1", "--db", db)
    assert code == 0 and "restored the 5,000 lines" in out and "undo: lgs restore 2" in out, err
