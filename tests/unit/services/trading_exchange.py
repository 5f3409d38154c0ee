"""A futures exchange for the trading use cases' unit tests: it keeps orders, positions and
conditional orders, and can leave an answer out on purpose (after acting, or before)."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from decimal import Decimal
from typing import Any

from perpdesk.core import errors as E
from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import (
    Credentials,
    Instrument,
    MarginMode,
    Order,
    OrderRequest,
    OrderResult,
    OrderState,
    OrderType,
    PlacementStatus,
    Position,
    PositionSide,
)
from perpdesk.core.terminal import MarketSummary, PlanRequest, TrailRequest
from tests.unit.services.fakes import FakeConnector

ETH = "ETHUSDT"
ETH_RULES = Instrument(
    symbol=ETH,
    base="ETH",
    quote="USDT",
    contract_size=Decimal("0.01"),
    price_tick=Decimal("0.1"),
    size_step=Decimal(1),
    min_size=Decimal(1),
    max_size=Decimal(100000),
    min_leverage=Decimal(1),
    max_leverage=Decimal(100),
)


class FakeExchange:
    """A futures exchange for the trading use cases. `lose_next(kind, executed=...)` makes the next
    call of that kind ("order", "plan", "trail", "cancel", "amend", "tp_sl") go unanswered, after
    the exchange acted on it or before. `window_ms` is how long an unanswered request may still be
    executed: a negative one puts its window in the past, so no test sleeps for it."""

    def __init__(self) -> None:
        self.keys = FakeConnector()  # the key side: inspect_key judges keys like the account fake
        self.info = self.keys.info
        self.orders: dict[str, Order] = {}
        self.plans: dict[str, PlanOrder] = {}
        self.positions_held: list[Position] = []
        self.tp_sl: list[tuple[str, PositionSide, Decimal]] = []
        self.last_price = Decimal(3500)
        self.window_ms = 60_000
        self.sent: list[str] = []  # every request that reached the exchange, by kind
        self._lose: dict[str, bool] = {}
        self._ids = itertools.count(1000)

    def lose_next(self, kind: str, *, executed: bool = True) -> None:
        self._lose[kind] = executed

    def _now_ms(self) -> int:
        return int(time.time() * 1000)

    def decided_after_ms(self) -> int:
        return self._now_ms() + self.window_ms

    def _lost(self, kind: str) -> bool | None:
        """None: answered; True/False: unanswered, after acting / before."""
        self.sent.append(kind)
        return self._lose.pop(kind, None)

    def _unknown(self, cid: str) -> OrderResult:
        return OrderResult(
            PlacementStatus.UNKNOWN,
            cid,
            error=E.ExchangeUnavailable("no answer"),
            decided_after_ms=self.decided_after_ms(),
        )

    def _maybe(self) -> E.MaybeApplied:
        exc = E.MaybeApplied("no answer")
        exc.decided_after_ms = self.decided_after_ms()
        return exc

    async def inspect_key(self, creds: Credentials) -> Any:
        return await self.keys.inspect_key(creds)

    async def instruments(self) -> list[Instrument]:
        return [ETH_RULES]

    async def ticker(self, symbol: str) -> MarketSummary:
        p = self.last_price
        return MarketSummary(symbol, p, p, Decimal(0), p, p, Decimal(0), Decimal(0), 0)

    async def place_order(self, creds: Credentials, order: OrderRequest) -> OrderResult:
        lost = self._lost("order")
        if lost is None or lost:
            now = self._now_ms()
            made = Order(
                order.symbol,
                str(next(self._ids)),
                order.client_order_id,
                order.side,
                order.type,
                OrderState.NEW,
                order.size,
                Decimal(0),
                order.price,
                None,
                order.leverage,
                order.margin_mode,
                now,
                now,
            )
            self.orders[made.order_id] = made
            if lost is None:
                return OrderResult(PlacementStatus.PLACED, order.client_order_id, made.order_id)
        return self._unknown(order.client_order_id)

    async def get_order(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> Order | None:
        return next(
            (
                o
                for o in self.orders.values()
                if o.symbol == symbol
                and (o.order_id == order_id if order_id else o.client_order_id == client_order_id)
            ),
            None,
        )

    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Order]:
        return [o for o in self.orders.values() if o.state is OrderState.NEW and symbol in (None, o.symbol)]

    async def order_history(self, creds: Credentials, symbol: str) -> list[Order]:
        return [o for o in self.orders.values() if o.state is not OrderState.NEW and o.symbol == symbol]

    async def _change(
        self,
        kind: str,
        creds: Credentials,
        symbol: str,
        order_id: str | None,
        client_order_id: str | None,
        **new: Any,
    ) -> None:
        lost = self._lost(kind)
        if lost is None or lost:
            order = await self.get_order(creds, symbol, order_id=order_id, client_order_id=client_order_id)
            if order is None:
                raise E.ExchangeError("order not found")
            self.orders[order.order_id] = replace(order, **new)
        if lost is not None:
            raise self._maybe()

    async def cancel_order(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> None:
        await self._change("cancel", creds, symbol, order_id, client_order_id, state=OrderState.CANCELLED)

    async def amend_order(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        price: Decimal | None = None,
        size: Decimal | None = None,
    ) -> None:
        new = {k: v for k, v in (("price", price), ("size", size)) if v is not None}
        await self._change("amend", creds, symbol, order_id, client_order_id, **new)

    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Position]:
        return [p for p in self.positions_held if symbol in (None, p.symbol)]

    def hold(self, side: PositionSide, size: str, leverage: str = "5") -> None:
        p = Decimal(self.last_price)
        self.positions_held.append(
            Position(
                ETH,
                side,
                Decimal(size),
                p,
                p,
                Decimal(leverage),
                MarginMode.CROSS,
                Decimal(0),
                Decimal(0),
                Decimal(0),
            )
        )

    async def set_tp_sl(
        self,
        creds: Credentials,
        symbol: str,
        side: PositionSide,
        *,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
    ) -> None:
        lost = self._lost("tp_sl")
        if lost is None or lost:
            wanted = (("take_profit", take_profit), ("stop_loss", stop_loss))
            self.tp_sl += [(k, side, p) for k, p in wanted if p]
        if lost is not None:
            raise self._maybe()

    async def tp_sl_triggers(
        self, creds: Credentials, symbol: str
    ) -> list[tuple[str, PositionSide, Decimal]]:
        return list(self.tp_sl)

    async def plan_orders(self, creds: Credentials, symbol: str | None = None) -> list[PlanOrder]:
        return [p for p in self.plans.values() if symbol in (None, p.symbol)]

    def _waiting(self, cid: str | None, req: PlanRequest | TrailRequest) -> None:
        trail = isinstance(req, TrailRequest)
        plan = PlanOrder(
            req.symbol,
            str(next(self._ids)),
            cid,
            PlanKind.TRAILING if trail else PlanKind.PLAN,
            req.side,
            req.size,
            req.activation_price if isinstance(req, TrailRequest) else req.trigger_price,
            None if isinstance(req, TrailRequest) else req.executive_price,
            "last_price",
            req.callback_rate if isinstance(req, TrailRequest) else None,
            self._now_ms(),
        )
        self.plans[plan.order_id] = plan

    async def place_plan(self, creds: Credentials, req: PlanRequest) -> OrderResult:
        lost = self._lost("plan")
        if lost is None or lost:
            self._waiting(None, req)  # listed without a client id: matched by its terms
        if lost is None:
            return OrderResult(PlacementStatus.PLACED, req.client_order_id, list(self.plans)[-1])
        return self._unknown(req.client_order_id)

    async def place_trail(self, creds: Credentials, req: TrailRequest) -> OrderResult:
        lost = self._lost("trail")
        if lost is None or lost:
            self._waiting(None, req)
        if lost is None:
            return OrderResult(PlacementStatus.PLACED, "trail", list(self.plans)[-1])
        return self._unknown("trail")

    def fire(self, plan_order_id: str) -> Order:
        """A waiting conditional order triggers: it leaves the list and sends a market order."""
        plan = self.plans.pop(plan_order_id)
        now = self._now_ms()
        made = Order(
            plan.symbol,
            str(next(self._ids)),
            None,
            plan.side,
            OrderType.MARKET,
            OrderState.FILLED,
            plan.size,
            plan.size,
            None,
            self.last_price,
            None,
            None,
            now,
            now,
        )
        self.orders[made.order_id] = made
        return made

    async def leverage_setting(self, creds: Credentials, symbol: str) -> tuple[Decimal, MarginMode] | None:
        return None

    async def aclose(self) -> None:
        return None

    # what the trading use cases under test never call (the Protocols list them)
    async def _unused(self, *a: Any, **k: Any) -> Any:
        raise NotImplementedError

    balances = fills = transactions = set_leverage = set_position_mode = close_position = _unused
    candles = order_book = position_mode = cancel_all = cancel_plan = modify_tp_sl = cancel_trail = _unused

    def stream(self, *a: Any, **k: Any) -> Any:
        raise NotImplementedError

    def market_stream(self) -> Any:
        raise NotImplementedError
