"""Ingestion: the three file shapes, the real sample, quarantine, refused files, append and replace."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import xlsxwriter
from fixtures.helpers import GOOD_ROWS

from lgs_core.errors import LgsError
from lgs_core.sources import ingest
from lgs_core.store import store

REPO = Path(__file__).resolve().parents[2]

UCI_HEADER = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
]
ORIGINAL_HEADER = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
PG_HEADER = [
    "invoice_no",
    "stock_code",
    "description",
    "quantity",
    "invoice_date",
    "unit_price",
    "customer_id",
    "country",
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], **kwargs: object) -> Path:
    with path.open("w", newline="", encoding=str(kwargs.pop("encoding", "utf-8"))) as fh:
        writer = csv.writer(fh, **kwargs)  # type: ignore[arg-type]
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, date_format)
                elif value is not None and value != "":
                    sheet.write(r, c, value)
    book.close()
    return path


def table_digest(db: Path) -> str:
    """A digest of everything the store holds: equal digests mean an unchanged store."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        parts = []
        for table in ("lines", "quarantine", "load_log"):
            rows = con.sql(f"select * from {table} order by all").fetchall()
            parts.append(repr(rows))
    finally:
        con.close()
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


# --- the real sample -----------------------------------------------------------------------------------


def test_real_sample_xlsx_loads_every_line(sample_xlsx: Path, db_path: Path) -> None:
    result = ingest.load_file(sample_xlsx, db_path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (34_766, 34_766, 0)
    # DOMAIN.md §4: 1,742 invoices, 262 customers, 761 cancellation lines, 601 lines without a customer.
    [(invoices, customers, cancel_lines, no_customer, countries)] = query(
        db_path,
        "select count(distinct invoice), count(distinct customer_id),"
        " count(*) filter (where is_cancellation), count(*) filter (where customer_id is null), count(distinct country) from lines",
    )
    assert (invoices, customers, cancel_lines, no_customer, countries) == (1_742, 262, 761, 601, 10)
    sheets = query(db_path, "select count(distinct source_row) > 14000 from lines")
    assert sheets == [(True,)]


def test_real_sample_csv_gives_the_same_store_as_the_xlsx(
    sample_xlsx: Path, sample_csv: Path, tmp_path: Path
) -> None:
    from_xlsx = tmp_path / "xlsx.duckdb"
    from_csv = tmp_path / "csv.duckdb"
    ingest.load_file(sample_xlsx, from_xlsx)
    result = ingest.load_file(sample_csv, from_csv)
    assert (result.rows_loaded, result.rows_quarantined) == (34_766, 0)
    cols = (
        "invoice, stock_code, description, quantity, invoice_date, unit_price, customer_id, country, "
        "is_cancellation, is_adjustment, is_product, line_amount"
    )
    a = query(from_xlsx, f"select {cols} from lines order by all")
    b = query(from_csv, f"select {cols} from lines order by all")
    assert len(a) == len(b) == 34_766
    assert a == b
    [(total,)] = query(from_csv, "select sum(line_amount) from lines")
    assert isinstance(total, Decimal)


# --- the three shapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [UCI_HEADER, ORIGINAL_HEADER, PG_HEADER], ids=["uci", "original", "postgres"]
)
def test_each_csv_shape_loads_with_typed_columns(tmp_path: Path, db_path: Path, header: list[str]) -> None:
    path = write_csv(tmp_path / "lines.csv", header, GOOD_ROWS)
    result = ingest.load_file(path, db_path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 6, 0)
    rows = query(
        db_path,
        "select invoice, stock_code, quantity, unit_price, customer_id, is_cancellation, is_adjustment,"
        " is_product, line_amount, description from lines order by source_row",
    )
    assert rows[0] == (
        "536365",
        "85123A",
        6,
        Decimal("2.550"),
        17850,
        False,
        False,
        True,
        Decimal("15.300"),
        "WHITE HANGING HEART T-LIGHT HOLDER",
    )
    assert rows[2][:9] == (
        "C536379",
        "D",
        -1,
        Decimal("27.500"),
        14527,
        True,
        False,
        False,
        Decimal("-27.500"),
    )
    assert rows[3][4] is None and rows[3][9] is None  # guest checkout, no description: data, not errors
    assert rows[4][5:8] == (False, True, False)  # bad-debt adjustment
    assert rows[5][7] is False  # POST is postage, not a product


