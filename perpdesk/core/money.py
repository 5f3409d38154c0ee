"""Exact numbers: prices, sizes and balances are Decimal, never float."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

ZERO = Decimal(0)


def to_decimal(value: object, field: str = "value") -> Decimal:
    """Parse an exact number from str/int/Decimal; floats are refused because they are not exact."""
    if isinstance(value, bool):
        raise TypeError(f"{field}: expected a number, got a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{field}: is not a number") from None
    else:
        raise TypeError(f"{field}: expected a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{field}: is not a finite number")
    return result


def quantize_down(value: Decimal, step: Decimal) -> Decimal:
    """Round toward zero to a multiple of step (sizes: never send more than asked)."""
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def quantize_nearest(value: Decimal, step: Decimal) -> Decimal:
    """Round to the nearest multiple of step (prices on a tick grid)."""
    return (value / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step


def fmt(value: Decimal) -> str:
    """Exact wire string without exponent notation."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
