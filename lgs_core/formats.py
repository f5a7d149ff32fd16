"""The one text formatter: numbers as every page, the report, the CLI and the exports' notes write them (#17).

One convention throughout:
- money in pounds, exact: ``money(Decimal("-1234.5"))`` → "-£1,235"; ``places=2`` → "-£1,234.50";
  ``places=None`` → whole pounds when whole, else pence ("£5", "£5.50"); ``short=True`` → "£22.50M" from £1M;
- the minus is ASCII "-" everywhere: Streamlit reads a card's delta starting with "-" as a fall, and a person
  pasting a figure into a spreadsheet gets a number, not text;
- counts with thousands separators ("12,345"; a median of counts may be "12.5");
- a share as a percent ("12.5%"); a change signed ("+12.5%", "-14%", "+1.2 pp"), and a change that rounds to
  nothing "0%" or "0 pp", unsigned: neither good nor bad news;
- "–" (an en dash) for a figure that is unknown or not comparable.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

Number = Decimal | int | float | Fraction

UNKNOWN = "–"


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value))  # a float by its shortest repr: 0.1 is 0.1, not 0.1000000000000000055…


def _whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def money(value: Number | None, *, places: int | None = 0, short: bool = False) -> str:
    """Pounds: "£1,235" (``places=0``), "£1,234.50" (2), whole-or-pence (None); "£22.50M" with ``short`` from
    £1M (a narrow card); "–" when unknown. Exact: Decimals are rounded half-even, never through a float."""
    if value is None:
        return UNKNOWN
    amount = _decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if short and amount >= 1_000_000:
        return f"{sign}£{amount / 1_000_000:,.2f}M"
    if places is None:
        places = 0 if _whole(amount) else 2
    text = f"{amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN):,.{places}f}"
    if sign and set(text) <= set("0.,"):
        sign = ""  # -£0.001 shows as £0.00, not "-£0.00"
    return f"{sign}£{text}"


def count(value: Number | None) -> str:
    """A count: "12,345"; a non-whole one (a median of counts) "12.5"; "–" when unknown."""
    if value is None:
        return UNKNOWN
    number = _decimal(value)
    return f"{number:,.0f}" if _whole(number) else f"{number:,.1f}"


def number(value: Number | None, places: int = 3) -> str:
    """A plain number as a person writes it, to at most ``places`` decimals: "1,000", "2.5", "3.333"; "–"
    when unknown. Exact: a Fraction cut point is rounded half-even, never through a float."""
    if value is None:
        return UNKNOWN
    amount = _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = f"{amount:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(value: float | None, places: int = 1) -> str:
    """A share already in percent: 12.5 → "12.5%"; "–" when unknown."""
    return UNKNOWN if value is None else f"{value:.{places}f}%"


def signed(value: float | None, places: int = 1, unit: str = "%") -> str:
    """A change: "+12.5%", "-14%" (``places=0``), "+1.2 pp" (``unit=" pp"``); "0%" ("0 pp") when it rounds
    to nothing at ``places``; "–" when not comparable."""
    if value is None:
        return UNKNOWN
    shown = round(value, places)
    if shown == 0:
        return f"0{unit}"
    return f"{'+' if shown > 0 else '-'}{abs(shown):.{places}f}{unit}"


def percent_change(value: Number | None, previous: Number | None) -> float | None:
    """(value − previous) ÷ |previous| × 100; None when either is unknown or previous is 0."""
    if value is None or previous is None or previous == 0:
        return None
    return float((_decimal(value) - _decimal(previous)) / abs(_decimal(previous)) * 100)
