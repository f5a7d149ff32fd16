"""The corpus of bad and awkward inputs (tests/data/bad/): each is refused with a clear one-line message that
names the file, or loads with its bad lines quarantined. A refused file never changes the store."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import duckdb
import pytest

from lgs_core import ingest
from lgs_core.errors import LgsError

BAD = Path(__file__).resolve().parent / "data" / "bad"
sys.path.insert(0, str(BAD))
from make_corpus import make_large  # noqa: E402

# file → the message's telling part (the file name is always in it too)
REFUSED = {
    "empty.csv": "the file is empty",
    "header_only.csv": "header but no data rows",
    "wrong_columns.csv": "columns missing: invoice, stock_code, quantity, invoice_date, unit_price, customer_id "
    "(found: Name, Email, Country)",
    "missing_column.csv": "columns missing: unit_price",
    "duplicated_column.csv": "two columns mean invoice: 'Invoice' and 'InvoiceNo'",
    "truncated.xlsx": "damaged",
    "corrupt.xlsx": "damaged",
    "password_protected.xlsx": "protected by a password",
    "archive.zip": "zip archive, not a spreadsheet",
    "picture_renamed.csv": "not a spreadsheet or CSV",
    "notes_sheet_only.xlsx": "no sheet has the columns",
}

# file → (rows loaded, {quarantine reason: count}, a note that must be there or "")
LOADED = {
    "extra_column.csv": (3, {}, "ignored columns: Notes"),
    "renamed_columns.csv": (3, {}, ""),
    "semicolon.csv": (3, {}, "separator ';'"),
    "tab_separated.csv": (3, {}, "separator '\\t'"),
    "utf16.csv": (3, {}, "utf-16"),
    "latin1.csv": (3, {}, "cp1252"),
    "bom.csv": (3, {}, "BOM"),
    "quoted_newlines.csv": (1, {}, ""),
    "dates_iso.csv": (1, {}, ""),
    "dates_uk.csv": (1, {}, ""),
    "dates_us.csv": (1, {}, ""),
    "dates_excel_serial.csv": (1, {}, ""),
    "non_numeric_quantity.csv": (1, {"non-numeric quantity": 1}, ""),
    "price_pound_thousands.csv": (1, {}, ""),
    "blank_rows.csv": (2, {"blank row": 2}, ""),
    "blank_rows.xlsx": (2, {"blank row": 1}, ""),
    "ragged_rows.csv": (1, {"more fields than the header's 8": 1, "missing invoice date": 1}, ""),
    "unparseable_dates.csv": (0, {"unparseable invoice date": 1}, ""),
    "title_rows.xlsx": (1, {}, "skipped 2 title row(s)"),
    "formulas.xlsx": (1, {}, ""),
    "old_excel.xls": (1, {}, ""),
    "hostile_text.csv": (1, {}, ""),
}


def digest(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        text = "".join(
            repr(con.sql(f"select * from {t} order by all").fetchall())
            for t in ("lines", "quarantine", "load_log")
        )
    finally:
        con.close()
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def loaded_store(tmp_path: Path) -> Path:
    db = tmp_path / "store.duckdb"
    ingest.load_file(BAD / "extra_column.csv", db)
    return db


def test_the_corpus_has_at_least_25_kinds() -> None:
    files = {p.name for p in BAD.iterdir() if p.suffix != ".py"}
    assert files == set(REFUSED) | set(LOADED)
    assert len(files) + 1 >= 25  # + the generated 1M-line file below


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_file_says_what_and_where_and_leaves_the_store(loaded_store: Path, name: str) -> None:
    before = digest(loaded_store)
    with pytest.raises(LgsError) as info:
        ingest.load_file(BAD / name, loaded_store)
    message = str(info.value)
    assert REFUSED[name] in message
    assert message.startswith(name)  # where
    assert " — " in message  # and what to do
    assert "\n" not in message and "Traceback" not in message
    assert digest(loaded_store) == before


@pytest.mark.parametrize("name", sorted(LOADED))
def test_an_awkward_file_loads_and_quarantines_only_its_bad_lines(tmp_path: Path, name: str) -> None:
    loaded, reasons, note = LOADED[name]
    result = ingest.load_file(BAD / name, tmp_path / "store.duckdb")
    assert result.rows_loaded == loaded
    assert result.quarantine_reasons == reasons
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    if note:
        assert any(note in n for n in result.notes or []), result.notes


def test_awkward_values_load_as_what_they_mean(tmp_path: Path) -> None:
    from datetime import datetime
    from decimal import Decimal

    def value(name: str, sql: str) -> object:
        db = tmp_path / f"{name}.duckdb"
        ingest.load_file(BAD / name, db)
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.sql(sql).fetchall()[0][0]
        finally:
            con.close()

    first_date = "select invoice_date from lines order by source_row limit 1"
    assert value("dates_uk.csv", first_date) == datetime(2010, 12, 13, 8, 26)
    assert value("dates_us.csv", first_date) == datetime(2010, 12, 13, 8, 26)
    assert value("dates_excel_serial.csv", first_date) == datetime(2010, 12, 1, 8, 26)
    assert value("price_pound_thousands.csv", "select unit_price from lines") == Decimal("1234.560")
    assert value("quoted_newlines.csv", "select description from lines") == "WHITE HANGING\nHEART, T-LIGHT"
    lantern = "select description from lines where stock_code = '71053'"
    assert value("latin1.csv", lantern) == "CAFÉ £ METAL LANTERN"
    assert value("utf16.csv", lantern) == "CAFÉ £ METAL LANTERN"
    assert value("formulas.xlsx", "select line_amount from lines") == Decimal(
        "15.300"
    )  # the formulas' values


def test_quarantined_lines_say_where_they_were(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    ingest.load_file(BAD / "ragged_rows.csv", db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.sql("select source_row, reason from quarantine order by source_row").fetchall()
    finally:
        con.close()
    assert rows == [(2, "more fields than the header's 8"), (3, "missing invoice date")]


def test_a_million_lines_with_one_bad_line_at_the_end(tmp_path: Path) -> None:
    path = make_large(tmp_path)
    result = ingest.load_file(path, tmp_path / "store.duckdb")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (1_000_000, 999_999, 1)
    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    try:
        assert con.sql("select source_row, reason from quarantine").fetchall() == [
            (1_000_000, "non-numeric quantity")
        ]
    finally:
        con.close()