def test_original_online_retail_xlsx_with_real_dates_loads(tmp_path: Path, db_path: Path) -> None:
    rows: list[list[object]] = [list(ORIGINAL_HEADER)]
    rows.append(
        [
            "536365",
            "85123A",
            "WHITE HANGING HEART",
            6,
            datetime(2010, 12, 1, 8, 26),
            2.55,
            17850,
            "United Kingdom",
        ]
    )
    rows.append(
        [
            536366,
            22633,
            "HAND WARMER UNION JACK",
            6,
            datetime(2010, 12, 1, 8, 28),
            1.85,
            17850.0,
            "United Kingdom",
        ]
    )
    path = write_xlsx(tmp_path / "Online Retail.xlsx", {"Online Retail": rows})
    result = ingest.load_file(path, db_path)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    got = query(
        db_path, "select invoice, stock_code, invoice_date, unit_price, customer_id from lines order by 1"
    )
    assert got == [
        ("536365", "85123A", datetime(2010, 12, 1, 8, 26), Decimal("2.550"), 17850),
        ("536366", "22633", datetime(2010, 12, 1, 8, 28), Decimal("1.850"), 17850),
    ]


def test_two_sheet_workbook_loads_both_sheets_and_skips_a_notes_sheet(tmp_path: Path, db_path: Path) -> None:
    first = [
        UCI_HEADER,
        ["489434", "85048", "LED LIGHT", 12, datetime(2009, 12, 1, 7, 45), 6.95, 13085, "United Kingdom"],
    ]
    second = [UCI_HEADER, ["C539", "22", "X", -1, datetime(2010, 12, 9, 9, 0), 1, 13085, "France"]]
    second[1][0] = "C539000"
    second[1][1] = "22222"
    notes = [["This workbook was exported by IT"], ["do not edit"]]
    path = write_xlsx(
        tmp_path / "book.xlsx", {"Year 2009-2010": first, "Year 2010-2011": second, "Notes": notes}
    )
    result = ingest.load_file(path, db_path)
    assert result.rows_loaded == 2
    assert any("Notes" in note for note in result.notes or [])


# --- quarantine ----------------------------------------------------------------------------------------


def test_bad_lines_are_quarantined_with_a_reason_and_counts_reconcile(tmp_path: Path, db_path: Path) -> None:
    bad = [
        ["", "85123A", "NO INVOICE", "6", "2010-12-01 08:26:00", "2.55", "17850", "United Kingdom"],
        ["536365", "85123A", "X", "six", "2010-12-01 08:26:00", "2.55", "17850", "United Kingdom"],
        ["536365", "85123A", "X", "6", "yesterday", "2.55", "17850", "United Kingdom"],
        ["536365", "85123A", "X", "6", "2010-12-01 08:26:00", "cheap", "17850", "United Kingdom"],
        ["536365", "85123A", "X", "6", "2010-12-01 08:26:00", "2.55", "ABC", "United Kingdom"],
        ["536365", "85123A", "X", "6", "2010-12-01 08:26:00", "2.55", "17850", ""],
        ["536365", "85123A", "X", "1.5", "2010-12-01 08:26:00", "2.55", "17850", "United Kingdom"],
    ]
    path = write_csv(tmp_path / "mixed.csv", UCI_HEADER, GOOD_ROWS + bad)
    result = ingest.load_file(path, db_path)
    assert result.rows_read == 13
    assert result.rows_loaded == 6
    assert result.rows_quarantined == 7
    assert result.quarantine_reasons == {
        "missing invoice": 1,
        "non-numeric quantity": 1,
        "unparseable invoice date": 1,
        "non-numeric price": 1,
        "non-numeric customer id": 1,
        "missing country": 1,
        "non-integer quantity": 1,
    }
    # Where: the data row of each bad line, so a user can find it in the file.
    rows = query(db_path, "select source_row, reason, quantity from quarantine order by source_row")
    assert rows[0] == (7, "missing invoice", "6")
    assert rows[1] == (8, "non-numeric quantity", "six")


