"""BitMart's order calls: place (settled by client order id when the answer is lost), look up,
cancel, amend, list, and close a whole position.

A submit that may have reached the exchange without an answer is looked up a few times by its
client order id; not finding it proves nothing until the signed timestamp's window has closed,
so it is `unknown`, never rejected and never resent.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

from perpdesk.core.errors import (
    ExchangeError,
    ExchangeUnavailable,
    MaybeApplied,
    OrderNotFound,
    UnknownOutcome,
)
from perpdesk.core.models import (
    Credentials,
    Order,
    OrderRequest,
    OrderResult,
    OrderSide,
    OrderType,
    PlacementStatus,
    PositionSide,
    new_client_order_id,
)
from perpdesk.core.money import fmt
from perpdesk.exchanges.bitmart import parse
from perpdesk.exchanges.bitmart.account_calls import AccountCalls
from perpdesk.exchanges.bitmart.contracts import Contracts
from perpdesk.exchanges.bitmart.markets import submit_params, wire_size
from perpdesk.exchanges.bitmart.rest import Auth, BitmartRest, Settling
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.common.order_checks import check_price, check_size, invalid
from perpdesk.exchanges.common.rest_policy import Sent

P = "/contract/private/"
SUBMIT = P + "submit-order"
OPEN_ORDERS_PAGE = 100  # get-open-orders returns at most this many (newest first)
_SIGNED = Auth.SIGNED  # Enum members through the class are slow on 3.11


class OrderCalls:
    def __init__(self, rest: BitmartRest, markets: Contracts, clock: ExchangeClock, account: AccountCalls,
                 settling: Settling) -> None:
        self.rest = rest
        self.markets = markets
        self.clock = clock
        self.account = account  # close_position reads the position it closes
        self.settling = settling

    def decided_after_ms(self) -> int:
        """Our wall-clock time after which no write signed up to now can be acted on any more."""
        return self.rest.decided_after_ms(self.clock.now_ms())

    async def place_order(self, creds: Credentials, order: OrderRequest) -> OrderResult:
        """Placed, rejected (why) or unknown. After no answer, a few look-ups by client order id may
        find it placed; not finding it proves nothing until its window has closed (the caller's
        settler looks again after `decided_after_ms`), so that is `unknown`, never rejected."""
        cid = order.client_order_id
        markets = self.markets.cache
        try:
            inst = markets.get(order.symbol) if markets.fresh else None
            if inst is None:  # (the cached rules are looked up without a coroutine on the hot path)
                inst = await self.markets.instrument(order.symbol)
            params = submit_params(inst, order, markets.brackets.get(inst.symbol))
        except ExchangeError as exc:  # invalid locally, or the contract rules could not be read
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc)
        sent = Sent()
        try:
            data = await self.rest.call("POST", SUBMIT, params, _SIGNED, creds, order_endpoint=True,
                                        sent=sent)
        except MaybeApplied as exc:
            return await self._look_up_after(creds, order.symbol, cid, exc, sent)
        except ExchangeError as exc:
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc,
                               sent_timestamp_ms=sent.timestamp_ms)
        order_id = str(data.get("order_id")) if isinstance(data, dict) and data.get("order_id") else None
        return OrderResult(PlacementStatus.PLACED, cid, order_id=order_id,
                           sent_timestamp_ms=sent.timestamp_ms)

    async def _look_up_after(self, creds: Credentials, symbol: str, cid: str, cause: MaybeApplied,
                             sent: Sent) -> OrderResult:
        """The submit may or may not have executed: a few quick look-ups by client order id."""
        for attempt in range(self.settling.attempts):
            await self.settling.pause(attempt)
            try:
                found = await self._find_by_client_id(creds, symbol, cid)
            except ExchangeError:
                continue
            if found is not None:
                return OrderResult(PlacementStatus.PLACED, cid, order_id=found.order_id,
                                   sent_timestamp_ms=sent.timestamp_ms)
        return OrderResult(PlacementStatus.UNKNOWN, cid, error=UnknownOutcome(
            f"The exchange did not answer the order {cid} ({cause}); it may still execute it.",
            client_order_id=cid,
        ), sent_timestamp_ms=sent.timestamp_ms, decided_after_ms=sent.decided_after_ms)

    async def _find_by_client_id(self, creds: Credentials, symbol: str, cid: str) -> Order | None:
        """The order with this client id, or None when the exchange proves it has none. BitMart lists
        at most OPEN_ORDERS_PAGE open orders: a full page without it proves nothing (raised)."""
        now_s = int(time.time())
        open_task = self.rest.get(P + "get-open-orders", {"symbol": symbol, "limit": OPEN_ORDERS_PAGE}, creds)
        hist_task = self.rest.get(P + "order-history", {
            "symbol": symbol, "client_order_id": cid, "start_time": now_s - 7 * 86400, "end_time": now_s + 60,
        }, creds)
        open_rows, hist_rows = await asyncio.gather(open_task, hist_task)
        for rows in (open_rows, hist_rows):
            for row in rows if isinstance(rows, list) else []:
                if row.get("client_order_id") == cid:
                    return parse.order(row)
        if isinstance(open_rows, list) and len(open_rows) >= OPEN_ORDERS_PAGE:
            raise ExchangeUnavailable(
                f"{symbol} has {OPEN_ORDERS_PAGE} or more open orders: the look-up of {cid} cannot prove "
                "it absent", next_step="perpdesk looks again; cancelling unneeded orders helps.")
        return None

    async def cancel_order(self, creds: Credentials, symbol: str, *, order_id: str | None = None,
                           client_order_id: str | None = None) -> None:
        await self.rest.post(P + "cancel-order", _id_params(symbol, order_id, client_order_id), creds,
                         order_endpoint=True)

    async def cancel_all(self, creds: Credentials, symbol: str) -> None:
        await self.rest.post(P + "cancel-orders", {"symbol": symbol}, creds, order_endpoint=True)

    async def amend_order(self, creds: Credentials, symbol: str, *, order_id: str | None = None,
                          client_order_id: str | None = None, price: Decimal | None = None,
                          size: Decimal | None = None) -> None:
        if price is None and size is None:
            raise invalid("price", "give a new price or a new size (or both)")
        inst = await self.markets.instrument(symbol)
        params = _id_params(symbol, order_id, client_order_id)
        if price is not None:
            params["price"] = fmt(check_price(inst, price))
        if size is not None:
            params["size"] = wire_size(check_size(inst, size))
        await self.rest.post(P + "modify-limit-order", params, creds, order_endpoint=True)

    async def get_order(self, creds: Credentials, symbol: str, *, order_id: str | None = None,
                        client_order_id: str | None = None) -> Order | None:
        if order_id is None:
            if client_order_id is None:
                raise invalid("order_id", "give the order id or the client order id")
            return await self._find_by_client_id(creds, symbol, client_order_id)
        try:
            data = await self.rest.get(P + "order", {"symbol": symbol, "order_id": order_id}, creds,
                                   order_endpoint=True)
        except OrderNotFound:
            return None
        return parse.order(data) if isinstance(data, dict) and data else None

    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Order]:
        data = await self.rest.get(P + "get-open-orders", {"symbol": symbol} if symbol else None, creds)
        rows = data if isinstance(data, list) else []
        # trailing orders are listed here too; they are plan_orders()
        return [parse.order(r) for r in rows if r.get("type") != "trailing"]

    async def order_history(self, creds: Credentials, symbol: str) -> list[Order]:
        data = await self.rest.get(P + "order-history", {"symbol": symbol}, creds)
        return [parse.order(r) for r in data] if isinstance(data, list) else []

    async def close_position(self, creds: Credentials, symbol: str, side: PositionSide) -> OrderResult:
        """A market order for the whole position, with its own client order id (settled like any)."""
        cid = new_client_order_id()
        positions = await self.account.positions(creds, symbol)
        held = [p for p in positions if p.side is side and p.symbol == symbol]
        if not held:
            return OrderResult(PlacementStatus.REJECTED, cid, error=invalid(
                "position", f"there is no open {side.value} position in {symbol}"))
        close_side = OrderSide.SELL_CLOSE_LONG if side is PositionSide.LONG else OrderSide.BUY_CLOSE_SHORT
        request = OrderRequest(symbol=symbol, side=close_side, size=held[0].size, client_order_id=cid,
                               type=OrderType.MARKET, margin_mode=held[0].margin_mode)
        return await self.place_order(creds, request)


def _id_params(symbol: str, order_id: str | None, client_order_id: str | None) -> dict[str, Any]:
    if order_id is None and client_order_id is None:
        raise invalid("order_id", "give the order id or the client order id")
    params: dict[str, Any] = {"symbol": symbol}
    if order_id is not None:
        params["order_id"] = order_id
    if client_order_id is not None:
        params["client_order_id"] = client_order_id
    return params
