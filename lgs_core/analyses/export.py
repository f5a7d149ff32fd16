"""Export a customer list (e.g. one RFM segment) as CSV + manifest JSON, or as an .xlsx with a manifest sheet.

The manifest records what is needed to reproduce the file: the window, the parameters, the data version
(the store's fingerprint key), when it was made and how many rows it has.

Spreadsheet formulas are neutralised (OWASP, "CSV Injection"): a text cell that starts with ``=``, ``+``,
``-``, ``@``, their full-width or small forms, a tab or a line break — after any leading spaces or control
characters, which spreadsheets skip — gets a leading ``'`` so a spreadsheet shows it as text instead of
running it; so does each line of a cell that holds line breaks (a reader that splits lines naively then
meets no formula either). Numbers are written as numbers and left alone. A CSV field holding the
separator, a quote or a line break is quoted (RFC 4180), so a carriage return never starts a row.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl
import xlsxwriter

from lgs_core.query.window import Window

if TYPE_CHECKING:
    from lgs_core.analyses.rfm import CustomerRule

MANIFEST_VERSION = 1
# What may start a formula: = + - @ (ASCII, full-width U+FF1D/FF0B/FF0D/FF20, small U+FE66/FE62/FE63/FE6B),
# and a tab or line break (some importers start a new cell or row there).
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\t\r\n")
# Every line break str.splitlines() knows (a naive reader's), \r\n first.
_LINE_BREAK = re.compile("(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])")
_NEEDS_QUOTES = re.compile('[,"\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]')


def _could_start_a_formula(text: str) -> bool:
    for char in text:
        if char in _FORMULA_STARTS:
            return True
        if not (
            char.isspace() or unicodedata.category(char) in ("Cc", "Cf")
        ):  # spaces, controls, zero-widths
            return False
    return False


def neutralise(text: str) -> str:
    """``text`` made safe for a spreadsheet cell: a leading ``'`` when it, or a line in it, could start a
    formula."""
    pieces = _LINE_BREAK.split(text)  # the lines, with the breaks between them at odd places
    for i in range(2, len(pieces), 2):
        if _could_start_a_formula(pieces[i]):
            pieces[i] = "'" + pieces[i]
    safe = "".join(pieces)
    return "'" + safe if _could_start_a_formula(safe) else safe


def _csv_field(text: str) -> str:
    """One CSV field: quoted (quotes doubled) when it holds the separator, a quote or a line break."""
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def build_manifest(
    window: Window,
    params: Any,
    data_version: str,
    *,
    rows: int,
    what: str = "rfm customers",
    reference_date: date | None = None,
    cut_points: Any = None,
    filters: Mapping[str, Any] | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """What the exported file holds and how to make it again.

    ``params``: an object with ``to_json()`` (e.g. ``RfmParams``), a mapping, or None. ``cut_points``
    likewise (e.g. ``RfmResult.cut_points``). ``filters``: any selection applied to the table (e.g.
    ``{"segment": ["Champions"]}``).
    """
    return {
        "manifest_version": MANIFEST_VERSION,
        "what": what,
        "created_at": (created_at or datetime.now()).replace(microsecond=0).isoformat(sep=" "),
        "data_version": data_version,
        "window": window.to_json(),
        "parameters": _jsonable(params),
        "reference_date": reference_date.isoformat() if reference_date else None,
        "cut_points": _jsonable(cut_points),
        "filters": dict(filters or {}),
        "rows": rows,
    }


def _jsonable(obj: Any) -> Any:
    if obj is None:
        return None
    if hasattr(obj, "to_json"):
        return obj.to_json()
    if isinstance(obj, Mapping):
        return dict(obj)
    return obj


def _cell_text(value: Any) -> str:
    """A value as CSV text: exact numbers, ISO dates, neutralised strings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def frame_to_csv(df: pl.DataFrame, labels: Mapping[str, str] | None = None) -> bytes:
    """``df`` as UTF-8 CSV (header row first: the column names, or their ``labels``; rows ended by ``\n``),
    neutralised and quoted where needed.

    (Python's csv writer with ``lineterminator="\n"`` left a field holding a bare ``\r`` unquoted, so a
    reader that honours CR read a new row there: a country ``"\r=cmd|..."`` became a row starting ``=cmd``.)
    """
    buffer = io.StringIO()
    buffer.write(",".join(_csv_field(neutralise(_header(c, labels))) for c in df.columns) + "\n")
    for row in df.iter_rows():
        buffer.write(",".join(_csv_field(_cell_text(v)) for v in row) + "\n")
    return buffer.getvalue().encode("utf-8")


def _header(column: str, labels: Mapping[str, str] | None) -> str:
    return labels.get(column, column) if labels else column


