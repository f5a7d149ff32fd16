"""Property-based tests: whatever the input, ingestion never crashes and every line is accounted for; whatever
the data, the analyses reconcile (Σ segment customers = customers, scores in range, Σ monthly sales = total).

Examples per property: 1,000 under CI=true (the `ci` profile in conftest.py), fewer locally.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lgs_core.analyses import analytics, rfm
from lgs_core.errors import LgsError
from lgs_core.query.window import Window
from lgs_core.sources import ingest
from lgs_core.store import store

HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
FIRST_DATE, END_DATE = store.accepted_invoice_dates()
OUT_OF_RANGE = store.date_range_reason((FIRST_DATE, END_DATE))
LAST_DATE = END_DATE - timedelta(seconds=1)

# Cells a real export could hold, and plenty it should not: control characters among them.
junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
invoice = st.one_of(st.from_regex(r"[CA]?[0-9]{6}", fullmatch=True), junk, st.just(""))
stock = st.one_of(
    st.from_regex(r"[0-9]{5}[A-Z]?", fullmatch=True), st.sampled_from(["POST", "M", "D", "DOT"]), junk
)
# Numbers as other locales and tools write them (issue #13): decimal commas, thousands separators of every
# kind, exponents, underscores, more decimals than the store holds.
locale_numbers = st.sampled_from(
    [
        "6,95",
        "1,2",
        "1.234,50",
        "1 234,50",
        "1\u00a0234.50",
        "1,234",
        "1.234",
        "13085,0",
        "1,2,3",
        "0.0004999",
    ]
    + ["1e-4", "2.55E+00", "1_000", "9999999999999999", "-0", "+2.5", ".5", "5.", "inf", "nan", "£ 6.95"]
)
quantity = st.one_of(
    st.integers(-80995, 80995).map(str), st.floats(allow_nan=True).map(str), locale_numbers, junk
)
# Date words PostgreSQL and DuckDB know, and dates from year 1 to 9999.
date_words = st.sampled_from(
    [
        "infinity",
        "-infinity",
        "Infinity",
        "INFINITY",
        "epoch",
        "EPOCH",
        "now",
        "today",
        "allballs",
        "+infinity",
    ]
    + ["4713-01-01 00:00:00 BC", "0001-01-01 00:00:00", "1900-01-01 00:00:00", "1899-12-30 00:00:00"]
)
extreme_dates = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)).map(
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
)
when = st.one_of(
    st.datetimes(datetime(2009, 12, 1), datetime(2011, 12, 9)).map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.datetimes(datetime(2009, 12, 1), datetime(2011, 12, 9)).map(lambda d: d.strftime("%d/%m/%Y %H:%M")),
    date_words,
    extreme_dates,
    junk,
)
price = st.one_of(
    st.decimals(-60000, 40000, places=3, allow_nan=False).map(str),
    st.decimals(-1, 1, places=7, allow_nan=False).map(str),
    locale_numbers,
    junk,
    st.just("£1,234.50"),
)
customer = st.one_of(st.integers(10000, 99999).map(lambda c: f"{c}.0"), st.just(""), locale_numbers, junk)
country = st.one_of(st.sampled_from(["United Kingdom", "France", "EIRE", "Unspecified"]), junk)
row = st.tuples(invoice, stock, junk, quantity, when, price, customer, country)
LINE_BREAKS = ["\n", "\r\n", "\r"]


def csv_bytes(rows: list[tuple[str, ...]], breaks: list[str] | None = None, delimiter: str = ",") -> bytes:
    """The rows as CSV; ``breaks``: the line break after the header and each row, in turn (LF by default).

    A field holding a CR or an LF is quoted, as RFC 4180 asks (Python's writer quotes only the characters of
    its own line terminator: with LF lines it leaves a CR bare, which Excel and we read as a line break)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for i, line in enumerate([HEADER, *rows]):
        writer.writerow(line)
        out.seek(out.tell() - 2)  # the CR LF the writer ended the line with
        out.truncate()
        out.write(breaks[i % len(breaks)] if breaks else "\n")
    return out.getvalue().encode("utf-8")


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(row, min_size=1, max_size=30), st.booleans())
def test_validation_never_crashes_and_accounts_for_every_line(
    rows: list[tuple[str, ...]], decimal_comma: bool
) -> None:
    raw = pl.DataFrame(
        {name: [r[i] for r in rows] for i, name in enumerate(ingest.CANONICAL)},
        schema=dict.fromkeys(ingest.CANONICAL, pl.String),
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("sheet"),
        pl.lit(None, dtype=pl.String).alias(ingest.ROW_PROBLEM),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
    )
    con = duckdb.connect()
    try:
        ingest.validate(con, raw, decimal_comma=decimal_comma)
        checked = con.sql(
            "select reason, quantity, invoice_date, unit_price, date_text, quantity * unit_price from validated"
        ).fetchall()
    finally:
        con.close()
    assert len(checked) == len(rows)
    for reason, qty, day, unit_price, date_text, amount in checked:
        if reason is None:  # a loaded line is fully typed, and holds only what the store holds exactly
            assert isinstance(qty, int) and isinstance(day, datetime) and isinstance(unit_price, Decimal)
            assert FIRST_DATE <= day < END_DATE
            assert date_text[0].isdigit()  # never a word read as 1900-01-01
            assert abs(amount) <= Decimal("999999999999999.999")


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(row, min_size=1, max_size=20), st.lists(st.sampled_from(LINE_BREAKS), min_size=1, max_size=4))
def test_loading_any_csv_is_a_load_or_a_one_line_refusal(
    rows: list[tuple[str, ...]], breaks: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.csv"
        path.write_bytes(csv_bytes(rows, breaks))
        try:
            result = ingest.load_file(path, Path(tmp) / "store.duckdb")
        except LgsError as exc:
            assert "\n" not in str(exc)
            return
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
        assert sum(result.quarantine_reasons.values()) == result.rows_quarantined


# --- locale numbers, dates and line breaks: every loaded value is the value the line meant (issue #13) ---


def _grouped(digits: str, group: str) -> str:
    head = len(digits) % 3 or 3
    return digits[:head] + "".join(group + digits[i : i + 3] for i in range(head, len(digits), 3))


def _written(value: Decimal, places: int, decimal: str, group: str) -> str:
    """``value`` as a locale writes it: ``places`` decimals after ``decimal``, thousands joined by ``group``."""
    whole, _, fraction = f"{abs(value):.{places}f}".partition(".")
    if group:
        whole = _grouped(whole, group)
    return ("-" if value < 0 else "") + whole + (decimal + fraction if places else "")


@st.composite
def locale_file(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, Decimal, int | None, datetime]]]:
    """A CSV in one locale (decimal point or comma; any thousands separator; £ or not; any separator and
    line breaks), and the values each line means: quantity, price, customer id, invoice date."""
    comma = draw(st.booleans())
    decimal, groups = (",", [".", " ", "\u00a0", ""]) if comma else (".", [",", " ", "\u00a0", ""])
    delimiter = draw(st.sampled_from([";", "\t", "|", ","] if comma else [",", ";", "\t", "|"]))
    count = draw(st.integers(1, 12))
    meant = []
    rows = []
    for i in range(count):
        qty = draw(st.integers(-80995, 80995))
        thousandths = draw(st.integers(-60_000_000, 60_000_000))
        unit_price = Decimal(thousandths).scaleb(-3)
        needed = max(0, -int(unit_price.normalize().as_tuple().exponent))  # decimals that are not zero
        places = max(needed, draw(st.integers(0, 4)))
        cust = draw(st.one_of(st.none(), st.integers(10000, 99999)))
        # A file with decimal commas shows one somewhere (README: a file without a single comma in its numbers
        # is read with a decimal point): here its first customer id, as the UCI dump writes them (13085,0).
        if comma and i == 0 and cust is None:
            cust = 13085
        point_zero = comma and i == 0 or draw(st.booleans())
        day = draw(st.datetimes(FIRST_DATE, LAST_DATE).map(lambda d: d.replace(microsecond=0)))
        day_text = (
            day.strftime("%Y-%m-%d %H:%M:%S")
            if draw(st.booleans())
            else (day := day.replace(second=0)).strftime("%d/%m/%Y %H:%M")
        )
        pound = "£" if draw(st.booleans()) else ""
        rows.append(
            (
                "536365",
                "85123A",
                "WHITE HANGING HEART",
                _written(Decimal(qty), 0, decimal, draw(st.sampled_from(groups))),
                day_text,
                pound + _written(unit_price, places, decimal, draw(st.sampled_from(groups))),
                "" if cust is None else f"{cust}{decimal}0" if point_zero else str(cust),
                "United Kingdom",
            )
        )
        meant.append((qty, unit_price, cust, day))
    breaks = draw(st.lists(st.sampled_from(LINE_BREAKS), min_size=1, max_size=3))
    return csv_bytes(rows, breaks, delimiter), meant


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(locale_file())
def test_numbers_in_any_locale_load_as_meant_or_the_file_is_refused(
    case: tuple[bytes, list[tuple[int, Decimal, int | None, datetime]]],
) -> None:
    data, meant = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "locale.csv"
        path.write_bytes(data)
        try:
            result = ingest.load_file(path, Path(tmp) / "store.duckdb")
        except LgsError as exc:
            # Only a file whose separators all sit in thousands positions (1,234; 2.550) is refused: it
            # shows no decimal separator. Never a mixed-separator refusal: each file has one locale.
            assert "\n" not in str(exc) and "no number in the file shows" in str(exc), str(exc)
            return
        assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (len(meant), len(meant), 0)
        con = duckdb.connect(str(Path(tmp) / "store.duckdb"), read_only=True)
        try:
            loaded = con.sql(
                "select quantity, unit_price, customer_id, invoice_date from lines order by source_row"
            ).fetchall()
        finally:
            con.close()
    assert loaded == meant  # no value shifted, rounded or misdated


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.one_of(date_words, extreme_dates, junk), min_size=1, max_size=20))
def test_a_date_is_loaded_as_written_within_the_accepted_range_or_quarantined(dates: list[str]) -> None:
    rows = [("536365", "85123A", "X", "6", d, "2.55", "17850", "United Kingdom") for d in dates]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dates.csv"
        path.write_bytes(csv_bytes(rows))
        try:
            result = ingest.load_file(path, Path(tmp) / "store.duckdb")
        except LgsError as exc:
            assert "\n" not in str(exc), str(exc)
            # a NUL among many control bytes: the file looks binary; or no date is one to load: a replace by
            # nothing is refused (the store keeps its data set)
            assert (
                any("\x00" in d for d in dates)
                or "cannot be loaded" in str(exc)
                or "can be loaded" in str(exc)
            ), str(exc)
            return
        con = duckdb.connect(str(Path(tmp) / "store.duckdb"), read_only=True)
        try:
            loaded = con.sql("select source_row, invoice_date from lines").fetchall()
            refused = con.sql("select reason from quarantine").fetchall()
        finally:
            con.close()
    assert result.rows_read == result.rows_loaded + result.rows_quarantined == len(dates)
    for source_row, day in loaded:
        text = dates[source_row - 1].strip()
        assert FIRST_DATE <= day < END_DATE
        assert day == datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    nul = "NUL byte in the line (the file may be damaged)"
    assert {r for (r,) in refused} <= {"unparseable invoice date", OUT_OF_RANGE, "missing invoice date", nul}


