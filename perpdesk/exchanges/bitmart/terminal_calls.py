"""The terminal's BitMart calls: market data (ticker, k-lines, depth), trigger (plan) orders,
trailing orders, TP/SL orders (modified, cancelled) and the account's fills.

Writes that may have reached the exchange without an answer are settled by reading the exchange,
never resent: plan orders by their client order id; trailing orders, which BitMart gives no client
id, by their terms (symbol, side, size, activation price, callback rate) among those created since
the request was sent, adopted only when exactly one matches. Not found stays `unknown`, never
"rejected".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from perpdesk.core.errors import ExchangeError, MaybeApplied, UnknownOutcome
from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import (
    Credentials,
    MarginMode,
    OrderResult,
    PlacementStatus,
    PositionMode,
)
from perpdesk.core.money import fmt
from perpdesk.core.terminal import (
    ChartCandle,
    MarketSummary,
    OrderBook,
    PlanRequest,
    PriceType,
    TrailRequest,
)
from perpdesk.exchanges.bitmart import parse_terminal
from perpdesk.exchanges.bitmart.account_calls import AccountCalls
from perpdesk.exchanges.bitmart.contracts import Contracts
from perpdesk.exchanges.bitmart.markets import wire_size
from perpdesk.exchanges.bitmart.parse import SIDE_CODES, d0
from perpdesk.exchanges.bitmart.rest import BitmartRest, Settling
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.common.order_checks import check_leverage, check_price, check_size, invalid
from perpdesk.exchanges.shared_reads import SharedReads

# public reads shared by every user this long (the pages then follow the live streams)
TICKER_TTL_S = 1.0
CANDLES_TTL_S = 1.0
BOOK_TTL_S = 0.5
CLOCK_SLACK_MS = 2_000  # a trailing order created this long before our send still counts as ours

P = "/contract/private/"
F = "/contract/public/"
_PT = parse_terminal.PRICE_TYPE_CODES


def _order_id(data: Any) -> str | None:
    return str(data["order_id"]) if isinstance(data, dict) and data.get("order_id") else None


class TerminalCalls:
    def __init__(self, rest: BitmartRest, markets: Contracts, clock: ExchangeClock, account: AccountCalls,
                 settling: Settling, shared_reads: SharedReads) -> None:
        self.rest = rest
        self.markets = markets
        self.clock = clock
        self.account = account  # conditional orders are settled from its waiting plan orders
        self.settling = settling
        self.shared_reads = shared_reads

    # ------------------------------------------------------------------ market data (public)

    async def ticker(self, symbol: str) -> MarketSummary:
        return await self.shared_reads.get(("ticker", symbol), TICKER_TTL_S, lambda: self._ticker(symbol))

    async def _ticker(self, symbol: str) -> MarketSummary:
        now = int(time.time())
        answers: tuple[Any, ...] = await asyncio.gather(
            self.rest.get(F + "details", {"symbol": symbol}, None),
            self.rest.get(F + "markprice-kline", {"symbol": symbol, "step": 1,
                                               "start_time": now - 180, "end_time": now}, None),
            # details carries no funding time; the documented source is funding-rate
            self.rest.get(F + "funding-rate", {"symbol": symbol}, None),
            return_exceptions=True,
        )
        details, marks, funding = answers
        if isinstance(details, BaseException):
            raise details
        rows = details.get("symbols", []) if isinstance(details, dict) else []
        if not rows:
            raise invalid("symbol", f"{symbol!r} is not a BitMart USDT perpetual")
        mark_candles = [] if isinstance(marks, BaseException) else parse_terminal.candles(marks)
        mark = mark_candles[-1].close if mark_candles else None
        next_funding = funding.get("funding_time") if isinstance(funding, dict) else None
        return parse_terminal.ticker(rows[0], mark, next_funding)

    async def candles(self, symbol: str, step_min: int, start_s: int,
                      end_s: int, *, mark: bool = False) -> list[ChartCandle]:
        path = F + ("markprice-kline" if mark else "kline")
        params = {"symbol": symbol, "step": step_min, "start_time": start_s, "end_time": end_s}

        async def fetch() -> list[ChartCandle]:
            return parse_terminal.candles(await self.rest.get(path, params, None))

        return await self.shared_reads.get((path, symbol, step_min, start_s, end_s), CANDLES_TTL_S, fetch)

    async def order_book(self, symbol: str, depth: int = 20) -> OrderBook:
        async def fetch() -> Any:
            return await self.rest.get(F + "depth", {"symbol": symbol}, None)

        data = await self.shared_reads.get(("depth", symbol), BOOK_TTL_S, fetch)
        return parse_terminal.book(data, symbol, depth)

    # ------------------------------------------------------------------ reads (keyed)

    async def position_mode(self, creds: Credentials) -> PositionMode:
        data = await self.rest.get(P + "get-position-mode", None, creds)
        raw = data.get("position_mode") if isinstance(data, dict) else None
        return PositionMode.HEDGE if raw == "hedge_mode" else PositionMode.ONE_WAY

    async def leverage_setting(self, creds: Credentials, symbol: str) -> tuple[Decimal, MarginMode] | None:
        """The account's leverage and margin mode for `symbol`, position or not: position-v2 with a
        symbol lists an empty side as its documented zero row, which carries the setting."""
        data = await self.rest.get(P + "position-v2", {"symbol": symbol}, creds)
        for row in data if isinstance(data, list) else []:
            leverage, open_type = d0(row.get("leverage")), row.get("open_type")
            if row.get("symbol") == symbol and leverage > 0 and open_type in ("cross", "isolated"):
                return leverage, MarginMode(open_type)
        return None

    # ------------------------------------------------------------------ plan (trigger) orders

    async def place_plan(self, creds: Credentials,
                         req: PlanRequest) -> OrderResult:
        cid = req.client_order_id
        try:
            inst = await self.markets.instrument(req.symbol)
            params: dict[str, Any] = {
                "symbol": inst.symbol, "client_order_id": cid, "side": SIDE_CODES[req.side],
                "type": "limit" if req.executive_price is not None else "market",
                "leverage": fmt(check_leverage(inst, req.leverage)), "open_type": req.margin_mode.value,
                "size": wire_size(check_size(inst, req.size)), "mode": 1,
                "trigger_price": fmt(check_price(inst, req.trigger_price, "trigger_price")),
                "price_way": 1 if req.rising else 2, "price_type": _PT[req.price_type],
            }
            if req.executive_price is not None:
                params["executive_price"] = fmt(check_price(inst, req.executive_price, "executive_price"))
        except ExchangeError as exc:
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc)
        return await self._conditional_submit(creds, "submit-plan-order", params, req.symbol, cid)

    async def cancel_plan(self, creds: Credentials, symbol: str,
                          order_id: str) -> None:
        await self.rest.post(P + "cancel-plan-order", {"symbol": symbol, "order_id": order_id}, creds,
                         order_endpoint=True)

    # ------------------------------------------------------------------ TP/SL orders

    async def modify_tp_sl(self, creds: Credentials, symbol: str,
                           order_id: str, trigger_price: Decimal, *,
                           price_type: PriceType = PriceType.LAST) -> None:
        inst = await self.markets.instrument(symbol)
        trigger = fmt(check_price(inst, trigger_price, "trigger_price"))
        await self.rest.post(P + "modify-tp-sl-order", {
            "symbol": inst.symbol, "order_id": order_id, "trigger_price": trigger,
            "executive_price": trigger, "price_type": _PT[price_type], "plan_category": 2,
            "category": "market",
        }, creds, order_endpoint=True)

    # ------------------------------------------------------------------ trailing orders

    async def place_trail(self, creds: Credentials,
                          req: TrailRequest) -> OrderResult:
        marker = f"trail:{req.symbol}:{req.side.value}"  # BitMart gives trailing orders no client id
        try:
            inst = await self.markets.instrument(req.symbol)
            if not Decimal("0.1") <= req.callback_rate <= Decimal(5):
                raise invalid("callback_rate", f"{fmt(req.callback_rate)} % is outside 0.1-5 %")
            size = check_size(inst, req.size)
            activation = check_price(inst, req.activation_price, "activation_price")
            params = {
                "symbol": inst.symbol, "side": SIDE_CODES[req.side],
                "leverage": fmt(check_leverage(inst, req.leverage)), "open_type": req.margin_mode.value,
                "size": wire_size(size), "activation_price": fmt(activation),
                "callback_rate": fmt(req.callback_rate), "activation_price_type": _PT[req.price_type],
            }
            since_ms = self.clock.now_ms() - CLOCK_SLACK_MS
            data = await self.rest.post(P + "submit-trail-order", params, creds, order_endpoint=True)
        except MaybeApplied as exc:

            def same_terms(o: PlanOrder) -> bool:
                return (o.kind is PlanKind.TRAILING and o.side is req.side and o.size == size
                        and o.trigger_price == activation and o.callback_rate == req.callback_rate
                        and o.created_at_ms >= since_ms)

            return await self._settle_conditional(creds, inst.symbol, marker, exc, same_terms,
                                                  "trailing order")
        except ExchangeError as exc:
            return OrderResult(PlacementStatus.REJECTED, marker, error=exc)
        return OrderResult(PlacementStatus.PLACED, marker, order_id=_order_id(data))

    async def cancel_trail(self, creds: Credentials, symbol: str,
                           order_id: str) -> None:
        await self.rest.post(P + "cancel-trail-order", {"symbol": symbol, "order_id": order_id}, creds,
                         order_endpoint=True)

    # ------------------------------------------------------------------ settling

    async def _conditional_submit(self, creds: Credentials, endpoint: str,
                                  params: dict[str, Any], symbol: str, cid: str) -> OrderResult:
        try:
            data = await self.rest.post(P + endpoint, params, creds, order_endpoint=True)
        except MaybeApplied as exc:
            return await self._settle_conditional(
                creds, symbol, cid, exc, lambda o: o.client_order_id == cid, f"order {cid}"
            )
        except ExchangeError as exc:
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc)
        return OrderResult(PlacementStatus.PLACED, cid, order_id=_order_id(data))

    async def _settle_conditional(self, creds: Credentials, symbol: str, cid: str, cause: Exception,
                                  ours: Callable[[PlanOrder], bool], what: str) -> OrderResult:
        """Look for the order among the waiting plan/TP-SL/trailing orders. Not found is not proof
        of "never placed" (it may have fired already), so the outcome then stays unknown; so it does
        when more than one order could be it."""
        matches: list[PlanOrder] = []
        for attempt in range(self.settling.attempts):
            await self.settling.pause(attempt)
            try:
                matches = [o for o in await self.account.plan_orders(creds, symbol) if ours(o)]
            except ExchangeError:
                continue
            if len(matches) == 1:
                return OrderResult(PlacementStatus.PLACED, cid, order_id=matches[0].order_id)
        listed = "lists more than one that could be it" if matches else "does not list it as waiting"
        return OrderResult(PlacementStatus.UNKNOWN, cid, error=UnknownOutcome(
            f"The exchange did not answer the {what} ({cause}) and {listed}; it may have been placed.",
            client_order_id=cid,
        ))
