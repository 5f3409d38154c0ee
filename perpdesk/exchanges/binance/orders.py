"""Binance's order calls: place (settled by client order id when the answer is lost), look up,
cancel, amend (modify), list, and close a whole position.

A new order carries the platform's client order id as `newClientOrderId`. A submit that may
have reached Binance without an answer is looked up by that id (GET /fapi/v1/order finds an
order in any state); not finding it proves nothing until its recvWindow has closed
(`decided_after_ms`), so the outcome is `unknown`, never rejected and never resent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perpdesk.core.errors import ExchangeError, MaybeApplied, OrderNotFound, UnknownOutcome
from perpdesk.core.models import (
    Credentials,
    Order,
    OrderRequest,
    OrderResult,
    OrderSide,
    OrderType,
    PlacementStatus,
    Position,
    PositionSide,
    new_client_order_id,
)
from perpdesk.core.money import fmt
from perpdesk.exchanges.binance import parse
from perpdesk.exchanges.binance.codes import POSITION_SIDE_MISMATCH
from perpdesk.exchanges.binance.markets import order_params
from perpdesk.exchanges.binance.rest import Sent
from perpdesk.exchanges.binance.settle import look_up
from perpdesk.exchanges.common.order_checks import check_price, check_size, invalid

if TYPE_CHECKING:
    from perpdesk.exchanges.binance.markets import Markets
    from perpdesk.exchanges.binance.modes import AccountModes
    from perpdesk.exchanges.binance.rest import BinanceRest

ORDER = "/fapi/v1/order"
PositionsReader = Callable[[Credentials, str | None], Awaitable[list[Position]]]


def _id_params(symbol: str, order_id: str | None, client_order_id: str | None) -> dict[str, Any]:
    if order_id is None and client_order_id is None:
        raise invalid("order_id", "give the order id or the client order id")
    if order_id is not None:
        return {"symbol": symbol, "orderId": order_id}
    return {"symbol": symbol, "origClientOrderId": client_order_id}


class OrderDesk:
    def __init__(
        self,
        rest: BinanceRest,
        markets: Markets,
        modes: AccountModes,
        positions: PositionsReader,
        *,
        settle_attempts: int = 4,
        settle_delay_s: float = 0.25,
    ) -> None:
        self.rest = rest
        self.markets = markets
        self.modes = modes
        self.positions = positions
        self.settle_attempts = settle_attempts
        self.settle_delay_s = settle_delay_s

    async def place(self, creds: Credentials, order: OrderRequest) -> OrderResult:
        """Placed, rejected (why) or unknown (then `decided_after_ms` says when it is settled)."""
        cid = order.client_order_id
        cache = self.markets.cache
        try:
            inst = cache.get(order.symbol) if cache.fresh else None
            if inst is None:  # the cached rules are read without a coroutine on the hot path
                inst = await self.markets.instrument(order.symbol)
            hedge = self.modes.cached_hedge(creds.api_key)
            if hedge is None:
                hedge = await self.modes.hedge(creds)
            params = order_params(inst, order, hedge, cache.min_notional.get(inst.symbol))
            if order.leverage is not None or order.margin_mode is not None:
                await self.modes.ensure(creds, inst.symbol, order.leverage, order.margin_mode)
        except ExchangeError as exc:  # invalid locally, or the rules / settings could not be read
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc)
        sent = Sent()
        for attempt in (0, 1):
            try:
                data = await self.rest.call(
                    "POST", ORDER, params, creds, orders=1, order_endpoint=True, sent=sent
                )
                break
            except MaybeApplied as exc:
                return await self._look_up_after(creds, order.symbol, cid, exc, sent)
            except ExchangeError as exc:
                if exc.exchange_code == POSITION_SIDE_MISMATCH and not attempt:
                    # the account's mode changed elsewhere: a refusal did nothing; build it again
                    params = order_params(
                        inst,
                        order,
                        await self.modes.hedge(creds, fresh=True),
                        cache.min_notional.get(inst.symbol),
                    )
                    continue
                return OrderResult(
                    PlacementStatus.REJECTED, cid, error=exc, sent_timestamp_ms=sent.timestamp_ms
                )
        order_id = (
            str(data["orderId"]) if isinstance(data, dict) and data.get("orderId") is not None else None
        )
        return OrderResult(
            PlacementStatus.PLACED, cid, order_id=order_id, sent_timestamp_ms=sent.timestamp_ms
        )

    async def _look_up_after(
        self, creds: Credentials, symbol: str, cid: str, cause: MaybeApplied, sent: Sent
    ) -> OrderResult:
        async def find() -> str | None:
            found = await self.get(creds, symbol, client_order_id=cid)
            return found.order_id if found is not None else None

        order_id = await look_up(find, self.settle_attempts, self.settle_delay_s)
        if order_id is not None:
            return OrderResult(
                PlacementStatus.PLACED, cid, order_id=order_id, sent_timestamp_ms=sent.timestamp_ms
            )
        return OrderResult(
            PlacementStatus.UNKNOWN,
            cid,
            error=UnknownOutcome(
                f"Binance did not answer the order {cid} ({cause}); it may still execute it.",
                client_order_id=cid,
            ),
            sent_timestamp_ms=sent.timestamp_ms,
            decided_after_ms=sent.decided_after_ms,
        )

    async def get(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> Order | None:
        try:
            data = await self.rest.call(
                "GET", ORDER, _id_params(symbol, order_id, client_order_id), creds, order_endpoint=True
            )
        except OrderNotFound:
            return None
        return parse.order(data) if isinstance(data, dict) else None

    async def cancel(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> None:
        await self.rest.call(
            "DELETE", ORDER, _id_params(symbol, order_id, client_order_id), creds, order_endpoint=True
        )

    async def cancel_all(self, creds: Credentials, symbol: str) -> None:
        await self.rest.call(
            "DELETE", "/fapi/v1/allOpenOrders", {"symbol": symbol}, creds, order_endpoint=True
        )

    async def amend(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        price: Decimal | None = None,
        size: Decimal | None = None,
    ) -> None:
        """PUT /fapi/v1/order: Binance wants side, quantity and price together; what is not
        changed is read from the order first."""
        if price is None and size is None:
            raise invalid("price", "give a new price or a new size (or both)")
        inst = await self.markets.instrument(symbol)
        current = await self.get(creds, symbol, order_id=order_id, client_order_id=client_order_id)
        if current is None:
            raise OrderNotFound(
                "Binance has no such order.",
                next_step="Refresh the orders: it may have been filled or cancelled already.",
            )
        new_price = check_price(inst, price if price is not None else current.price)
        new_size = check_size(inst, size if size is not None else current.size)
        buy = current.side in (OrderSide.BUY_OPEN_LONG, OrderSide.BUY_CLOSE_SHORT)
        params = {
            **_id_params(symbol, order_id, client_order_id),
            "side": "BUY" if buy else "SELL",
            "quantity": fmt(new_size),
            "price": fmt(new_price),
        }
        await self.rest.call("PUT", ORDER, params, creds, orders=1, order_endpoint=True)

    async def open(self, creds: Credentials, symbol: str | None = None) -> list[Order]:
        data = await self.rest.call(
            "GET", "/fapi/v1/openOrders", {"symbol": symbol} if symbol else None, creds
        )
        return [parse.order(r) for r in data] if isinstance(data, list) else []

    async def history(self, creds: Credentials, symbol: str) -> list[Order]:
        data = await self.rest.call("GET", "/fapi/v1/allOrders", {"symbol": symbol}, creds)
        rows = [parse.order(r) for r in data] if isinstance(data, list) else []
        return sorted(rows, key=lambda o: -o.created_at_ms)

    async def close_position(self, creds: Credentials, symbol: str, side: PositionSide) -> OrderResult:
        """A reduce-only market order for the whole position, with its own client order id."""
        cid = new_client_order_id()
        held = [p for p in await self.positions(creds, symbol) if p.side is side and p.symbol == symbol]
        if not held:
            return OrderResult(
                PlacementStatus.REJECTED,
                cid,
                error=invalid("position", f"there is no open {side.value} position in {symbol}"),
            )
        close_side = OrderSide.SELL_CLOSE_LONG if side is PositionSide.LONG else OrderSide.BUY_CLOSE_SHORT
        return await self.place(
            creds,
            OrderRequest(
                symbol=symbol, side=close_side, size=held[0].size, client_order_id=cid, type=OrderType.MARKET
            ),
        )
