"""Local checks of an order against an instrument's rules, before the exchange is asked (and its
rate limit spent) for an order it would refuse: sizes rounded toward zero on the step (never more
than asked), prices to the nearest tick; what still breaks a rule is an InvalidOrder naming the
field and what to do."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from perpdesk.core import instrument_rules as rules
from perpdesk.core.errors import InputError, InvalidOrder
from perpdesk.core.models import Instrument
from perpdesk.core.money import fmt, quantize_down, quantize_nearest


def invalid(field: str, problem: str, next_step: str | None = None) -> InvalidOrder:
    fix = next_step or f"Change the {field.replace('_', ' ')} and submit the order again."
    return InvalidOrder(
        f"{field}: {problem}", reason=f"{field}: {problem}", field=field, problem=problem, next_step=fix
    )


def rule(check: Callable[..., None], *args: Any) -> None:
    """A domain rule (perpdesk.core.instrument_rules), its InputError as an InvalidOrder."""
    try:
        check(*args)
    except InputError as exc:
        raise invalid(exc.field, exc.problem, exc.next_step) from None


def check_size(inst: Instrument, size: Decimal, field: str = "size") -> Decimal:
    if not size.is_finite() or size <= 0:
        raise invalid(field, "must be a positive number of contracts")
    rounded = quantize_down(size, inst.size_step)
    rule(rules.check_size_limits, inst, rounded, field)
    return rounded


def check_price(inst: Instrument, price: Decimal | None, field: str = "price") -> Decimal:
    if price is None:
        raise invalid(field, "a limit order needs a price")
    if not price.is_finite() or price <= 0:
        raise invalid(field, "must be positive")
    rounded = quantize_nearest(price, inst.price_tick)
    if rounded <= 0:
        raise invalid(field, f"rounds to zero on the tick of {fmt(inst.price_tick)}")
    return rounded


def check_leverage(inst: Instrument, leverage: Decimal) -> Decimal:
    rule(rules.check_leverage, inst, leverage)
    return leverage
