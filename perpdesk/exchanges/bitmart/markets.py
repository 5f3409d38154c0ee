"""Contract rules cached from /contract/public/details; orders are checked and rounded before sending.

Rounding and the local checks as for every exchange (perpdesk.exchanges.common.order_checks); on
top, BitMart's client-id rule and its risk-limit tiers (leverage brackets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perpdesk.core import instrument_rules as rules
from perpdesk.core.models import Instrument, OrderRequest, OrderType, TimeInForce
from perpdesk.core.money import fmt
from perpdesk.exchanges.bitmart.parse import SIDE_CODES
from perpdesk.exchanges.common.instrument_cache import InstrumentCache
from perpdesk.exchanges.common.order_checks import check_leverage, check_price, check_size, invalid, rule

CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9]{1,31}$")  # BitMart: letters and digits, under 32
MODE_CODES = {TimeInForce.GTC: 1, TimeInForce.FOK: 2, TimeInForce.IOC: 3, TimeInForce.POST_ONLY: 4}
# Hot-path forms: keyed by the members' string values (an Enum's __hash__ is Python code) and
# members as module names (attribute access through an Enum class is slow on 3.11).
_SIDE_BY_VALUE = {side._value_: code for side, code in SIDE_CODES.items()}
_MODE_BY_VALUE = {tif._value_: code for tif, code in MODE_CODES.items()}
_LIMIT = OrderType.LIMIT
_POST_ONLY = TimeInForce.POST_ONLY
_FOK_IOC = (TimeInForce.FOK._value_, TimeInForce.IOC._value_)


@dataclass(frozen=True, slots=True)
class LeverageBracket:
    """A risk-limit tier: positions with notional in [floor, cap) may use up to max_leverage."""

    bracket: int
    max_leverage: Decimal
    notional_floor: Decimal
    notional_cap: Decimal
    maint_margin_ratio: Decimal


def parse_brackets(data: Any) -> dict[str, list[LeverageBracket]]:
    entries = data.get("rules", []) if isinstance(data, dict) else []
    result: dict[str, list[LeverageBracket]] = {}
    for entry in entries:
        tiers = []
        for b in entry.get("brackets", []):
            try:
                tiers.append(LeverageBracket(
                    int(b["bracket"]), Decimal(str(b["initial_leverage"])), Decimal(str(b["notional_floor"])),
                    Decimal(str(b["notional_cap"])), Decimal(str(b.get("maint_margin_ratio", "0")))))
            except (KeyError, ValueError, ArithmeticError):
                continue
        if tiers and entry.get("symbol"):
            result[str(entry["symbol"])] = sorted(tiers, key=lambda t: t.notional_floor)
    return result


def check_bracket(inst: Instrument, brackets: list[LeverageBracket], leverage: Decimal, size: Decimal,
                  price: Decimal | None) -> None:
    """Refuse a leverage above the tier the order's notional falls in (BitMart's risk limits)."""
    ref = price if price is not None else inst.last_price
    if ref is None or not brackets:
        return
    notional = size * inst.contract_size * ref
    tier = brackets[-1]
    for b in brackets:
        if notional < b.notional_cap:
            tier = b
            break
    if leverage > tier.max_leverage:
        raise invalid("leverage", f"{fmt(leverage)}x is above {fmt(tier.max_leverage)}x, the maximum for a "
                      f"{fmt(notional.quantize(Decimal(1)))} {inst.quote} position in {inst.symbol} "
                      f"(risk-limit tier {tier.bracket})")


class MarketCache(InstrumentCache):
    def __init__(self, ttl_s: float = 300.0) -> None:
        super().__init__(ttl_s)
        self.brackets: dict[str, list[LeverageBracket]] = {}


def wire_size(size: Decimal) -> int | str:
    return int(size) if size == size.to_integral_value() else fmt(size)


def submit_params(inst: Instrument, order: OrderRequest,
                  brackets: list[LeverageBracket] | None = None) -> dict[str, Any]:
    """The submit-order body for a valid order, rounded to the contract's grid."""
    cid = order.client_order_id
    if not (0 < len(cid) < 32 and cid.isascii() and cid.isalnum()):  # = CLIENT_ORDER_ID, faster
        raise invalid("client_order_id", "must be 1-31 letters and digits (BitMart's rule)")
    kind = order.type
    tif = order.time_in_force
    params: dict[str, Any] = {
        "symbol": inst.symbol,
        "client_order_id": cid,
        "side": _SIDE_BY_VALUE[order.side._value_],
        "type": kind._value_,
    }
    price: Decimal | None = None
    if kind is _LIMIT:
        price = check_price(inst, order.price)
        params["price"] = fmt(price)
        params["mode"] = _MODE_BY_VALUE[tif._value_]
    elif tif._value_ in _FOK_IOC:
        params["mode"] = _MODE_BY_VALUE[tif._value_]
    else:
        rule(rules.check_shape, order)
    size = check_size(inst, order.size)
    params["size"] = wire_size(size)
    leverage = order.leverage
    if leverage is not None:
        params["leverage"] = fmt(check_leverage(inst, leverage))
        if brackets:
            check_bracket(inst, brackets, leverage, size, price)
    if order.margin_mode is not None:
        params["open_type"] = order.margin_mode._value_
    if order.take_profit is not None:
        params["preset_take_profit_price"] = fmt(check_price(inst, order.take_profit, "take_profit"))
        params["preset_take_profit_price_type"] = 1
    if order.stop_loss is not None:
        params["preset_stop_loss_price"] = fmt(check_price(inst, order.stop_loss, "stop_loss"))
        params["preset_stop_loss_price_type"] = 1
    return params
