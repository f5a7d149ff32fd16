"""The corpus of bad and awkward inputs (tests/data/bad/): each is refused with a clear one-line message that
names the file, or loads with its bad lines quarantined. A refused file never changes the store."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import duckdb
import pytest

from lgs_core.errors import LgsError
from lgs_core.sources import ingest
from lgs_core.store import store

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
sys.path.insert(0, str(BAD))
from make_corpus import make_large  # noqa: E402

# file → the message's telling part (the file name is always in it too)
REFUSED = {
    # every line quarantined: a replace by nothing is refused, naming the first refused row (the data set stays)
    "unparseable_dates.csv": "row 1: its one line cannot be loaded (quarantined: 'unparseable invoice date', 1 line); "
    "the current data set is unchanged",
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
    # issue #13: never a silent guess at the decimal separator; malformed quoting said with its line
    "mixed_decimal_separators.csv": "decimal comma (row 1, Price '6,95') and with a decimal point (row 2, "
    "Price '2.55')",
    "ambiguous_thousands.csv": "row 1, Price '£1,234' may be 1234 or 1.234",
    "unbalanced_quote.csv": "line 3: a quote opens a field that never closes",
    "text_after_quote.csv": "line 4: a field has text after its closing quote",
}

# The quarantine reason of a line dated outside the accepted range (its last year moves with the clock).
OUT_OF_RANGE = store.date_range_reason(store.accepted_invoice_dates())

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
    "title_rows.xlsx": (1, {}, "skipped 2 title row(s)"),
    "formulas.xlsx": (1, {}, ""),
    "old_excel.xls": (1, {}, ""),
    "hostile_text.csv": (1, {}, ""),
    # issue #13
    "decimal_comma.csv": (4, {}, "decimal comma: numbers such as '6,95' read as 6.95"),
    "date_words.csv": (1, {"unparseable invoice date": 5}, ""),
    "dates_out_of_range.csv": (1, {OUT_OF_RANGE: 5}, ""),
    "fractional_seconds.csv": (2, {}, ""),
    "price_precision.csv": (2, {"price with more than 3 decimals": 2, "non-numeric price": 1}, ""),
    "amount_overflow.csv": (1, {"quantity × price out of range": 1, "price out of range": 1}, ""),
    "cr_line_breaks.csv": (3, {}, "line breaks are CR"),
    "mixed_line_breaks.csv": (4, {}, "2 lone CR line break(s)"),
    "nul_byte.csv": (1, {"NUL byte in the line (the file may be damaged)": 1}, ""),
    "utf16_no_bom.csv": (2, {}, "utf-16-le (no byte-order mark)"),
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


def test_hostile_values_load_as_what_they_mean_or_not_at_all(tmp_path: Path) -> None:
    """Issue #13: a decimal comma is read as one (not 6,95 as 695), a fraction of a second is kept, a price
    with binary noise is the price it means, and the quarantine shows each refused line as it was written."""
    from datetime import datetime
    from decimal import Decimal

    def rows(name: str, sql: str) -> list[tuple[object, ...]]:
        db = tmp_path / f"{name}.duckdb"
        ingest.load_file(BAD / name, db)
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.sql(sql).fetchall()
        finally:
            con.close()

    by_row = "select unit_price, customer_id, quantity, line_amount from lines order by source_row"
    assert rows("decimal_comma.csv", by_row) == [
        (Decimal("6.950"), 13085, 6, Decimal("41.700")),
        (Decimal("1.200"), 13085, 12, Decimal("14.400")),
        (Decimal("1234.500"), 13085, 1, Decimal("1234.500")),
        (Decimal("1234.500"), 13085, 2, Decimal("2469.000")),
    ]
    assert rows("fractional_seconds.csv", "select invoice_date from lines order by source_row") == [
        (datetime(2010, 12, 1, 8, 26, 0, 500000),),
        (datetime(2010, 12, 1, 8, 26, 0, 123456),),
    ]
    assert rows("price_precision.csv", "select unit_price from lines order by source_row") == [
        (Decimal("2.550"),),
        (Decimal("2.550"),),
    ]
    assert rows("price_precision.csv", "select unit_price, reason from quarantine order by source_row") == [
        ("0.0004999", "price with more than 3 decimals"),
        ("1e-4", "price with more than 3 decimals"),
        ("1_000", "non-numeric price"),
    ]
    assert rows("date_words.csv", "select invoice_date from quarantine order by source_row") == [
        ("infinity",),
        ("-infinity",),
        ("Infinity",),
        ("epoch",),
        ("EPOCH",),
    ]
    assert rows("dates_out_of_range.csv", "select invoice_date from lines") == [
        (datetime(2010, 12, 1, 8, 26),)
    ]
    # a CR inside quotes is part of the description; a lone CR outside them ends a line
    assert rows("mixed_line_breaks.csv", "select description from lines order by source_row") == [
        ("WHITE HANGING HEART",),
        ("WHITE HANGING HEART",),
        ("WHITE HANGING HEART",),
        ("WHITE\rHANGING HEART",),
    ]
    assert rows("nul_byte.csv", "select source_row, description from quarantine") == [
        (2, "WHITE\x00HANGING HEART")
    ]


def test_the_accepted_invoice_dates_run_from_1970_to_the_end_of_next_year(tmp_path: Path) -> None:
    from datetime import datetime

    first, end = store.accepted_invoice_dates()
    assert first == datetime(1970, 1, 1)
    assert end == datetime(datetime.now().year + 2, 1, 1)
    last_year = end.year - 1
    reason = store.date_range_reason((first, end))
    assert reason == f"invoice date out of range (accepted 1970-01-01 to {last_year}-12-31)"
    dates = {
        "1969-12-31 23:59:59": OUT_OF_RANGE,
        "1970-01-01 00:00:00": None,
        f"{last_year}-12-31 23:59:59": None,
        f"{last_year + 1}-01-01 00:00:00": OUT_OF_RANGE,
    }
    header = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
    body = "".join(f"536365,85123A,X,6,{d},2.55,17850,United Kingdom\n" for d in dates)
    path = tmp_path / "edges.csv"
    path.write_text(header + "\n" + body)
    db = tmp_path / "store.duckdb"
    result = ingest.load_file(path, db)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    con = duckdb.connect(str(db), read_only=True)
    try:
        refused = dict(con.sql("select invoice_date, reason from quarantine").fetchall())
    finally:
        con.close()
    assert refused == {d: r for d, r in dates.items() if r}


def test_no_date_in_the_store_breaks_cohorts_lifetime_value_or_the_report(tmp_path: Path) -> None:
    """Lines dated year 1 or 9999 were loaded: `cohorts` and `clv` then failed with "OverflowError: date
    value out of range" (exit 1). Now they are quarantined and every analysis runs."""
    import subprocess

    db = tmp_path / "store.duckdb"
    ingest.load_file(BAD / "dates_out_of_range.csv", db)
    for command in (["cohorts"], ["clv"], ["monthly"], ["report", "--out", str(tmp_path / "r")]):
        done = subprocess.run(
            [sys.executable, "-m", "lgs_core", *command, "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode in (0, 2, 3), (command, done.stderr)
        assert "unexpected failure" not in done.stderr and "Traceback" not in done.stderr


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
