"""Exact numbers: prices, sizes and balances are Decimal, never float."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

ZERO = Decimal(0)


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
