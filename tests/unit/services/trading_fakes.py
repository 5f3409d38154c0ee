"""In-memory stand-ins for the trading use cases, built on the account ones (fakes.py): a trading
unit of work (intents, lost changes, ticket claims over dicts, beside the account tables) and an
exchange that keeps orders, positions and conditional orders and can lose an answer on purpose.

Added rows land on commit only and a claim's unique key is checked on flush, as in the database;
rows read are changed in place (the services change a row inside the unit of work that read it
and commit it there)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from perpdesk.core import errors as E
from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import (
    AccountStatus,
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
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.accounts import ExchangeAccount
from perpdesk.store.base import utcnow
from perpdesk.store.orders import UNSETTLED, ChangeStatus, OrderChange, OrderIntent, new_id
from perpdesk.store.ticket_claims import TicketClaim
from perpdesk.store.uow import DuplicateRow
from tests.unit.services.fakes import FakeConnector, FakeUnitOfWork, Tables, fake_deps

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


@dataclass
class TradingTables:
    """The fake database of a test: the account tables and the trading ones."""

    accounts: Tables = field(default_factory=Tables)
    intents: dict[str, OrderIntent] = field(default_factory=dict)
    changes: dict[str, OrderChange] = field(default_factory=dict)
    claims: dict[str, TicketClaim] = field(default_factory=dict)


class _Intents:
    def __init__(self, uow: FakeTradingUnitOfWork) -> None:
        self.uow = uow
        self.t = uow.tables

    def _rows(self, user_id: str, account_id: str) -> list[OrderIntent]:
        rows = [r for r in self.t.intents.values() if (r.user_id, r.account_id) == (user_id, account_id)]
        return sorted(rows, key=lambda r: r.created_at, reverse=True)

    async def add(self, intent: OrderIntent) -> OrderIntent:
        intent.id = intent.id or new_id()
        self.uow.staged.append(intent)
        return intent

    async def by_client_id(self, user_id: str, account_id: str, client_order_id: str) -> OrderIntent | None:
        staged = [r for r in self.uow.staged if isinstance(r, OrderIntent)]
        return next(
            (
                r
                for r in [*self._rows(user_id, account_id), *staged]
                if r.client_order_id == client_order_id and r.account_id == account_id
            ),
            None,
        )

    async def for_account(
        self, user_id: str, account_id: str, *, statuses: Sequence[str] | None = None, limit: int = 100
    ) -> list[OrderIntent]:
        return [r for r in self._rows(user_id, account_id) if not statuses or r.status in statuses][:limit]

    async def unsettled(self, user_id: str, account_id: str) -> list[OrderIntent]:
        return await self.for_account(user_id, account_id, statuses=UNSETTLED, limit=500)

    async def unsettled_like(self, user_id: str, account_id: str, intent: OrderIntent) -> OrderIntent | None:
        def terms(r: OrderIntent) -> tuple[object, ...]:
            return (r.symbol, r.side, r.type, r.size, r.price, r.trigger_price, r.callback_rate)

        return next((r for r in await self.unsettled(user_id, account_id) if terms(r) == terms(intent)), None)

    async def accounts_with_unsettled(self, limit: int = 500) -> list[tuple[str, str]]:
        pairs = {(r.user_id, r.account_id) for r in self.t.intents.values() if r.status in UNSETTLED}
        pairs |= {
            (c.user_id, c.account_id)
            for c in self.t.changes.values()
            if c.status == ChangeStatus.UNKNOWN.value
        }
        return sorted(pairs)[:limit]

    async def taken_order_ids(self, user_id: str, account_id: str, purposes: Sequence[str]) -> set[str]:
        return {r.order_id for r in self._rows(user_id, account_id) if r.purpose in purposes and r.order_id}

    async def recently_refused(self, user_id: str, account_id: str, since: datetime) -> list[OrderIntent]:
        return [
            r
            for r in self._rows(user_id, account_id)
            if r.status == "not_placed"
            and r.settled_at is not None
            and r.settled_at >= since
            and r.purpose not in ("plan", "trail")
        ]

    async def known_client_ids(
        self, account_id: str, client_order_ids: Sequence[str]
    ) -> dict[str, OrderIntent]:
        return {
            r.client_order_id: r
            for r in self.t.intents.values()
            if r.account_id == account_id and r.client_order_id in client_order_ids
        }

    async def earliest_due(self) -> datetime | None:
        times = [
            r.decided_after for r in self.t.intents.values() if r.status in UNSETTLED and r.decided_after
        ]
        times += [
            c.decided_after
            for c in self.t.changes.values()
            if c.status == ChangeStatus.UNKNOWN.value and c.decided_after
        ]
        return min(times) if times else None

    async def add_change(self, change: OrderChange) -> OrderChange:
        change.id = change.id or new_id()
        self.uow.staged.append(change)
        return change

    async def unknown_changes(self, user_id: str, account_id: str) -> list[OrderChange]:
        return sorted(
            (
                c
                for c in self.t.changes.values()
                if (c.user_id, c.account_id) == (user_id, account_id)
                and c.status == ChangeStatus.UNKNOWN.value
            ),
            key=lambda c: c.created_at,
        )

    async def changes_for(self, user_id: str, account_id: str, limit: int = 50) -> list[OrderChange]:
        rows = [c for c in self.t.changes.values() if (c.user_id, c.account_id) == (user_id, account_id)]
        return sorted(rows, key=lambda c: c.created_at, reverse=True)[:limit]

    async def change(self, user_id: str, change_id: str) -> OrderChange | None:
        row = self.t.changes.get(change_id)
        return row if row is not None and row.user_id == user_id else None


class _Tickets:
    def __init__(self, uow: FakeTradingUnitOfWork) -> None:
        self.uow = uow
        self.t = uow.tables

    async def drop_stale(self, account_id: str, ticket_key: str, now: datetime) -> None:
        for c in list(self.t.claims.values()):
            if (c.account_id, c.ticket_key) == (account_id, ticket_key) and c.expires_at < now:
                self.uow.dropped.append(c.id)

    async def live_holder(self, account_id: str, ticket_key: str, now: datetime) -> TicketClaim | None:
        live = [
            c
            for c in self.t.claims.values()
            if (c.account_id, c.ticket_key) == (account_id, ticket_key)
            and c.expires_at >= now
            and c.id not in self.uow.dropped
        ]
        return min(live, key=lambda c: c.since) if live else None

    async def add(self, claim: TicketClaim) -> None:
        self.uow.staged.append(claim)

    async def drop(self, claim_id: str) -> None:
        self.uow.dropped.append(claim_id)


class FakeTradingUnitOfWork:
    """The account unit of work (accounts, credentials, audit) and the trading repositories."""

    def __init__(self, tables: TradingTables) -> None:
        self.tables = tables
        self.account_uow = FakeUnitOfWork(tables.accounts)
        self.accounts = self.account_uow.accounts
        self.credentials = self.account_uow.credentials
        self.grants = self.account_uow.grants
        self.audit = self.account_uow.audit
        self.orders = _Intents(self)
        self.tickets = _Tickets(self)
        self.staged: list[Any] = []
        self.dropped: list[str] = []

    async def __aenter__(self) -> FakeTradingUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.staged.clear()
        self.dropped.clear()
        await self.account_uow.__aexit__()

    async def flush(self) -> None:
        live = {
            (c.account_id, c.ticket_key, c.slot)
            for c in self.tables.claims.values()
            if c.id not in self.dropped
        }
        for row in self.staged:
            if isinstance(row, TicketClaim) and (row.account_id, row.ticket_key, row.slot) in live:
                raise DuplicateRow()

    async def commit(self) -> None:
        await self.flush()
        for claim_id in self.dropped:
            self.tables.claims.pop(claim_id, None)
        for row in self.staged:
            if isinstance(row, TicketClaim):
                self.tables.claims[row.id] = row
            elif isinstance(row, OrderIntent):
                self.tables.intents[row.id] = row
            elif isinstance(row, OrderChange):
                self.tables.changes[row.id] = row
        self.staged.clear()
        self.dropped.clear()
        await self.account_uow.commit()


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


@dataclass
class Desk:
    """One test's world: the tables, the exchange, the deps and a trader's active account."""

    tables: TradingTables
    exchange: FakeExchange
    deps: AccountsDeps
    user_id: str
    account_id: str


def trading_desk(**overrides: Any) -> Desk:
    tables, exchange = TradingTables(), FakeExchange()
    deps = fake_deps(
        tables.accounts,
        exchange,  # type: ignore[arg-type]  # a FakeConnector's key side, composed
        trading_uow_factory=lambda: FakeTradingUnitOfWork(tables),
        **overrides,
    )
    creds = exchange.keys.issue()
    now = utcnow()
    account = ExchangeAccount(
        id=new_id(),
        user_id="alice",
        exchange="bitmart",
        market="futures",
        label="Main",
        method="manual",
        status=AccountStatus.ACTIVE.value,
        api_key_hash="h",
        api_key_mask="ab…cd",
        permissions=[],
        warnings=[],
        balances=[],
        check_attempts=0,
        withdraw_allowed=False,
        api_url="http://exchange.test",
        created_at=now,
        updated_at=now,
    )
    tables.accounts.accounts[account.id] = account
    tables.accounts.credentials[("alice", account.id)] = creds
    return Desk(tables, exchange, deps, "alice", account.id)


__all__ = [
    "ETH",
    "ETH_RULES",
    "Desk",
    "FakeExchange",
    "FakeTradingUnitOfWork",
    "TradingTables",
    "trading_desk",
]
