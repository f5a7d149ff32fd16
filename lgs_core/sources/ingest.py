"""Ingest a transactions file (xlsx or csv, any of the three shapes of DOMAIN.md §1) into the store.

Every input line is either loaded or quarantined with a reason: rows_read = rows_loaded + rows_quarantined.
A file that is not a transactions file is refused with a message naming the file, the columns found and the
columns missing, and the store is left exactly as it was (the whole load is one transaction).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import os
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from lgs_core.errors import AlreadyLoadedError, LgsError
from lgs_core.sqlfiles import read_sql
from lgs_core.store import store
from lgs_core.store.access import Action, Principal, acting
from lgs_core.store.write import write_data_set

Progress = Callable[[float, str], None]

# The canonical columns of a line, in order (DOMAIN.md §1; issue #2).
CANONICAL = (
    "invoice",
    "stock_code",
    "description",
    "quantity",
    "invoice_date",
    "unit_price",
    "customer_id",
    "country",
)
OPTIONAL = frozenset({"description"})
REQUIRED = tuple(c for c in CANONICAL if c not in OPTIONAL)

# Header names of the three shapes (UCI workbook and its CSV dump, the original "Online Retail" set, the
# PostgreSQL `retail` table), compared after lower-casing and dropping spaces, underscores, dots and dashes.
ALIASES: dict[str, str] = {
    "invoice": "invoice",
    "invoiceno": "invoice",
    "invoicenumber": "invoice",
    "invoiceid": "invoice",
    "stockcode": "stock_code",
    "productcode": "stock_code",
    "sku": "stock_code",
    "description": "description",
    "productdescription": "description",
    "quantity": "quantity",
    "qty": "quantity",
    "invoicedate": "invoice_date",
    "date": "invoice_date",
    "price": "unit_price",
    "unitprice": "unit_price",
    "customerid": "customer_id",
    "customer": "customer_id",
    "customerno": "customer_id",
    "country": "country",
}

MAX_HEADER_SCAN_ROWS = 10  # a sheet may carry title rows above its header
EXTRA_FIELDS = 8  # columns read beyond the header, to catch lines with too many fields
ROW_PROBLEM = "row_problem"  # a reader's own reason to quarantine a row (e.g. too many fields)

# Fractions of a second (a PostgreSQL timestamp's, to the microsecond) are read and kept, never dropped.
_ISO_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d",
]
_DAY_FIRST = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M", "%d.%m.%Y %H:%M"]
_MONTH_FIRST = ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"]


def normalise_header(name: str) -> str:
    return re.sub(r"[\s_.\-]+", "", str(name)).lower()


def map_columns(columns: list[str], where: str = "") -> tuple[dict[str, str], list[str]]:
    """Map a file's headers to canonical names: ({original: canonical}, [unmapped originals]).

    Raises LgsError when two headers map to the same canonical column.
    """
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for col in columns:
        canonical = ALIASES.get(normalise_header(col))
        if canonical is None:
            ignored.append(col)
            continue
        if canonical in seen:
            raise LgsError(
                f"two columns mean {canonical}: {seen[canonical]!r} and {col!r}",
                where=where,
                todo="remove or rename one of them and load again",
            )
        seen[canonical] = col
        mapping[col] = canonical
    return mapping, ignored


def missing_columns(mapping: dict[str, str]) -> list[str]:
    present = set(mapping.values())
    return [c for c in REQUIRED if c not in present]


@dataclass
class RawSheet:
    """One sheet (or the CSV) as text: canonical columns plus `sheet` and `source_row`."""

    name: str | None
    frame: pl.DataFrame


@dataclass
class RawFile:
    path: Path
    kind: str  # csv | xlsx
    sheets: list[RawSheet]
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(s.frame.height for s in self.sheets)


# --- reading -------------------------------------------------------------------------------------------


_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")  # how an encrypted Office file names its key


def _sniff_kind(path: Path, data: bytes) -> str:
    """'xlsx' for any workbook calamine reads (xlsx, xls, ods), else 'csv'; refuse what is neither."""
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            raise LgsError(
                "the workbook is damaged (truncated or corrupt zip)",
                where=path.name,
                todo="export it again from Excel, or save it as CSV, and load that",
            ) from None
        if any(n.startswith("xl/") for n in names) or "content.xml" in names:  # Excel or OpenDocument
            return "xlsx"
        raise LgsError(
            "this is a zip archive, not a spreadsheet",
            where=path.name,
            todo="unzip it and load the .xlsx or .csv inside",
        )
    if head.startswith(
        b"\xd0\xcf\x11\xe0"
    ):  # an OLE2 container: Excel 97-2003 .xls, or an encrypted workbook
        if _ENCRYPTION_STREAM in data:
            raise LgsError(
                "the workbook is protected by a password",
                where=path.name,
                todo="open it in Excel, remove the password (File > Info > Protect Workbook), save, and load it again",
            )
        return "xlsx"  # calamine reads .xls too
    is_utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(head) is not None
    binary = b"\x00" in head and not is_utf16 and not _mostly_text(head)
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF")) or binary:
        raise LgsError(
            "this is not a spreadsheet or CSV file (it looks like an image or other binary)",
            where=path.name,
            todo="load the transactions as .xlsx or .csv",
        )
    return "csv"


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))  # all but tab, LF and CR


def _mostly_text(head: bytes) -> bool:
    """A text file with a few stray NUL bytes (a damaged export; its lines with them are quarantined), not
    an image or other binary: control bytes are at most 1% of its first 4 KB (or 16, in a small file)."""
    return sum(head.count(b) for b in _CONTROL_BYTES) <= max(16, len(head) // 100)


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for UTF-16 text written without a byte-order mark (every other byte of
    Latin text is zero), else None."""
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode_text(path: Path, data: bytes) -> tuple[bytes, str]:
    """Return UTF-8 bytes of a text file and the encoding it was read as."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "utf-8 (BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode("utf-8"), "utf-16"
    bomless = _utf16_without_bom(data[:4096])
    if bomless:
        return data.decode(bomless, errors="replace").encode("utf-8"), f"{bomless} (no byte-order mark)"
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError:
        # Excel on Windows writes cp1252 (a superset of Latin-1 with £ at 0xA3).
        return data.decode("cp1252", errors="replace").encode("utf-8"), "cp1252"


def _sniff_separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t", "|")}
    return max(counts, key=lambda s: counts[s]) if max(counts.values()) > 0 else ","


def _header_row(rows: list[list[str | None]], where: str) -> int | None:
    """Index of the first of `rows` that holds a transactions header (title rows may stand above it)."""
    for i, row in enumerate(rows[:MAX_HEADER_SCAN_ROWS]):
        mapping, _ = map_columns([str(c) for c in row if c is not None and str(c).strip()], where)
        if not missing_columns(mapping):
            return i
    return None


def _not_transactions(where: str, found: list[str]) -> LgsError:
    missing = missing_columns(map_columns(found)[0])
    return LgsError(
        f"not a transactions file: columns missing: {', '.join(missing)} (found: {', '.join(found) or 'none'})",
        where=where,
        todo="load a file with the columns Invoice, StockCode, Description, Quantity, InvoiceDate, "
        "Price, Customer ID, Country",
    )


def _to_canonical(
    frame: pl.DataFrame, source: str, sheet: str | None, first_data_row: int
) -> tuple[pl.DataFrame, list[str]]:
    """Rename to canonical columns (all text), add sheet and source_row; refuse when columns are missing."""
    where = source if sheet is None else f"{source}, sheet {sheet!r}"
    mapping, ignored = map_columns([c for c in frame.columns if c != ROW_PROBLEM], where)
    missing = missing_columns(mapping)
    if missing:
        raise _not_transactions(where, frame.columns)
    exprs = [
        pl.lit(sheet, dtype=pl.String).alias("sheet"),
        (pl.col(ROW_PROBLEM) if ROW_PROBLEM in frame.columns else pl.lit(None, dtype=pl.String)).alias(
            ROW_PROBLEM
        ),
    ]
    exprs.append((pl.int_range(pl.len(), dtype=pl.Int64) + first_data_row).alias("source_row"))
    by_canonical = {v: k for k, v in mapping.items()}
    for col in CANONICAL:
        if col in by_canonical:
            exprs.append(pl.col(by_canonical[col]).cast(pl.String).alias(col))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(col))
    return frame.select(exprs), ignored


_LONE_CR = re.compile(rb"\r(?!\n)")


def _line_breaks(text: bytes) -> tuple[bytes, str | None]:
    """The text with every line break as LF or CR LF, and a note when some were lone CRs.

    Polars ends lines at LF only: a file with classic Mac line ends (CR) was one long line, and a lone CR
    between two lines (files pasted together) joined them into one row. A CR inside a quoted field is text.
    """
    crs = text.count(b"\r")
    if not crs or crs == text.count(b"\r\n"):
        return text, None
    parts = text.split(b'"')  # the even parts are outside quotes ("" inside a field is an empty odd part)
    changed = 0
    for i in range(0, len(parts), 2):
        parts[i], n = _LONE_CR.subn(b"\n", parts[i])
        changed += n
    if not changed:
        return text, None
    if b"\n" not in text:
        return b'"'.join(parts), "line breaks are CR (classic Mac): read as line breaks"
    return b'"'.join(parts), f"{changed:,} lone CR line break(s) among LF ones: read as line breaks"


def _csv_problem(text: bytes, sep: str, where: str) -> LgsError:
    """Why Polars cannot read a CSV, said with the line where the trouble starts and what to do (Polars'
    own message quotes its parser: "could not parse ... as dtype `str` at column 'column_3'")."""
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # a 5 MB description is a long field, not this problem
    try:
        reader = csv.reader(
            io.StringIO(text.decode("utf-8", errors="replace"), newline=""), delimiter=sep, strict=True
        )
        start = 1
        try:
            for _ in reader:
                start = reader.line_num + 1
        except csv.Error as exc:
            message = str(exc)
        else:
            message = ""
    finally:
        csv.field_size_limit(limit)
    todo = "save it again as CSV (comma separated, UTF-8) and load that"
    if message == "unexpected end of data":
        return LgsError(
            f"line {start}: a quote opens a field that never closes (the rest of the file would be one field)",
            where=where,
            todo='close the quote, or double a quote that is part of the text (""), and load it again',
        )
    if "expected after" in message:
        return LgsError(
            f"line {start}: a field has text after its closing quote",
            where=where,
            todo='quote the whole field and double each quote inside it (5" FRAME is written "5"" FRAME"), '
            "and load it again",
        )
    if message:
        return LgsError(f"line {start} cannot be read as CSV", where=where, todo=todo)
    return LgsError("it cannot be read as CSV", where=where, todo=todo)


def _read_csv(path: Path, data: bytes) -> RawFile:
    text, encoding = _decode_text(path, data)
    text, line_note = _line_breaks(text)
    stripped = text.strip()
    if not stripped:
        raise LgsError(
            "the file is empty", where=path.name, todo="choose the transactions export and load it again"
        )
    first_line = stripped.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    sep = _sniff_separator(first_line)
    # Read EXTRA_FIELDS more columns than the widest of the first rows: a line with more fields than its
    # header is then seen (and quarantined), not silently cut short.
    head_text = text[:65536].decode("utf-8", errors="replace")
    try:
        width = max(
            (len(r) for r in itertools.islice(csv.reader(io.StringIO(head_text), delimiter=sep), 10)),
            default=1,
        )
    except csv.Error:  # Polars reads the file below, or says where it cannot
        width = first_line.count(sep) + 1
    schema = {f"column_{i + 1}": pl.String for i in range(width + EXTRA_FIELDS)}
    try:
        frame = pl.read_csv(
            io.BytesIO(text),
            separator=sep,
            schema=schema,
            has_header=False,
            truncate_ragged_lines=True,
            missing_columns="insert",
        )
    except pl.exceptions.PolarsError:
        raise _csv_problem(text, sep, path.name) from None
    head_rows = frame.head(MAX_HEADER_SCAN_ROWS).rows()
    header_at = _header_row([list(r) for r in head_rows], path.name)
    if header_at is None:
        raise _not_transactions(
            path.name, [str(c) for c in head_rows[0] if c is not None] if head_rows else []
        )
    named = [str(c) if c is not None else f"column_{i + 1}" for i, c in enumerate(head_rows[header_at])]
    while named and named[-1].startswith("column_"):  # the padding beyond the header's last name
        named.pop()
    body = frame.slice(header_at + 1)
    extra = body.columns[len(named) :]
    problem = (
        pl.when(pl.any_horizontal(pl.col(extra).is_not_null()))
        .then(pl.lit(f"more fields than the header's {len(named)}"))
        .otherwise(pl.lit(None, dtype=pl.String))
        if extra
        else pl.lit(None, dtype=pl.String)
    )
    if b"\x00" in text:  # a NUL byte: no text export writes one, so the line is damaged
        nul = pl.any_horizontal(
            [pl.col(c).str.contains("\x00", literal=True) for c in body.columns[: len(named)]]
        )
        problem = (
            pl.when(nul).then(pl.lit("NUL byte in the line (the file may be damaged)")).otherwise(problem)
        )
    body = body.with_columns(problem.alias(ROW_PROBLEM)).drop(extra)
    body.columns = [*_dedupe(named), ROW_PROBLEM]
    notes = [] if encoding == "utf-8" else [f"read as {encoding} text"]
    if line_note:
        notes.append(line_note)
    if sep != ",":
        notes.append(f"separator {sep!r}")
    if header_at:
        notes.append(f"skipped {header_at} title row(s) above the header")
    canonical, ignored = _to_canonical(body, path.name, None, first_data_row=1)
    return RawFile(path, "csv", [RawSheet(None, canonical)], ignored, notes)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}__{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def _read_xlsx(path: Path, progress: Progress | None) -> RawFile:
    import fastexcel  # Polars' own xlsx engine: ~10x faster than openpyxl on 1M lines

    try:
        reader = fastexcel.read_excel(str(path))
        names = reader.sheet_names
    except Exception as exc:  # fastexcel raises its own error types for damaged or encrypted files
        raise LgsError(
            f"the workbook cannot be read ({str(exc).splitlines()[0][:160]})",
            where=path.name,
            todo="open it in Excel, remove any password, save as .xlsx or CSV, and load that",
        ) from None
    sheets: list[RawSheet] = []
    ignored_all: list[str] = []
    notes: list[str] = []
    refused: list[str] = []
    for i, name in enumerate(names):
        if progress:
            progress(0.05 + 0.4 * i / max(len(names), 1), f"reading sheet {name!r}")
        try:
            head = reader.load_sheet(name, header_row=None, n_rows=MAX_HEADER_SCAN_ROWS, dtypes="string")
            head_rows = [list(r) for r in head.to_polars().rows()]
        except Exception as exc:
            raise LgsError(
                f"sheet {name!r} cannot be read ({str(exc).splitlines()[0][:160]})",
                where=path.name,
                todo="open it in Excel, save as .xlsx or CSV, and load that",
            ) from None
        header_at = _header_row(head_rows, f"{path.name}, sheet {name!r}")
        if header_at is None:
            found = [str(c) for c in head_rows[0] if c is not None] if head_rows else []
            refused.append(f"sheet {name!r} (found: {', '.join(found) or 'nothing'})")
            continue
        try:
            frame = reader.load_sheet(name, header_row=header_at, dtypes="string").to_polars()
        except Exception as exc:
            raise LgsError(
                f"sheet {name!r} cannot be read ({str(exc).splitlines()[0][:160]})",
                where=path.name,
                todo="open it in Excel, save as .xlsx or CSV, and load that",
            ) from None
        if header_at:
            notes.append(f"sheet {name!r}: skipped {header_at} title row(s) above the header")
        canonical, ignored = _to_canonical(frame, path.name, name, first_data_row=1)
        ignored_all.extend(c for c in ignored if c not in ignored_all)
        sheets.append(RawSheet(name, canonical))
    if not sheets:
        raise LgsError(
            "not a transactions file: no sheet has the columns "
            + ", ".join(REQUIRED)
            + " ("
            + "; ".join(refused)
            + ")",
            where=path.name,
            todo="load the workbook that holds the transactions",
        )
    if refused:
        notes.append("skipped " + "; ".join(refused))
    return RawFile(path, "xlsx", sheets, ignored_all, notes)


def read_raw(path: str | os.PathLike[str], progress: Progress | None = None) -> tuple[RawFile, str]:
    """Read a file as canonical text columns; return it and the sha256 fingerprint of its bytes."""
    p = Path(path)
    if not p.exists():
        raise LgsError("file not found", where=str(p), todo="check the path and try again")
    if p.is_dir():
        raise LgsError("this is a folder, not a file", where=str(p), todo="name the .xlsx or .csv file")
    data = p.read_bytes()
    fingerprint = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise LgsError(
            "the file is empty", where=p.name, todo="choose the transactions export and load it again"
        )
    kind = _sniff_kind(p, data)
    raw = _read_xlsx(p, progress) if kind == "xlsx" else _read_csv(p, data)
    if raw.rows == 0:
        raise LgsError(
            "the file has a header but no data rows",
            where=p.name,
            todo="export the transactions again with their lines",
        )
    return raw, fingerprint


# --- validation ----------------------------------------------------------------------------------------

_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}")


def choose_date_formats(dates: pl.Series) -> list[str]:
    """The strptime formats for one file's dates: ISO always; day-first or month-first, decided per file.

    "12/1/2010 8:26" is ambiguous on its own; a file is month-first only when some value's second field
    exceeds 12 and none's first does. Otherwise day-first (the UK convention: LGS is a UK business).
    """
    parts = dates.drop_nulls().str.extract_groups(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}")
    first = parts.struct.field("1").str.to_integer(strict=False)
    second = parts.struct.field("2").str.to_integer(strict=False)
    first_max = first.max() or 0
    second_max = second.max() or 0
    assert isinstance(first_max, int) and isinstance(second_max, int)
    month_first = second_max > 12 and first_max <= 12
    return _ISO_FORMATS + (_MONTH_FIRST if month_first else _DAY_FIRST)


# The columns whose numbers tell a file's decimal separator, with the names a message uses for them.
_NUMBER_COLUMNS = {"quantity": "Quantity", "unit_price": "Price", "customer_id": "Customer ID"}
_SIGN = r"^[+-]?"
# One separator only, in a thousands position: 1,234 is 1234 with a thousands comma or 1.234 with a decimal
# comma; 1.234 likewise (a leading 0, as in 0,001 or 0.500, is never a thousands group).
_AMBIGUOUS_COMMA = _SIGN + r"[1-9]\d{0,2},\d{3}$"
_AMBIGUOUS_POINT = _SIGN + r"[1-9]\d{0,2}\.\d{3}$"
# A decimal comma: one comma (6,95; 13085,0; 0,001) or '.' thousands before it (1.234,50; 1.234.567).
_DECIMAL_COMMA = _SIGN + r"(\d*,\d*|\d{1,3}(\.\d{3})+,\d*|\d{1,3}(\.\d{3}){2,})$"
# A decimal point: one point (2.55; 17850.0) or ',' thousands before it (1,234.50; 1,234,567).
_DECIMAL_POINT = _SIGN + r"(\d*\.\d*|\d{1,3}(,\d{3})+\.\d*|\d{1,3}(,\d{3}){2,})$"


def _number_evidence(frame: pl.DataFrame, literal: str) -> pl.DataFrame:
    """The file's numbers whose text holds ``literal`` (',' or '.'), in the long form sheet, source_row,
    column, text, value (the text without £ and spaces) and what each says: comma, point, ambiguous."""
    long = pl.concat(
        [
            frame.filter(pl.col(name).str.contains(literal, literal=True)).select(
                pl.col("sheet"),
                pl.col("source_row"),
                pl.lit(label).alias("column"),
                pl.col(name).alias("text"),
                pl.col(name).str.replace_all(r"[£\s]", "").alias("value"),
            )
            for name, label in _NUMBER_COLUMNS.items()
            if name in frame.columns
        ]
    )
    value = pl.col("value")
    ambiguous = value.str.contains(_AMBIGUOUS_COMMA) | value.str.contains(_AMBIGUOUS_POINT)
    return long.with_columns(
        (value.str.contains(_DECIMAL_COMMA) & ~ambiguous).alias("comma"),
        (value.str.contains(_DECIMAL_POINT) & ~ambiguous).alias("point"),
        ambiguous.alias("ambiguous"),
    ).filter(value.str.contains("[0-9]"))


def _first(marked: pl.DataFrame, kind: str) -> dict[str, object] | None:
    found = marked.filter(pl.col(kind))
    return None if found.is_empty() else found.row(int(found["source_row"].arg_min() or 0), named=True)


def _at(row: dict[str, object]) -> str:
    sheet = f"sheet {row['sheet']!r}, " if row.get("sheet") is not None else ""
    return f"{sheet}row {row['source_row']}, {row['column']} {str(row['text']).strip()!r}"


def choose_decimal_comma(frame: pl.DataFrame, where: str) -> tuple[bool, str | None]:
    """Whether one file's numbers (quantity, price, customer id) use a decimal comma, and the note saying so.

    Decided from the file's own numbers, never guessed: 6,95 or 13085,0 or 1.234,50 show a decimal comma;
    2.55 or 17850.0 or 1,234.50 show a decimal point. A file showing both is refused (some of its values would
    load 10 or 100 times too big or too small), and so is one with commas whose separators all sit in
    thousands positions (1,234 and 2.550 alone: 1234 and 2.55, or 1.234 and 2550?).
    """
    columns = [c for c in _NUMBER_COLUMNS if c in frame.columns]
    # The usual file has no comma in its numbers: one literal search per column decides it. (So 1.234 in
    # a file without a single comma is 1.234: 2.550 is how a DECIMAL(.., 3) column is written, and a file
    # with decimal commas and not one comma has no fraction, no 13085,0, anywhere.)
    if not any(frame.select(pl.col(c).str.contains(",", literal=True).any() for c in columns).row(0)):
        return False, None
    # What the first lines show, then a search of the whole file for the other kind only: among the numbers
    # with a comma (few, in a file with a decimal point) or those with a point (few, in one with a comma).
    head = frame.head(1000)
    seen = pl.concat([_number_evidence(head, ","), _number_evidence(head, ".")])
    comma, point = _first(seen, "comma"), _first(seen, "point")
    # (A 1.234.567 in a file with decimal points, or a 1,234,567 in one with decimal commas, shows the other
    # kind without the searched separator: it is quarantined as not a number, never read as a wrong one.)
    commas = _number_evidence(frame, ",") if comma is None else seen
    points = _number_evidence(frame, ".") if point is None else seen
    comma = comma or _first(commas, "comma")  # 6,95 or 1.234,50
    point = point or _first(points, "point")  # 2.55 or 1,234.50
    if comma is not None and point is not None:
        raise LgsError(
            f"numbers are written with a decimal comma ({_at(comma)}) and with a decimal point ({_at(point)}):"
            " one of the two would load as the wrong number",
            where=where,
            todo="export the file again with one decimal separator for every number, and load that",
        )
    if comma is not None:
        example = str(comma["value"])
        return (
            True,
            f"decimal comma: numbers such as {example!r} read as {example.replace('.', '').replace(',', '.')}",
        )
    unclear = None if point is not None else _first(pl.concat([commas, points]), "ambiguous")
    if unclear is not None:
        value = str(unclear["value"]).lstrip("+-")
        readings = (
            (value.replace(",", ""), value.replace(",", "."))
            if "," in value
            else (value, value.replace(".", ""))
        )
        raise LgsError(
            f"{_at(unclear)} may be {readings[0]} or {readings[1]}: no number in the file shows whether its "
            "decimal separator is a point or a comma",
            where=where,
            todo="write decimals with a point (1234.00 or 1,234.00) or a comma (1234,00), and load it again",
        )
    return False, None


def validate(
    con: duckdb.DuckDBPyConnection,
    raw: pl.DataFrame,
    relation: str = "validated",
    *,
    decimal_comma: bool = False,
    accepted: tuple[datetime, datetime] | None = None,
) -> None:
    """Create temp table `relation` from canonical text lines: typed columns and a `reason` (null: loads).

    ``decimal_comma``: the lines write 6,95 for 6.95 (``choose_decimal_comma`` decides it for a file; a
    PostgreSQL sync's numbers always have a decimal point). ``accepted``: the invoice dates that load
    (``store.accepted_invoice_dates()`` by default).
    """
    formats = choose_date_formats(raw["invoice_date"])
    first, end = accepted or store.accepted_invoice_dates()
    if ROW_PROBLEM not in raw.columns:  # only some readers find row problems (e.g. too many CSV fields)
        raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(ROW_PROBLEM))
    con.register("raw", raw)
    try:
        con.execute(read_sql("ingest/numbers.sql"))
        con.execute(
            f"create or replace temp table {relation} as " + read_sql("ingest/validate.sql"),
            {
                "date_formats": formats,
                "decimal_comma": decimal_comma,
                "first_date": first,
                "end_date": end,
                "date_range_reason": store.date_range_reason((first, end)),
            },
        )
    finally:
        con.unregister("raw")


def write_validated(
    con: duckdb.DuckDBPyConnection, load_id: int, source: str
) -> tuple[int, int, dict[str, int]]:
    """Move temp table `validated` into lines and quarantine; return (loaded, quarantined, reasons).

    Call inside the caller's transaction, once per validated chunk (the PostgreSQL sync streams chunks).
    """
    con.execute(read_sql("ingest/staged_lines.sql"))
    store.insert_staged_lines(con, load_id)
    con.execute(read_sql("ingest/quarantine_insert.sql"), {"load_id": load_id, "source": source})
    counts = dict(con.sql(read_sql("ingest/validated_counts.sql")).fetchall())
    loaded = int(counts.pop(None, 0))
    reasons = counts
    return loaded, sum(reasons.values()), {str(k): int(v) for k, v in reasons.items()}


def _nothing_loaded(
    con: duckdb.DuckDBPyConnection, source: str, read: int, reasons: dict[str, int]
) -> LgsError:
    """A replace whose every line is quarantined would leave an empty data set: refused, naming the first
    refused row and the commonest reason (as a full sync that loads nothing is, ``postgres._nothing_loaded``)."""
    reason, count = max(reasons.items(), key=lambda item: item[1])
    sheet, row = con.sql(read_sql("ingest/first_refused.sql"), params={"reason": reason}).fetchall()[0]
    where = f"{source}, row {row}" if sheet is None else f"{source}, sheet {sheet!r}, row {row}"
    return LgsError(
        ("its one line cannot be loaded" if read == 1 else f"none of its {read:,} lines can be loaded")
        + f" (quarantined: {reason!r}, {count:,} line{'s' if count != 1 else ''}); "
        "the current data set is unchanged",
        where=where,
        todo="fix those lines (or choose the right file) and load it again",
    )


def load_file(
    path: str | os.PathLike[str],
    db: str | os.PathLike[str] | None = None,
    *,
    append: bool = False,
    progress: Progress | None = None,
    by: Principal | None = None,
) -> store.LoadResult:
    """Load a transactions file into the store: replace the data set (default) or append to it.

    One transaction: a refused or failed load leaves the store exactly as it was; a replaced data set is kept
    (``lgs_core.store.history``). ``by``: who loads (refused unless an editor; default the OS user).
    """
    who = acting(by, Action.LOAD)
    started = time.perf_counter()
    p = Path(path)
    if progress:
        progress(0.0, f"reading {p.name}")
    raw, fingerprint = read_raw(p, progress)
    frame = pl.concat([s.frame for s in raw.sheets], how="vertical")
    decimal_comma, number_note = choose_decimal_comma(frame, p.name)
    if progress:
        progress(0.5, f"checking {frame.height:,} lines")
    con = store.connect(db)
    try:
        if append and store.fingerprint_is_loaded(con, fingerprint):
            raise AlreadyLoadedError(
                "this file is already loaded (same contents)",
                where=p.name,
                todo="nothing to do; to reload it, load without --append (replaces the data set)",
            )
        with write_data_set(con, kind="file", source=p.name, fingerprint=fingerprint, loaded_by=who) as w:
            validate(con, frame, decimal_comma=decimal_comma)
            load_id = w.start("append" if append else "replace")
            if progress:
                progress(0.75, "writing to the store")
            w.add(frame.height, *write_validated(con, load_id, p.name))
            if not append and w.rows_loaded == 0:  # a replace by nothing: refused (rolled back)
                raise _nothing_loaded(con, p.name, frame.height, w.reasons)
        con.execute("drop table if exists validated")
    finally:
        con.close()
    if progress:
        progress(1.0, "done")
    notes = list(raw.notes) + ([number_note] if number_note else [])
    if raw.ignored_columns:
        notes.append("ignored columns: " + ", ".join(raw.ignored_columns))
    return w.result(started=started, notes=notes)