def _finished(
    df: pl.DataFrame, manifest: Mapping[str, Any], labels: Mapping[str, str] | None
) -> dict[str, Any]:
    out = dict(manifest)
    out["rows"] = df.height  # the file's own count wins over whatever the caller expected
    out["columns"] = list(df.columns)  # the stable keys, in the file's order, whatever its header says
    if labels:
        out["column_labels"] = {c: _header(c, labels) for c in df.columns}
    return out


def segment_export_csv(
    df: pl.DataFrame, manifest: Mapping[str, Any], *, labels: Mapping[str, str] | None = None
) -> tuple[bytes, bytes]:
    """``(csv_bytes, manifest_json_bytes)``; the manifest carries the CSV's SHA-256 to pair the two files.
    ``labels``: headers in words for the file ({key: header}); the manifest keeps the keys ("columns") and
    the headers ("column_labels"), so a script finds a column whatever its header."""
    data = frame_to_csv(df, labels)
    out = _finished(df, manifest, labels)
    out["content_sha256"] = hashlib.sha256(data).hexdigest()
    return data, (json.dumps(out, indent=2, default=str) + "\n").encode("utf-8")


def segment_export_xlsx(
    df: pl.DataFrame,
    manifest: Mapping[str, Any],
    sheet: str = "customers",
    *,
    labels: Mapping[str, str] | None = None,
) -> bytes:
    """An .xlsx workbook: the table on ``sheet`` (headers: the keys, or their ``labels``) and the manifest
    (key, value) on sheet "manifest"."""
    out = _finished(df, manifest, labels)
    buffer = io.BytesIO()
    # Strings stay strings: no formula or number guessing on text (xlsxwriter's defaults, made explicit).
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": True,
        },
    )
    bold = workbook.add_format({"bold": True})
    formats = {
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
    }
    table = workbook.add_worksheet(sheet[:31])
    for col, name in enumerate(df.columns):
        header = _header(name, labels)
        table.write_string(0, col, neutralise(header), bold)
        table.set_column(col, col, max(10, min(40, len(header) + 2)))
    for r, row in enumerate(df.iter_rows(), start=1):
        for col, value in enumerate(row):
            _write_cell(table, r, col, value, formats)
    table.freeze_panes(1, 0)

    sheet_manifest = workbook.add_worksheet("manifest")
    sheet_manifest.write_string(0, 0, "key", bold)
    sheet_manifest.write_string(0, 1, "value", bold)
    sheet_manifest.set_column(0, 0, 18)
    sheet_manifest.set_column(1, 1, 80)
    for r, (key, value) in enumerate(out.items(), start=1):
        sheet_manifest.write_string(r, 0, neutralise(str(key)))
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        sheet_manifest.write_string(r, 1, neutralise(text))
    workbook.close()
    return buffer.getvalue()


def _write_cell(sheet: Any, row: int, col: int, value: Any, formats: dict[str, Any]) -> None:
    if value is None:
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, Decimal):
        sheet.write_number(row, col, float(value), formats["money"])
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, formats["datetime"])
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), formats["date"])
    else:
        sheet.write_string(row, col, neutralise(str(value)))


# --- download names ---------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def file_stem(what: str, window: Window) -> str:
    """A download's file name without extension: what, the countries, the dates, e.g.
    "lgs-champions-france-2011-01-01-to-2011-12-09": a UK and a France list of the same dates differ."""
    if not window.countries:
        where = "all-countries"
    elif len(window.countries) <= 3:
        where = "+".join(_slug(c) for c in window.countries)
    else:
        where = f"{len(window.countries)}-countries"
    span = f"{window.start}-to-{window.end}" if window.start and window.end else "all-dates"
    products = "-products-only" if window.products_only else ""
    return f"lgs-{_slug(what) or 'list'}-{where}{products}-{span}"


def rule_slug(rule: CustomerRule) -> str:
    parts = []
    if rule.within_days is not None:
        parts.append(f"last-{rule.within_days}-days")
    if rule.min_orders is not None:
        parts.append(f"{rule.min_orders}-orders")
    if rule.min_spend is not None:
        spend = rule.min_spend.normalize()
        parts.append(f"spent-{spend:f}".replace(".", "p"))
    return "-".join(parts) or "all-customers"


def export_file_stem(window: Window, chosen: Sequence[str]) -> str:
    """E.g. "lgs-champions-france-2011-01-01-to-2011-12-31": the segments, the countries, the dates."""
    names = "+".join(_slug(s) for s in chosen[:3]) or "customers"
    if len(chosen) > 3:
        names = f"{len(chosen)}-segments"
    return file_stem(names, window)
