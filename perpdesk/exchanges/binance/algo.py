"""Binance's conditional orders through the algo order API (POST/GET/DELETE /fapi/v1/algoOrder,
openAlgoOrders): position TP/SL (STOP_MARKET / TAKE_PROFIT_MARKET with closePosition), trigger
(plan) orders (STOP / TAKE_PROFIT, limit or market) and trailing stops (TRAILING_STOP_MARKET).

Each carries a client algo id; one whose answer was lost is looked up by it, and not found stays
`unknown`, never "rejected". Binance cannot modify an algo order: a TP/SL is moved by cancelling
it and placing its replacement.

Binance's open-algo-order list and query leave out a trailing stop's activatePrice and
callbackRate (only the placement's answer has them): listed here as 0 and no callback rate, the
platform gives them from the trail's stored intent, which every process reads
(services/trading/trail_terms.py), not from what this process happened to place.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perpdesk.core.errors import ExchangeError, MaybeApplied, OrderNotFound, UnknownOutcome
from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import (
    Credentials,
    OrderRequest,
    OrderResult,
    OrderSide,
    PlacementStatus,
    PositionSide,
    new_client_order_id,
)
from perpdesk.core.money import fmt
from perpdesk.core.terminal import PlanRequest, PriceType, TrailRequest
from perpdesk.exchanges.binance import parse
from perpdesk.exchanges.binance.markets import check_client_id
from perpdesk.exchanges.binance.settle import look_up
from perpdesk.exchanges.common.order_checks import check_price, check_size, invalid

if TYPE_CHECKING:
    from perpdesk.exchanges.binance.markets import Markets
    from perpdesk.exchanges.binance.modes import AccountModes
    from perpdesk.exchanges.binance.rest import BinanceRest

ALGO = "/fapi/v1/algoOrder"
OPEN_ALGOS = "/fapi/v1/openAlgoOrders"
WORKING = {PriceType.LAST: "CONTRACT_PRICE", PriceType.MARK: "MARK_PRICE"}
MIN_CALLBACK, MAX_CALLBACK = Decimal("0.1"), Decimal("10")

log = logging.getLogger(__name__)


def plan_type(side: OrderSide, rising: bool, market: bool) -> str:
    """A buy that fires on a rise (or a sell on a fall) is a STOP, the others TAKE_PROFIT."""
    buy = side in (OrderSide.BUY_OPEN_LONG, OrderSide.BUY_CLOSE_SHORT)
    return ("STOP" if buy == rising else "TAKE_PROFIT") + ("_MARKET" if market else "")


class AlgoDesk:
    def __init__(
        self,
        rest: BinanceRest,
        markets: Markets,
        modes: AccountModes,
        *,
        settle_attempts: int = 4,
        settle_delay_s: float = 0.25,
    ) -> None:
        self.rest = rest
        self.markets = markets
        self.modes = modes
        self.settle_attempts = settle_attempts
        self.settle_delay_s = settle_delay_s

    async def _sides(self, creds: Credentials, side: OrderSide) -> dict[str, Any]:
        return parse.wire_side(side, await self.modes.hedge(creds))

    async def _close_side(self, creds: Credentials, position: PositionSide) -> dict[str, Any]:
        params = {"side": "SELL" if position is PositionSide.LONG else "BUY"}
        if await self.modes.hedge(creds):
            params["positionSide"] = position.value.upper()
        return params

    async def submit(self, creds: Credentials, params: dict[str, Any], cid: str) -> OrderResult:
        params = {"algoType": "CONDITIONAL", **params, "clientAlgoId": check_client_id(cid)}
        try:
            data = await self.rest.call("POST", ALGO, params, creds, orders=1, order_endpoint=True)
        except MaybeApplied as exc:
            return await self._settle(creds, params["symbol"], cid, exc)
        except ExchangeError as exc:
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc)
        algo_id = str(data["algoId"]) if isinstance(data, dict) and data.get("algoId") is not None else None
        return OrderResult(PlacementStatus.PLACED, cid, order_id=algo_id)

    async def _settle(self, creds: Credentials, symbol: str, cid: str, cause: Exception) -> OrderResult:
        async def find() -> str | None:
            try:
                row = await self.rest.call("GET", ALGO, {"clientAlgoId": cid}, creds, order_endpoint=True)
            except OrderNotFound:
                return None
            return str(row["algoId"]) if isinstance(row, dict) and row.get("algoId") is not None else None

        algo_id = await look_up(find, self.settle_attempts, self.settle_delay_s)
        if algo_id is not None:
            return OrderResult(PlacementStatus.PLACED, cid, order_id=algo_id)
        return OrderResult(
            PlacementStatus.UNKNOWN,
            cid,
            error=UnknownOutcome(
                f"Binance did not answer the conditional order {cid} ({cause}); it may have been placed.",
                client_order_id=cid,
            ),
        )

    async def set_tp_sl(
        self,
        creds: Credentials,
        symbol: str,
        side: PositionSide,
        *,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
        price_type: PriceType = PriceType.LAST,
        replace: bool = True,
    ) -> list[OrderResult]:
        """The position's TP and/or SL as closePosition algo orders. One of a kind per position
        side, as Binance allows (a second is -4130): with `replace`, the waiting one of each kind
        set here is cancelled first, as setting a position's TP/SL means."""
        if take_profit is None and stop_loss is None:
            raise invalid("take_profit", "give a take-profit or a stop-loss price (or both)")
        inst = await self.markets.instrument(symbol)
        closing = await self._close_side(creds, side)
        if replace:
            wanted = ((PlanKind.TAKE_PROFIT, take_profit), (PlanKind.STOP_LOSS, stop_loss))
            await self._cancel_tp_sl(creds, symbol, side, {k for k, p in wanted if p is not None})
        calls = []
        for kind, price, field in (
            ("TAKE_PROFIT_MARKET", take_profit, "take_profit"),
            ("STOP_MARKET", stop_loss, "stop_loss"),
        ):
            if price is not None:
                trigger = fmt(check_price(inst, price, field))
                calls.append(
                    self.submit(
                        creds,
                        {
                            "symbol": symbol,
                            "type": kind,
                            **closing,
                            "triggerPrice": trigger,
                            "closePosition": True,
                            "workingType": WORKING[price_type],
                        },
                        new_client_order_id(),
                    )
                )
        results = await asyncio.gather(*calls)
        for r in results:
            if r.status is PlacementStatus.REJECTED and r.error is not None:
                raise r.error
        return list(results)

    async def attach_to_entry(self, creds: Credentials, order: OrderRequest) -> None:
        """Binance attaches no TP/SL to an order (BitMart's preset prices): once a market entry
        has filled, its TP/SL become closePosition algo orders on the position it opened. If
        Binance refuses them the entry stands (it has filled): logged, and the position shows
        no TP/SL, where the trader sets them."""
        side = PositionSide.LONG if order.side is OrderSide.BUY_OPEN_LONG else PositionSide.SHORT
        try:
            await self.set_tp_sl(
                creds, order.symbol, side, take_profit=order.take_profit, stop_loss=order.stop_loss
            )
        except ExchangeError as exc:
            log.warning(
                "TP/SL of entry %s not placed: %s", order.client_order_id, type(exc).__name__,
                extra={"symbol": order.symbol, "reason": str(exc)},
            )

    async def _cancel_tp_sl(
        self, creds: Credentials, symbol: str, side: PositionSide, kinds: set[PlanKind]
    ) -> None:
        closing = OrderSide.SELL_CLOSE_LONG if side is PositionSide.LONG else OrderSide.BUY_CLOSE_SHORT
        for p in await self.plan_orders(creds, symbol):
            if p.kind in kinds and p.side is closing:
                await self.cancel(creds, symbol, p.order_id)

    async def plan_orders(self, creds: Credentials, symbol: str | None = None) -> list[PlanOrder]:
        data = await self.rest.call("GET", OPEN_ALGOS, {"symbol": symbol} if symbol else None, creds)
        rows = [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
        return [parse.plan_order(r) for r in rows]

    async def tp_sl_triggers(
        self, creds: Credentials, symbol: str
    ) -> list[tuple[str, PositionSide, Decimal]]:
        out = []
        for p in await self.plan_orders(creds, symbol):
            if p.kind in (PlanKind.TAKE_PROFIT, PlanKind.STOP_LOSS):
                side = PositionSide.LONG if p.side is OrderSide.SELL_CLOSE_LONG else PositionSide.SHORT
                out.append((p.kind.value, side, p.trigger_price))
        return out

    async def place_plan(self, creds: Credentials, req: PlanRequest) -> OrderResult:
        try:
            inst = await self.markets.instrument(req.symbol)
            size = check_size(inst, req.size)
            trigger = check_price(inst, req.trigger_price, "trigger_price")
            market = req.executive_price is None
            params: dict[str, Any] = {
                "symbol": inst.symbol,
                "type": plan_type(req.side, req.rising, market),
                **await self._sides(creds, req.side),
                "quantity": fmt(size),
                "triggerPrice": fmt(trigger),
                "workingType": WORKING[req.price_type],
            }
            if not market:
                params.update(
                    price=fmt(check_price(inst, req.executive_price, "executive_price")), timeInForce="GTC"
                )
            await self.modes.ensure(creds, inst.symbol, req.leverage, req.margin_mode)
        except ExchangeError as exc:
            return OrderResult(PlacementStatus.REJECTED, req.client_order_id, error=exc)
        return await self.submit(creds, params, req.client_order_id)

    async def place_trail(self, creds: Credentials, req: TrailRequest) -> OrderResult:
        cid = req.client_order_id or new_client_order_id()  # the platform's: its intent is found by it
        try:
            inst = await self.markets.instrument(req.symbol)
            if not MIN_CALLBACK <= req.callback_rate <= MAX_CALLBACK:
                raise invalid(
                    "callback_rate", f"must be {MIN_CALLBACK} to {MAX_CALLBACK} (percent) on Binance"
                )
            params = {
                "symbol": inst.symbol,
                "type": "TRAILING_STOP_MARKET",
                **await self._sides(creds, req.side),
                "quantity": fmt(check_size(inst, req.size)),
                "activatePrice": fmt(check_price(inst, req.activation_price, "activation_price")),
                "callbackRate": fmt(req.callback_rate),
                "workingType": WORKING[req.price_type],
            }
            await self.modes.ensure(creds, inst.symbol, req.leverage, req.margin_mode)
        except ExchangeError as exc:
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc)
        return await self.submit(creds, params, cid)

    async def cancel(self, creds: Credentials, symbol: str, order_id: str) -> None:
        await self.rest.call(
            "DELETE", ALGO, {"symbol": symbol, "algoId": order_id}, creds, order_endpoint=True
        )

    async def modify_tp_sl(
        self,
        creds: Credentials,
        symbol: str,
        order_id: str,
        trigger_price: Decimal,
        *,
        price_type: PriceType = PriceType.LAST,
    ) -> None:
        found = [p for p in await self.plan_orders(creds, symbol) if p.order_id == order_id]
        if not found or found[0].kind not in (PlanKind.TAKE_PROFIT, PlanKind.STOP_LOSS):
            raise OrderNotFound(
                "Binance has no such waiting take-profit or stop-loss.",
                next_step="Refresh the orders: it may have fired or been cancelled.",
            )
        plan = found[0]
        side = PositionSide.LONG if plan.side is OrderSide.SELL_CLOSE_LONG else PositionSide.SHORT
        await self.cancel(creds, symbol, order_id)
        key = "take_profit" if plan.kind is PlanKind.TAKE_PROFIT else "stop_loss"
        await self.set_tp_sl(
            creds, symbol, side, price_type=price_type, replace=False, **{key: trigger_price}
        )
