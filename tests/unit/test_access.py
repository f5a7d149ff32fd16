"""Who may do what (issue #16): the allow-list, each role's actions and refusals, and the export log.

The policy is plain data (the [access] section of the secrets); the export log is a real file beside a real
store, written by the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lgs_core import cli
from lgs_core.errors import LgsError
from lgs_core.sources.demo import load_demo
from lgs_core.store.access import (
    AccessDenied,
    AccessPolicy,
    Action,
    Principal,
    Role,
    export_log_path,
    local_user,
    log_export,
    read_exports,
    require,
)

POLICY = AccessPolicy.from_section(
    {"editors": ["Anna@LGS.example"], "viewers": ["@lgs.example", "ops@agency.example"]}
)
CHANGES = [a for a in Action if a not in (Action.EXPLORE, Action.DOWNLOAD)]


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("anna@lgs.example", Role.EDITOR),
        ("ANNA@lgs.example", Role.EDITOR),  # addresses match in any case
        ("bob@lgs.example", Role.VIEWER),  # the domain
        ("ops@agency.example", Role.VIEWER),
        ("eve@agency.example", None),  # one address of that domain, not the domain
        ("eve@mail.lgs.example", None),  # a subdomain is another domain
        ("eve@evil-lgs.example", None),
        ("lgs.example", None),  # not an address
        ("", None),
    ],
)
def test_the_allow_list_gives_each_address_its_role(email: str, role: Role | None) -> None:
    assert POLICY.role_of(email) == role


def test_a_bare_domain_an_asterisk_and_an_unverified_address() -> None:
    assert AccessPolicy.from_section({"viewers": ["lgs.example"]}).role_of("bob@lgs.example") == Role.VIEWER
    anyone = AccessPolicy.from_section({"viewers": ["*"]})
    assert anyone.role_of("someone@anywhere.example") == Role.VIEWER
    # The provider says it did not verify the address: anyone can type one, so nobody is let in on it.
    assert POLICY.role_of("anna@lgs.example", verified=False) is None
    assert POLICY.principal({"email": "anna@lgs.example", "email_verified": False}).role is None
    assert POLICY.principal({"email": "anna@lgs.example", "email_verified": True}).role == Role.EDITOR


def test_without_an_allow_list_nobody_is_let_in() -> None:
    empty = AccessPolicy.from_section(None)
    assert empty.empty and empty.role_of("anna@lgs.example") is None
    with pytest.raises(LgsError, match=r"\[access\] editors must be a list"):
        AccessPolicy.from_section({"editors": {"anna": 1}})


@pytest.mark.parametrize("action", list(Action))
def test_an_editor_may_do_everything(action: Action) -> None:
    require(POLICY.principal({"email": "anna@lgs.example"}), action)
    require(local_user(), action)  # the person at their own machine (the CLI; the app without [auth])


@pytest.mark.parametrize("action", CHANGES)
def test_a_viewer_is_refused_every_change_in_one_line(action: Action) -> None:
    viewer = POLICY.principal({"email": "bob@lgs.example"})
    require(viewer, Action.EXPLORE)
    require(viewer, Action.DOWNLOAD)
    with pytest.raises(AccessDenied) as refused:
        require(viewer, action)
    message = str(refused.value)
    assert (
        message
        == f"bob@lgs.example: a viewer cannot {action.value} — ask an editor to do it, or to list you under [access] editors in the app's secrets"
    )


@pytest.mark.parametrize("action", list(Action))
def test_someone_on_neither_list_may_do_nothing(action: Action) -> None:
    stranger = POLICY.principal({"email": "eve@elsewhere.example", "sub": "eve"})
    assert stranger.role is None and stranger.signed_in
    with pytest.raises(AccessDenied, match="eve@elsewhere.example is not on this app's list"):
        require(stranger, action)


def test_the_export_log_appends_and_reads_newest_first(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    assert read_exports(db) == []
    log_export(db, by="bob@lgs.example", what="Champions", customers=42, fmt="csv", file="c.csv", via="app")
    log_export(db, by="anna@lgs.example", what="At Risk", customers=7, fmt="xlsx", file="r.xlsx", via="app")
    records = read_exports(db)
    assert [(r.by, r.what, r.customers, r.format) for r in records] == [
        ("anna@lgs.example", "At Risk", 7, "xlsx"),
        ("bob@lgs.example", "Champions", 42, "csv"),
    ]
    assert read_exports(db, limit=1)[0].what == "At Risk"
    assert export_log_path(db).name == "store.duckdb.exports.jsonl"


def test_an_export_that_cannot_be_logged_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(LgsError, match="cannot record the export in the export log") as refused:
        log_export(
            blocker / "store.duckdb", by="x", what="Champions", customers=1, fmt="csv", file="c", via="app"
        )
    assert "the list was not written" in str(refused.value)


# --- the CLI's lists ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("access") / "store.duckdb"
    load_demo(db, rows=20_000, seed=5)
    return db


def lgs(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_clis_customer_lists_are_logged_and_its_summaries_are_not(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export_log_path(demo_db).unlink(missing_ok=True)
    db = str(demo_db)
    out_csv = tmp_path / "france.csv"
    assert lgs(capsys, "rfm", "--db", db, "--country", "France", "--out", str(out_csv))[0] == 0
    assert lgs(capsys, "rfm", "--db", db, "--summary", "--json")[0] == 0  # no customer in it
    assert lgs(capsys, "monthly", "--db", db, "--json")[0] == 0
    code, out, _ = lgs(capsys, "rfm", "--db", db, "--json", "--start", "2011-01-01")  # to stdout: leaves too
    assert code == 0
    customers_on_stdout = len(json.loads(out)["customers"])
    code, out, err = lgs(capsys, "exports", "--db", db, "--json")
    assert code == 0, err
    records = json.loads(out)["exports"]
    assert [(r["what"], r["format"], r["file"], r["via"]) for r in records] == [
        ("lgs rfm: customers", "json", "stdout", "cli"),
        ("lgs rfm: customers", "csv", str(out_csv), "cli"),
    ]
    assert records[0]["customers"] == customers_on_stdout and records[0]["scope"] == "from 2011-01-01"
    rows_in_file = len(out_csv.read_text().splitlines()) - 1
    assert records[1]["customers"] == rows_in_file and records[1]["scope"] == "countries France"


def test_a_cli_list_is_not_written_when_its_log_cannot_be(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = export_log_path(demo_db)
    log.unlink(missing_ok=True)
    log.mkdir()  # a folder where the log should be: appending fails
    try:
        out_csv = tmp_path / "list.csv"
        code, _, err = lgs(capsys, "rfm", "--db", str(demo_db), "--out", str(out_csv))
    finally:
        log.rmdir()
    assert code == 2 and "cannot record the export" in err and len(err.strip().splitlines()) == 1
    assert not out_csv.exists()


def test_a_signed_in_principal_has_a_readable_label() -> None:
    assert Principal("anna@lgs.example", Role.EDITOR, True).label == "anna@lgs.example (editor)"
    assert Principal("eve@x.example", None, True).label == "eve@x.example (not allowed)"
