"""Pages show money as traders read it, the exact value kept for hover and copy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perpdesk.web.numbers_display import grouped, money, places_of, price, qty


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        ("15002.4384473", 2, "15,002.44"),
        ("0.125", 2, "0.12"),  # half to even, like the server's Decimal
        ("0.135", 2, "0.14"),
        ("-0.004", 2, "0.00"),  # no "-0.00"
        ("1234567", 2, "1,234,567.00"),
        ("99.995", 2, "100.00"),
        ("-1234.5", 2, "-1,234.50"),
    ],
)
def test_grouped_rounds_half_even_with_separators(value: str, places: int, shown: str) -> None:
    assert grouped(Decimal(value), places) == shown


def test_money_keeps_the_exact_value_for_hover_and_copy() -> None:
    html = str(money(Decimal("15002.4384473")))
    assert ">15,002.44</span>" in html
    assert 'data-exact="15002.4384473"' in html
    assert 'title="15002.4384473"' in html
    assert 'data-num="money"' in html


def test_price_and_size_follow_the_instruments_tick() -> None:
    assert places_of("0.10") == 1
    assert places_of("1") == 0
    assert ">95,000.5</span>" in str(price("95000.5", "0.1"))
    assert ">0.000123</span>" in str(price("0.000123456", "0.000001"))
    assert ">1,200</span>" in str(qty("1200", "1"))
    # Without a tick every digit the value has is kept.
    assert ">12.3</span>" in str(price("12.30"))


def test_missing_and_non_numbers_are_shown_safely() -> None:
    assert "—" in str(money(None))
    assert str(money("<b>")) == "&lt;b&gt;"