control_text = st.text(
    alphabet=st.one_of(st.characters(whitelist_categories=("Cc",)), st.sampled_from("ab ,;\"'")), max_size=10
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(st.tuples(control_text, control_text), min_size=1, max_size=12),
    st.lists(st.sampled_from(LINE_BREAKS), min_size=1, max_size=4),
)
def test_control_characters_and_line_breaks_keep_every_line_and_its_text(
    texts: list[tuple[str, str]], breaks: list[str]
) -> None:
    rows = [
        (
            "536365",
            "85123A",
            description,
            "6",
            "2010-12-01 08:26:00",
            "2.55",
            "17850",
            "United Kingdom" + tail,
        )
        for description, tail in texts
    ]
    data = csv_bytes(rows, breaks)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "control.csv"
        path.write_bytes(data)
        try:
            result = ingest.load_file(path, Path(tmp) / "store.duckdb")
        except LgsError as exc:
            # only a file whose first 4 KB are more control bytes than text, with a NUL, looks binary
            assert "\n" not in str(exc) and b"\x00" in data, str(exc)
            return
        con = duckdb.connect(str(Path(tmp) / "store.duckdb"), read_only=True)
        try:
            loaded = con.sql("select source_row, description, country from lines").fetchall()
            refused = con.sql("select source_row, reason from quarantine").fetchall()
        finally:
            con.close()
    # every line is one row: a CR or LF inside a (quoted) field never splits or joins lines
    assert result.rows_read == result.rows_loaded + result.rows_quarantined == len(rows)
    for source_row, description, country in loaded:
        want_description, tail = texts[source_row - 1]
        assert description == (want_description.strip(" ") or None)
        assert country == ("United Kingdom" + tail).strip(" ")
    for source_row, reason in refused:
        assert "\x00" in "".join(texts[source_row - 1]) and reason.startswith("NUL byte"), reason