def test_prices_with_pound_sign_and_thousands_separators_load_exactly(tmp_path: Path, db_path: Path) -> None:
    rows = [["536365", "M", "Manual", "1", "2010-12-01 08:26:00", "£1,234.56", "17850", "United Kingdom"]]
    ingest.load_file(write_csv(tmp_path / "p.csv", UCI_HEADER, rows), db_path)
    assert query(db_path, "select unit_price, line_amount from lines") == [
        (Decimal("1234.560"), Decimal("1234.560"))
    ]


def test_month_first_dates_are_detected_per_file(tmp_path: Path, db_path: Path) -> None:
    # The original Online Retail CSV writes "12/13/2010 8:26": month first, known from the 13.
    rows = [
        ["536365", "85123A", "X", "6", "12/1/2010 8:26", "2.55", "17850", "United Kingdom"],
        ["536366", "85123A", "X", "6", "12/13/2010 8:26", "2.55", "17850", "United Kingdom"],
    ]
    ingest.load_file(write_csv(tmp_path / "us.csv", ORIGINAL_HEADER, rows), db_path)
    got = [r[0] for r in query(db_path, "select invoice_date from lines order by 1")]
    assert got == [datetime(2010, 12, 1, 8, 26), datetime(2010, 12, 13, 8, 26)]


def test_day_first_dates_are_the_uk_default(tmp_path: Path, db_path: Path) -> None:
    rows = [
        ["536365", "85123A", "X", "6", "01/12/2010 08:26", "2.55", "17850", "United Kingdom"],
        ["536366", "85123A", "X", "6", "13/12/2010 08:26", "2.55", "17850", "United Kingdom"],
    ]
    ingest.load_file(write_csv(tmp_path / "uk.csv", UCI_HEADER, rows), db_path)
    got = [r[0] for r in query(db_path, "select invoice_date from lines order by 1")]
    assert got == [datetime(2010, 12, 1, 8, 26), datetime(2010, 12, 13, 8, 26)]


def test_semicolon_separated_latin1_with_extra_column_loads(tmp_path: Path, db_path: Path) -> None:
    header = UCI_HEADER + ["Notes"]
    rows = [r + ["café £"] for r in GOOD_ROWS[:2]]
    path = write_csv(tmp_path / "latin.csv", header, rows, delimiter=";", encoding="latin-1")
    result = ingest.load_file(path, db_path)
    assert result.rows_loaded == 2
    assert any("Notes" in n for n in result.notes or [])


# --- refused files leave the store exactly as it was ---------------------------------------------------


def _refused_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    files: dict[str, tuple[Path, str]] = {}
    p = tmp_path / "customers.csv"
    p.write_text("Name,Email,Country\nAnn,ann@example.com,France\n")
    files["wrong columns"] = (p, "columns missing: invoice, stock_code, quantity, invoice_date, unit_price")
    p = tmp_path / "empty.csv"
    p.write_text("")
    files["empty"] = (p, "the file is empty")
    p = tmp_path / "header_only.csv"
    p.write_text(",".join(UCI_HEADER) + "\n")
    files["header only"] = (p, "no data rows")
    p = tmp_path / "picture.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    files["png renamed"] = (p, "not a spreadsheet or CSV")
    p = tmp_path / "archive.zip"
    import zipfile

    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("data.csv", "a,b\n1,2\n")
    files["zip"] = (p, "zip archive")
    p = tmp_path / "truncated.xlsx"
    good = write_xlsx(tmp_path / "whole.xlsx", {"S": [UCI_HEADER, GOOD_ROWS[0]]})
    p.write_bytes(good.read_bytes()[:300])
    files["truncated xlsx"] = (p, "damaged")
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    files["old xls"] = (p, ".xls")
    return files


@pytest.mark.parametrize(
    "kind", ["wrong columns", "empty", "header only", "png renamed", "zip", "truncated xlsx", "old xls"]
)
def test_a_refused_file_gets_a_clear_error_and_leaves_the_store_unchanged(
    tmp_path: Path, db_path: Path, kind: str
) -> None:
    ingest.load_file(write_csv(tmp_path / "good.csv", UCI_HEADER, GOOD_ROWS), db_path)
    before = table_digest(db_path)
    path, expected = _refused_files(tmp_path)[kind]
    with pytest.raises(LgsError) as info:
        ingest.load_file(path, db_path)
    message = str(info.value)
    assert expected in message
    assert path.name in message  # where
    assert "\n" not in message  # one line
    assert table_digest(db_path) == before


