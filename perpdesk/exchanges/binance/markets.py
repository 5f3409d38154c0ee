"""Binance's symbol rules (exchangeInfo) cached, and a new order's parameters built from them.

Rounding as for every exchange (perpdesk.exchanges.common.order_checks); on top, Binance's
MIN_NOTIONAL: an order that opens must be worth at least the symbol's minimum (USDT), checked
here when its price is known so Binance is not asked for an order it refuses (-4164).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perpdesk.core import instrument_rules as rules
from perpdesk.core.models import Instrument, OrderRequest, OrderSide, OrderType, TimeInForce
from perpdesk.core.money import fmt
from perpdesk.exchanges.binance.parse import instrument, min_notional, wire_side
from perpdesk.exchanges.common.instrument_cache import InstrumentCache
from perpdesk.exchanges.common.order_checks import check_leverage, check_price, check_size, invalid, rule

if TYPE_CHECKING:
    from perpdesk.exchanges.binance.rest import BinanceRest

TIME_IN_FORCE = {
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.POST_ONLY: "GTX",
}
_OPENING = (OrderSide.BUY_OPEN_LONG, OrderSide.SELL_OPEN_SHORT)
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:/_-")


class MarketCache(InstrumentCache):
    def __init__(self, ttl_s: float = 300.0) -> None:
        super().__init__(ttl_s)
        self.min_notional: dict[str, Decimal] = {}

    def replace(self, instruments: list[Instrument], min_notional: dict[str, Decimal] | None = None) -> None:
        self.min_notional = min_notional or {}
        super().replace(instruments)


def check_client_id(cid: str, field: str = "client_order_id") -> str:
    plain = cid.isascii() and cid.isalnum()  # the platform's ids: no set built on the hot path
    if not (0 < len(cid) <= 36 and (plain or set(cid) <= _ID_CHARS)):
        raise invalid(field, "must be 1-36 letters, digits or . : / _ - (Binance's rule)")
    return cid


def check_notional(inst: Instrument, minimum: Decimal | None, size: Decimal, price: Decimal | None) -> None:
    if not minimum or price is None or size * price >= minimum:
        return
    raise invalid(
        "size",
        f"the order is worth less than {inst.symbol}'s minimum of {fmt(minimum)} {inst.quote}",
        f"Order at least {fmt(minimum)} {inst.quote} worth (size × price).",
    )


def order_params(
    inst: Instrument, order: OrderRequest, hedge: bool, minimum: Decimal | None
) -> dict[str, Any]:
    """POST /fapi/v1/order's parameters for a valid order, rounded to the symbol's grid."""
    params: dict[str, Any] = {"symbol": inst.symbol, **wire_side(order.side, hedge)}
    market_entry = order.type is OrderType.MARKET and order.side in _OPENING
    if (order.take_profit or order.stop_loss) and not market_entry:
        # placed after the fill (algo.attach_to_entry): a resting order has no position to guard yet
        raise invalid(
            "take_profit" if order.take_profit else "stop_loss",
            "Binance takes a take profit or stop loss with a market order that opens a position only",
            "Send the limit order without TP/SL, and set them on the position once it has filled.",
        )
    size = check_size(inst, order.size)
    price: Decimal | None = None
    if order.type is OrderType.LIMIT:
        price = check_price(inst, order.price)
        params.update(type="LIMIT", timeInForce=TIME_IN_FORCE[order.time_in_force])
    else:
        rule(rules.check_shape, order)
        params["type"] = "MARKET"
    params["quantity"] = fmt(size)
    if price is not None:
        params["price"] = fmt(price)
    params["newClientOrderId"] = check_client_id(order.client_order_id)
    if order.side in _OPENING:
        check_notional(inst, minimum, size, price if price is not None else inst.last_price)
    if order.leverage is not None:
        check_leverage(inst, order.leverage)
    return params


class Markets:
    """The symbols' rules, loaded from exchangeInfo at most once per `ttl_s` (one load at a time)."""

    def __init__(self, rest: BinanceRest, ttl_s: float = 300.0) -> None:
        self.rest = rest
        self.cache = MarketCache(ttl_s)
        self._lock = asyncio.Lock()

    async def all(self) -> list[Instrument]:
        if not self.cache.fresh:
            await self.load(force=False)
        return self.cache.all()

    async def reload(self) -> None:
        await self.load(force=True)

    async def load(self, *, force: bool) -> None:
        async with self._lock:
            if self.cache.fresh and not force:
                return
            data = await self.rest.call("GET", "/fapi/v1/exchangeInfo", None, None, signed=False)
            rows = [
                r
                for r in (data.get("symbols", []) if isinstance(data, dict) else [])
                if isinstance(r, dict)
                and r.get("symbol")
                and r.get("contractType", "PERPETUAL") == "PERPETUAL"
                and r.get("status", "TRADING") == "TRADING"
            ]
            self.cache.replace(
                [instrument(r) for r in rows], {str(r["symbol"]): min_notional(r) for r in rows}
            )

    async def instrument(self, symbol: str) -> Instrument:
        inst = await self.cache.find(symbol, self.reload)
        if inst is None:
            raise invalid("symbol", "is not a Binance USDⓈ-M perpetual", "Choose a symbol Binance lists.")
        return inst
