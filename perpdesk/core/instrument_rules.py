"""A contract's trading rules (size limits and step, price tick, leverage range, order shape), once.

Each check raises InputError naming the field, what is wrong and what to do. The services check a
ticket with them before anything is stored or sent; the connector reuses them for orders built
in code (rounding to the grid first, and turning the error into the exchange's InvalidOrder).
"""

from __future__ import annotations

from decimal import Decimal

from perpdesk.core.errors import InputError
from perpdesk.core.models import Instrument, OrderRequest, OrderSide, OrderType, TimeInForce
from perpdesk.core.money import fmt


def on_grid(value: Decimal, step: Decimal) -> bool:
    return step <= 0 or (value / step) == (value / step).to_integral_value()


def check_size_limits(inst: Instrument, size: Decimal, field: str = "size") -> None:
    if size < inst.min_size:
        raise InputError(
            field,
            f"is below {inst.symbol}'s minimum of {fmt(inst.min_size)}",
            f"Order at least {fmt(inst.min_size)} contracts "
            f"(1 contract = {fmt(inst.contract_size)} {inst.base}).",
        )
    if size > inst.max_size:
        raise InputError(
            field,
            f"is above {inst.symbol}'s maximum of {fmt(inst.max_size)}",
            "Split the order or reduce the size.",
        )


def check_size_step(inst: Instrument, size: Decimal, field: str = "size") -> None:
    if not on_grid(size, inst.size_step):
        raise InputError(
            field,
            f"is not a multiple of {inst.symbol}'s size step {fmt(inst.size_step)}",
            f"Enter the size in steps of {fmt(inst.size_step)} contracts.",
        )


def check_tick(inst: Instrument, price: Decimal, field: str = "price", label: str = "price") -> None:
    if not on_grid(price, inst.price_tick):
        raise InputError(
            field,
            f"is not on {inst.symbol}'s price tick of {fmt(inst.price_tick)}",
            f"Enter the {label} in steps of {fmt(inst.price_tick)}.",
        )


def check_leverage(inst: Instrument, leverage: Decimal) -> None:
    if not (inst.min_leverage <= leverage <= inst.max_leverage):
        raise InputError(
            "leverage",
            f"is outside {inst.symbol}'s range "
            f"{fmt(inst.min_leverage)}x-{fmt(inst.max_leverage)}x",
            f"Choose a leverage between {fmt(inst.min_leverage)} and {fmt(inst.max_leverage)}.",
        )


def check_shape(req: OrderRequest) -> None:
    if req.type is OrderType.MARKET and req.time_in_force is TimeInForce.POST_ONLY:
        raise InputError(
            "time_in_force",
            "a market order cannot be post-only",
            "Choose GTC, IOC or FOK for a market order, or make it a limit order.",
        )


def check_order(inst: Instrument, req: OrderRequest) -> None:
    """Every rule for one order, exactly (nothing rounded): the ticket as the trader typed it."""
    check_size_limits(inst, req.size)
    check_size_step(inst, req.size)
    for name, label, price in (
        ("price", "price", req.price),
        ("take_profit", "take-profit price", req.take_profit),
        ("stop_loss", "stop-loss price", req.stop_loss),
    ):
        if price is not None:
            check_tick(inst, price, name, label)
    if req.leverage is not None:
        check_leverage(inst, req.leverage)
    check_shape(req)
    # TP/SL against a limit price only: a market order's reference (the cached last price) may
    # be stale, so there the exchange judges the trigger prices.
    ref = req.price
    if ref is None:
        return
    buying = req.side in (OrderSide.BUY_OPEN_LONG, OrderSide.BUY_CLOSE_SHORT)
    if req.take_profit is not None and (req.take_profit <= ref if buying else req.take_profit >= ref):
        raise InputError(
            "take_profit",
            f"a take-profit of {fmt(req.take_profit)} would trigger at once "
            f"against the order price {fmt(ref)}",
            "Set the take-profit above the price for a long, below it for a short.",
        )
    if req.stop_loss is not None and (req.stop_loss >= ref if buying else req.stop_loss <= ref):
        raise InputError(
            "stop_loss",
            f"a stop-loss of {fmt(req.stop_loss)} would trigger at once "
            f"against the order price {fmt(ref)}",
            "Set the stop-loss below the price for a long, above it for a short.",
        )
