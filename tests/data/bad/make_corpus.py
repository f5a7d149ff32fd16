"""Write the corpus of bad and awkward inputs beside this file: `python tests/data/bad/make_corpus.py`.

The small files are committed; the large ones (a 1M-line file with one bad line at the end, a file over the
upload limit) are made by `make_large(...)` at test time. Generating the password-protected workbook and the
old .xls needs msoffcrypto-tool and xlwt, which only this script uses (the files are committed).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
GOOD = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527.0,United Kingdom",
]
COLUMNS = HEADER.split(",")
ROW = [
    "536365",
    "85123A",
    "WHITE HANGING HEART",
    6,
    datetime(2010, 12, 1, 8, 26),
    2.55,
    17850,
    "United Kingdom",
]


def text(name: str, body: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(body.encode(encoding))


def csv_lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def workbook(name: str, rows_by_sheet: dict[str, list[list[object]]], formulas: bool = False) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for sheet_name, rows in rows_by_sheet.items():
        sheet = book.add_worksheet(sheet_name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, date_format)
                elif isinstance(value, str) and value.startswith("=") and formulas:
                    formula, cached = value.split("|")
                    sheet.write_formula(r, c, formula, None, float(cached))
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    data = buffer.getvalue()
    if name:
        (HERE / name).write_bytes(data)
    return data


def main() -> None:
    good = csv_lines(HEADER, *GOOD)
    text("empty.csv", "")
    text("header_only.csv", csv_lines(HEADER))
    text("wrong_columns.csv", csv_lines("Name,Email,Country", "Ann,ann@example.com,France"))
    text("extra_column.csv", csv_lines(HEADER + ",Notes", *(g + ",checked" for g in GOOD)))
    text(
        "renamed_columns.csv",
        csv_lines("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country", *GOOD),
    )
    text("duplicated_column.csv", csv_lines(HEADER + ",InvoiceNo", *(g + ",1" for g in GOOD)))
    text(
        "missing_column.csv",
        csv_lines(HEADER.replace(",Price", ""), "536365,85123A,X,6,2010-12-01 08:26,17850,UK"),
    )
    text("semicolon.csv", good.replace(",", ";"))
    text("tab_separated.csv", good.replace(",", "\t"))
    text("utf16.csv", good.replace("WHITE METAL", "CAFÉ £ METAL"), "utf-16")
    text("latin1.csv", good.replace("WHITE METAL", "CAFÉ £ METAL"), "latin-1")
    text("bom.csv", "\ufeff" + good)
    text(
        "quoted_newlines.csv",
        csv_lines(
            HEADER,
            '536365,85123A,"WHITE HANGING\nHEART, T-LIGHT",6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
        ),
    )
    text(
        "dates_iso.csv", csv_lines(HEADER, "536365,85123A,X,6,2010-12-01T08:26:00,2.55,17850,United Kingdom")
    )
    text("dates_uk.csv", csv_lines(HEADER, "536365,85123A,X,6,13/12/2010 08:26,2.55,17850,United Kingdom"))
    text("dates_us.csv", csv_lines(HEADER, "536365,85123A,X,6,12/13/2010 8:26,2.55,17850,United Kingdom"))
    text(
        "dates_excel_serial.csv",
        csv_lines(HEADER, "536365,85123A,X,6,40513.35138888889,2.55,17850,United Kingdom"),
    )
    text(
        "non_numeric_quantity.csv",
        csv_lines(HEADER, GOOD[0], "536366,85123A,X,six,2010-12-01 08:26:00,2.55,17850,United Kingdom"),
    )
    text(
        "price_pound_thousands.csv",
        csv_lines(HEADER, '536365,M,Manual,1,2010-12-01 08:26:00,"£1,234.56",17850,United Kingdom'),
    )
    text("blank_rows.csv", csv_lines(HEADER, GOOD[0], "", ",,,,,,,", GOOD[1]))
    text("ragged_rows.csv", csv_lines(HEADER, GOOD[0], GOOD[1] + ",surplus", "536367,85123A,X,6"))
    text("unparseable_dates.csv", csv_lines(HEADER, "536365,85123A,X,6,yesterday,2.55,17850,United Kingdom"))
    text(
        "hostile_text.csv",
        csv_lines(HEADER, '536365,85123A,=HYPERLINK("http://x"),6,2010-12-01 08:26,2.55,17850,@SUM(A1)'),
    )

    hostile_inputs()

    whole = workbook("", {"Year 2009-2010": [COLUMNS, ROW]})
    (HERE / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    (HERE / "corrupt.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    workbook("title_rows.xlsx", {"Report": [["LGS sales export"], ["run 2011-12-10"], COLUMNS, ROW]})
    formula_row = list(ROW)
    formula_row[3] = "=3*2|6"
    formula_row[5] = "=2.55*1|2.55"
    workbook("formulas.xlsx", {"Sheet1": [COLUMNS, formula_row]}, formulas=True)
    workbook("blank_rows.xlsx", {"Sheet1": [COLUMNS, ROW, [], ROW]})
    workbook("notes_sheet_only.xlsx", {"Notes": [["nothing to see"]]})

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("online_retail_II.csv", good)
    (HERE / "archive.zip").write_bytes(buffer.getvalue())
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    (HERE / "picture_renamed.csv").write_bytes(png + bytes(64))

    import xlwt  # generator only: write a real Excel 97-2003 .xls
    from msoffcrypto.format.ooxml import OOXMLFile  # generator only: encrypt a real workbook

    plain = io.BytesIO(workbook("", {"Sheet1": [COLUMNS, ROW]}))
    encrypted = io.BytesIO()
    office = OOXMLFile(plain)
    office.encrypt("secret", encrypted)
    (HERE / "password_protected.xlsx").write_bytes(encrypted.getvalue())

    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for c, name in enumerate(COLUMNS):
        sheet.write(0, c, name)
    for c, value in enumerate(ROW):
        sheet.write(1, c, str(value))
    book.save(str(HERE / "old_excel.xls"))


def hostile_inputs() -> None:
    """Issue #13: numbers in other locales, date words and extreme dates, values the store cannot hold
    exactly, odd line breaks and malformed quoting."""
    line = "536365,85123A,WHITE HANGING HEART,{q},{d},{p},{c},United Kingdom"

    def lines(*rows: dict[str, str]) -> list[str]:
        base = {"q": "6", "d": "2010-12-01 08:26:00", "p": "2.55", "c": "17850"}
        return [line.format(**{**base, **row}) for row in rows]

    semicolon_header = HEADER.replace(",", ";")
    text(
        "decimal_comma.csv",
        csv_lines(
            semicolon_header,
            "536365;85123A;WHITE HANGING HEART;6;01.12.2010 08:26;6,95;13085,0;United Kingdom",
            "536365;71053;WHITE METAL LANTERN;12;01.12.2010 08:26;1,2;13085,0;United Kingdom",
            "536366;22633;HAND WARMER;1;01.12.2010 08:28;1.234,50;13085,0;United Kingdom",
            "536366;22632;HAND WARMER RED;2;01.12.2010 08:28;1\u00a0234,5;13085,0;United Kingdom",
        ),
    )
    text(
        "mixed_decimal_separators.csv",
        csv_lines(HEADER, *lines({"p": '"6,95"'}, {"p": "2.55"})),
    )
    text("ambiguous_thousands.csv", csv_lines(HEADER, *lines({"p": '"£1,234"', "c": ""}, {"p": "12"})))
    text(
        "date_words.csv",
        csv_lines(
            HEADER,
            *lines(
                {}, {"d": "infinity"}, {"d": "-infinity"}, {"d": "Infinity"}, {"d": "epoch"}, {"d": "EPOCH"}
            ),
        ),
    )
    text(
        "dates_out_of_range.csv",
        csv_lines(
            HEADER,
            *lines(
                {},
                {"d": "1969-12-31 23:59:00"},
                {"d": "0001-01-01 00:00:00"},
                {"d": "2911-01-01 10:00:00"},
                {"d": "9999-12-31 23:59:00"},
                {"d": "1900-01-01 00:00:00"},
            ),
        ),
    )
    text(
        "fractional_seconds.csv",
        csv_lines(HEADER, *lines({"d": "2010-12-01 08:26:00.5"}, {"d": "2010-12-01T08:26:00.123456"})),
    )
    text(
        "price_precision.csv",
        csv_lines(
            HEADER,
            *lines(
                {"p": "2.5500"},
                {"p": "2.5500000000000003"},  # a spreadsheet's binary noise: 2.55
                {"p": "0.0004999"},
                {"p": "1e-4"},
                {"p": "1_000"},
            ),
        ),
    )
    text(
        "amount_overflow.csv",
        csv_lines(
            HEADER,
            *lines({}, {"q": "2000000000", "p": "999999999999.999"}, {"p": "10000000000000000"}),
        ),
    )
    (HERE / "cr_line_breaks.csv").write_bytes(("\r".join([HEADER, *lines({}, {}, {})]) + "\r").encode())
    mixed = [HEADER, *lines({}, {}, {}, {})]
    mixed[4] = mixed[4].replace("WHITE HANGING HEART", '"WHITE\rHANGING HEART"')  # a CR inside quotes is text
    ends = ["\r\n", "\r", "\n", "\r\n", "\r"]  # CR LF, CR, LF, CR LF, CR
    (HERE / "mixed_line_breaks.csv").write_bytes("".join(m + e for m, e in zip(mixed, ends)).encode())
    nul = lines({}, {})
    nul[1] = nul[1].replace("WHITE HANGING", "WHITE\x00HANGING")  # a zero byte: a damaged export
    text("nul_byte.csv", csv_lines(HEADER, *nul))
    text("utf16_no_bom.csv", csv_lines(HEADER, *lines({}, {})), "utf-16-le")
    text(
        "unbalanced_quote.csv",
        csv_lines(
            HEADER,
            *lines({}),
            '536366,85123A,"WHITE HANGING HEART,6,2010-12-01 08:26,2.55,17850,UK',
            *lines({}),
        ),
    )
    text(
        "text_after_quote.csv",
        csv_lines(HEADER, *lines({}, {}), '536366,85123A,"WHITE" HEART,6,2010-12-01 08:26,2.55,17850,UK'),
    )


def make_large(folder: Path, lines: int = 1_000_000) -> Path:
    """A 1M-line CSV whose very last line is bad (non-numeric quantity)."""
    path = folder / "million_lines_one_bad.csv"
    row = (
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n"
    )
    with path.open("w") as fh:
        fh.write(HEADER + "\n")
        fh.write(row * (lines - 1))
        fh.write(row.replace(",6,", ",six,"))
    return path


if __name__ == "__main__":
    main()