# --- analyses on arbitrary (valid) data ---------------------------------------------------------------

valid_line = st.tuples(
    st.integers(0, 40),  # invoice number offset (shared invoices)
    st.booleans().map(lambda c: "C" if c else ""),
    st.sampled_from(["85123A", "22423", "POST", "M"]),
    st.integers(-12, 48).filter(lambda q: q != 0),
    st.integers(0, 700),  # days after 2010-01-01
    st.sampled_from([Decimal("0"), Decimal("0.42"), Decimal("2.55"), Decimal("12.75"), Decimal("165.00")]),
    st.one_of(st.none(), st.integers(12346, 12360)),
    st.sampled_from(["United Kingdom", "France"]),
)


def store_of(lines: list[tuple[object, ...]], tmp: Path) -> duckdb.DuckDBPyConnection:
    rows = []
    for inv, c, code, qty, day, unit_price, cust, ctry in lines:
        quantity = -abs(int(qty)) if c else int(qty)  # type: ignore[call-overload]
        date_text = (datetime(2010, 1, 1) + timedelta(days=int(day))).strftime("%Y-%m-%d 10:00")  # type: ignore[call-overload]
        rows.append(
            (
                f"{c}{536000 + int(inv)}",
                code,
                "x",
                str(quantity),
                date_text,
                str(unit_price),  # type: ignore[call-overload]
                "" if cust is None else str(cust),
                ctry,
            )
        )
    path = tmp / "in.csv"
    path.write_bytes(csv_bytes(rows))  # type: ignore[arg-type]
    ingest.load_file(path, tmp / "store.duckdb")
    return store.connect(tmp / "store.duckdb", read_only=True)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(valid_line, min_size=1, max_size=40), st.sampled_from(["classic", "standard"]))
def test_analyses_reconcile_on_any_data(lines: list[tuple[object, ...]], preset: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        con = store_of(lines, Path(tmp))
        try:
            _check_reconciles(con, preset)
        finally:
            con.close()


def _check_reconciles(con: duckdb.DuckDBPyConnection, preset: str) -> None:
    window = Window()
    monthly = analytics.monthly(con, window, preset)
    total = con.sql("select coalesce(sum(line_amount), 0) from lines").fetchall()[0][0]
    assert sum(monthly["sales"].to_list(), Decimal(0)) == total
    assert (monthly["new_customers"] + monthly["existing_customers"] == monthly["active_customers"]).all()
    result = rfm.rfm(con, window, rfm.RfmParams(preset=preset))
    customers = result.customers
    summary = result.summary()
    assert int(summary["customers"].sum()) == customers.height
    assert customers["customer_id"].n_unique() == customers.height
    for score in ("r", "f", "m"):
        assert customers[score].is_between(1, 5).all()
    assert set(customers["segment"].to_list()) <= set(summary["segment"].to_list())