def test_wrong_columns_error_names_the_columns_found(tmp_path: Path) -> None:
    p = tmp_path / "customers.csv"
    p.write_text("Name,Email,Country\nAnn,ann@example.com,France\n")
    with pytest.raises(LgsError, match=r"found: Name, Email, Country"):
        ingest.read_raw(p)


def test_duplicated_columns_are_refused(tmp_path: Path) -> None:
    header = UCI_HEADER + ["InvoiceNo"]
    p = write_csv(tmp_path / "dup.csv", header, [r + ["1"] for r in GOOD_ROWS])
    with pytest.raises(LgsError, match="two columns mean invoice"):
        ingest.read_raw(p)


def test_a_failure_midway_rolls_back_the_whole_load(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest.load_file(write_csv(tmp_path / "good.csv", UCI_HEADER, GOOD_ROWS), db_path)
    before = table_digest(db_path)

    def fail_after_insert(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
        con.execute("insert into lines select * from lines")  # half a data set written...
        raise OSError("disk full")  # ...then the machine fails

    monkeypatch.setattr(store, "insert_staged_lines", fail_after_insert)
    with pytest.raises(OSError):
        ingest.load_file(write_csv(tmp_path / "other.csv", UCI_HEADER, GOOD_ROWS[:2]), db_path)
    assert table_digest(db_path) == before


# --- append and replace --------------------------------------------------------------------------------


def test_replace_is_the_default_and_append_adds(tmp_path: Path, db_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", UCI_HEADER, GOOD_ROWS)
    b = write_csv(tmp_path / "b.csv", UCI_HEADER, GOOD_ROWS[:2])
    ingest.load_file(a, db_path)
    ingest.load_file(b, db_path)
    assert query(db_path, "select count(*) from lines") == [(2,)]
    ingest.load_file(a, db_path, append=True)
    assert query(db_path, "select count(*) from lines") == [(8,)]
    with pytest.raises(LgsError, match="already loaded"):
        ingest.load_file(a, db_path, append=True)
    assert query(db_path, "select count(*) from lines") == [(8,)]
    log = query(
        db_path, "select mode, rows_read, rows_loaded, rows_quarantined from load_log order by load_id"
    )
    assert log == [("replace", 6, 6, 0), ("replace", 2, 2, 0), ("append", 6, 6, 0)]


# --- the command line ----------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lgs_core", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_cli_load_json_reports_counts_and_reasons(tmp_path: Path, db_path: Path) -> None:
    bad = [["536365", "85123A", "X", "six", "2010-12-01 08:26:00", "2.55", "17850", "United Kingdom"]]
    path = write_csv(tmp_path / "cli.csv", UCI_HEADER, GOOD_ROWS + bad)
    done = run_cli("load", str(path), "--db", str(db_path), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["source"] == "cli.csv"
    assert (out["rows_read"], out["rows_loaded"], out["rows_quarantined"]) == (7, 6, 1)
    assert out["quarantine_reasons"] == {"non-numeric quantity": 1}
    info = json.loads(run_cli("info", "--db", str(db_path), "--json").stdout)
    assert info["lines"] == 6 and info["quarantined"] == 1


def test_cli_failure_is_one_line_without_traceback(tmp_path: Path, db_path: Path) -> None:
    p = tmp_path / "notes.csv"
    p.write_text("Name,Email\nAnn,a@b.c\n")
    done = run_cli("load", str(p), "--db", str(db_path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: notes.csv: not a transactions file")


def test_cli_uses_lgs_db_env_when_no_db_flag(tmp_path: Path) -> None:
    env_db = tmp_path / "from_env.duckdb"
    path = write_csv(tmp_path / "env.csv", UCI_HEADER, GOOD_ROWS)
    import os

    done = subprocess.run(
        [sys.executable, "-m", "lgs_core", "load", str(path), "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "LGS_DB": str(env_db)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert env_db.exists()


def test_core_never_imports_streamlit() -> None:
    code = (
        "import sys, importlib, pkgutil, lgs_core\n"
        "for m in pkgutil.walk_packages(lgs_core.__path__, 'lgs_core.'):\n"
        "    if m.name != 'lgs_core.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "assert 'streamlit' not in sys.modules, 'lgs_core imported streamlit'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
