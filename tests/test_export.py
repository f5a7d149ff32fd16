"""Segment exports: CSV + manifest JSON, and .xlsx with a manifest sheet; formulas neutralised, numbers kept."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from lgs_core import export, rfm
from lgs_core.window import Window


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
