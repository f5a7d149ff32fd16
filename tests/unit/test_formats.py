"""One text formatter: the same figure reads the same on a card, in a table, in the report and in the CLI."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from lgs_core import formats


@pytest.mark.parametrize(
    ("value", "places", "short", "text"),
    [
        (Decimal("1234567.891"), 0, False, "£1,234,568"),
        (Decimal("456.789"), 2, False, "£456.79"),
        (Decimal("-12.5"), 2, False, "-£12.50"),
        (Decimal("-14"), 0, False, "-£14"),
        (Decimal("2.5"), 0, False, "£2"),  # half-even, as the store's DECIMAL rounds
        (Decimal("5"), None, False, "£5"),
        (Decimal("5.5"), None, False, "£5.50"),
        (Decimal("-0.001"), 2, False, "£0.00"),
        (Decimal("22504802.34"), 0, True, "£22.50M"),
        (Decimal("-1000000"), 0, True, "-£1.00M"),
        (Decimal("999999.99"), 0, True, "£1,000,000"),
        (0.5, 2, False, "£0.50"),
        (Fraction(1, 3), 2, False, "£0.33"),
        (None, 0, False, "–"),
    ],
)
def test_money(value: formats.Number | None, places: int | None, short: bool, text: str) -> None:
    assert formats.money(value, places=places, short=short) == text


def test_money_is_exact_beyond_a_float() -> None:
    # 2**53 + 1 pence as pounds: a float would drop the last penny.
    assert formats.money(Decimal("90071992547409.93"), places=2) == "£90,071,992,547,409.93"


def test_one_minus_sign_everywhere() -> None:
    texts = [formats.money(Decimal(-3)), formats.signed(-14.2, 0), formats.signed(-1.25, 1, " pp")]
    assert texts == ["-£3", "-14%", "-1.2 pp"]
    assert not any("−" in text for text in texts)  # no Unicode minus: a card reads "-" as a fall


@pytest.mark.parametrize(
    ("value", "places", "unit", "text"),
    [
        (12.46, 1, "%", "+12.5%"),
        (0.04, 1, "%", "0%"),
        (-0.04, 1, " pp", "0 pp"),
        (0.4, 0, "%", "0%"),
        (35.6, 0, "%", "+36%"),
        (2.0, 1, " pp", "+2.0 pp"),
        (None, 1, "%", "–"),
    ],
)
def test_signed_changes(value: float | None, places: int, unit: str, text: str) -> None:
    assert formats.signed(value, places, unit) == text


def test_counts_percentages_and_plain_numbers() -> None:
    assert formats.count(12345) == "12,345"
    assert formats.count(12.5) == "12.5"
    assert formats.count(None) == "–"
    assert formats.percent(12.345) == "12.3%"
    assert formats.number(1000) == "1,000"
    assert formats.number(Fraction(1, 8)) == "0.125"
    assert formats.number(Fraction(10, 3)) == "3.333"
    assert formats.number(Decimal("1234.500")) == "1,234.5"
    assert formats.number(-0.0001) == "0"


def test_percent_change() -> None:
    assert formats.percent_change(Decimal(110), Decimal(100)) == pytest.approx(10)
    assert formats.percent_change(-50, -100) == pytest.approx(50)
    assert formats.percent_change(1, 0) is None
    assert formats.percent_change(None, 1) is None
