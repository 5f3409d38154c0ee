"""Checks of order parameters that several endpoints share; each raises BitMart's error code."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TypedDict

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import ContractSpec
from perpdesk.sandbox.engine.engine_state import EngineState

_COID = re.compile(r"^[A-Za-z0-9]+$")
OPEN_TYPES = ("cross", "isolated")
PRICE_TYPES = (1, 2)  # 1 last price, 2 fair (mark) price


def check_side(side: int) -> None:
    if side not in (1, 2, 3, 4):
        raise errors.SIDE_INVALID(
            f"side {side!r}: 1 buy_open_long, 2 buy_close_short, 3 sell_close_long, 4 sell_open_short"
        )


def check_open_type(open_type: str | None) -> None:
    """None means "the symbol's current setting"."""
    if open_type is not None and open_type not in OPEN_TYPES:
        raise errors.OPEN_TYPE_INVALID(f"open_type {open_type!r}: cross or isolated")


def check_price_type(price_type: int | None, label: str = "price_type") -> None:
    if price_type not in PRICE_TYPES:
        raise errors.INVALID_REQUEST(f"{label} {price_type!r}: 1 last_price, 2 fair_price")


def check_order_type(type: str) -> None:
    if type not in ("limit", "market"):
        raise errors.TYPE_INVALID(f"type {type!r}: limit or market")


def check_leverage(spec: ContractSpec, leverage: Decimal) -> Decimal:
    if not leverage.is_finite() or leverage != leverage.to_integral_value():
        raise errors.LEVERAGE_INVALID(f"leverage {leverage}: a whole number is expected")
    if leverage < spec.min_leverage:
        raise errors.LEVERAGE_TOO_SMALL(f"minimum for {spec.symbol} is {spec.min_leverage}")
    if leverage > spec.max_leverage:
        raise errors.LEVERAGE_TOO_LARGE(f"maximum for {spec.symbol} is {spec.max_leverage}")
    return Decimal(int(leverage))


def check_size(spec: ContractSpec, size: int, market: bool) -> None:
    if isinstance(size, bool) or not isinstance(size, int):
        raise errors.PRECISION_INVALID(f"size {size!r}: whole contracts expected")
    top = spec.market_max_volume if market else spec.max_volume
    if size < spec.min_volume or size > top:
        raise errors.RANGE_INVALID(f"size {size}: allowed {spec.min_volume}..{top} contracts")


def check_price(spec: ContractSpec, price: Decimal | None, what: str = "price") -> Decimal:
    if price is None:
        raise errors.INVALID_REQUEST(f"{what} is required")
    if not price.is_finite() or price <= 0:
        raise errors.RANGE_INVALID(f"{what} {price} must be positive")
    if not spec.on_grid(price):
        raise errors.PRECISION_INVALID(f"{what} {price} is not a multiple of {spec.tick}")
    return price


class PresetPrices(TypedDict, total=False):
    """BitMart's preset TP/SL parameters of submit-order, submit-plan-order and
    modify-preset-plan-order (price type 1 last price, 2 fair price)."""

    preset_take_profit_price: Decimal | None
    preset_take_profit_price_type: int | None
    preset_stop_loss_price: Decimal | None
    preset_stop_loss_price_type: int | None


Preset = tuple[Decimal | None, int | None]  # (price, price type)


def preset_pairs(presets: PresetPrices) -> tuple[Preset, Preset]:
    """(take profit, stop loss), each (price, price type)."""
    tp = (presets.get("preset_take_profit_price"), presets.get("preset_take_profit_price_type"))
    sl = (presets.get("preset_stop_loss_price"), presets.get("preset_stop_loss_price_type"))
    return tp, sl


def check_presets(spec: ContractSpec, tp: Preset, sl: Preset) -> None:
    """Preset take-profit / stop-loss: each optional, its price on the tick grid."""
    for label, (price, ptype) in (("preset_take_profit_price", tp), ("preset_stop_loss_price", sl)):
        if ptype is not None:
            check_price_type(ptype, f"{label}_type")
        if price is not None:
            check_price(spec, price, label)


def check_coid(state: EngineState, uid: str, client_order_id: str | None) -> str:
    """A client_order_id that no live order or plan of uid holds ("" when none is given)."""
    if not client_order_id:
        return ""
    if len(client_order_id) > 32:
        raise errors.CLIENT_ID_LENGTH(f"client_order_id has {len(client_order_id)} characters")
    if not _COID.match(client_order_id):
        raise errors.CLIENT_ID_FORMAT(f"client_order_id {client_order_id!r}")
    live = state.order_coid.get(uid, {}).get(client_order_id)
    if live is not None and state.orders[live].state != 4:
        raise errors.CLIENT_ID_DUPLICATED(f"order {live} is live with this id {client_order_id!r}")
    plan = state.plan_coid.get(uid, {}).get(client_order_id)
    if plan is not None and state.plans[plan].state == 1:
        raise errors.CLIENT_ID_DUPLICATED(
            f"plan order {plan} is live with client_order_id {client_order_id!r}"
        )
    return client_order_id
