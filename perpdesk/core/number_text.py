"""Money, prices and sizes as traders read them, as plain text: thousands separators and the
currency's usual decimals (or the instrument's tick). Rounding is Decimal half-even. The pages
(web/numbers_display.py) and the notification texts share it; the API and CSV keep exact strings.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CURRENCY_DECIMALS = {"USDT": 2, "USDC": 2, "USD": 2, "BTC": 8, "ETH": 6}


def to_decimal(value: object) -> Decimal | None:
    """`value` as a finite Decimal, or None (missing, not a number)."""
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def places_of(step: object) -> int | None:
    """Decimals of a tick or step ("0.10" → 1); None when it is not a number."""
    number = to_decimal(step)
    if number is None:
        return None
    return max(0, -number.normalize().as_tuple().exponent)  # type: ignore[operator]


def grouped(value: Decimal, places: int) -> str:
    """`value` rounded half-even to `places` decimals, with thousands separators."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if rounded.is_zero():
        rounded = abs(rounded)
    return f"{rounded:,.{places}f}"


def money_text(value: object, currency: str = "USDT") -> str:
    """"15,002.44" for 15002.4384473 USDT; a value that is not a number as it came."""
    number = to_decimal(value)
    return str(value) if number is None else grouped(number, CURRENCY_DECIMALS.get(currency, 2))


def price_text(value: object, tick: object = None) -> str:
    """A price at the instrument's tick ("3,512.50" at 0.01), else with its own decimals."""
    number = to_decimal(value)
    if number is None:
        return str(value)
    places = places_of(tick)
    return grouped(number, places if places is not None else places_of(number) or 0)
