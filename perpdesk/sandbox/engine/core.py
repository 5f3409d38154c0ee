"""Engine state, loading, persistence, events and the shared account arithmetic.

`EngineCore` holds every index the request path needs so that each read is O(records of that
user) and each tick is O(records of the moving symbol). The endpoint methods live in mixins
(`market_api`, `account_api`, `trading`, `risk`) that all build on this class.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import CONTRACTS, ContractSpec, money
from perpdesk.sandbox.engine.margin import initial_margin, liquidation_price, maintenance, upnl
from perpdesk.sandbox.engine.market import MarketSim
from perpdesk.sandbox.engine.state import (
    ZERO,
    Account,
    Candle,
    Fill,
    FundingRecord,
    MarketState,
    Order,
    PlanOrder,
    Position,
    Transfer,
    Txn,
    from_doc,
    to_doc,
)
from perpdesk.sandbox.engine.views import position_push
from perpdesk.sandbox.persist import Persist

log = logging.getLogger(__name__)

Json = dict[str, Any]
ID_BASE = 200_000_000_000_000  # ids look like BitMart's: 15 digits


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """One WebSocket push. `uid` is None for public channels (ticker, trade).
    `data` is BitMart's `data` for that channel; the WS layer adds `"group": channel`."""

    channel: str  # e.g. "futures/order", "futures/trade:BTCUSDT", "futures/ticker"
    uid: str | None
    data: Json | list[Any] = field(default_factory=dict)


@dataclass(slots=True)
class Figures:
    """A user's futures USDT account at the current marks."""

    balance: Decimal
    unrealized: Decimal
    cross_unrealized: Decimal
    position_deposit: Decimal
    frozen: Decimal
    available: Decimal
    withdrawable: Decimal

    @property
    def equity(self) -> Decimal:
        return self.balance + self.unrealized


class EngineCore:
    DEFAULT_LEVERAGE = Decimal(10)
    MAKER_FEE = Decimal("0.0002")
    TAKER_FEE = Decimal("0.0006")

    def __init__(
        self,
        persist: Persist | None,
        *,
        seed: int = 1,
        funding_interval_s: float = 28800.0,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self._persist = persist
        self.seed = seed
        self.funding_interval_ms = max(1, int(funding_interval_s * 1000))
        self._clock = now_ms or (lambda: int(time.time() * 1000))
        self.price_walk = True  # admin/tests may freeze the random walk; set_price still works
        self.replay_queues: dict[str, deque[Decimal]] = {sym: deque() for sym in CONTRACTS}
        self._subs: list[Callable[[EngineEvent], None]] = []
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, Order] = {}
        self.orders_by_uid: dict[str, dict[str, Order]] = {}
        self.open_by_uid: dict[str, dict[str, Order]] = {}
        self.open_by_symbol: dict[str, dict[str, Order]] = {sym: {} for sym in CONTRACTS}
        self.order_coid: dict[str, dict[str, str]] = {}  # uid -> client_order_id -> latest order id
        self.plans: dict[str, PlanOrder] = {}
        self.plans_by_uid: dict[str, dict[str, PlanOrder]] = {}
        self.live_plans: dict[str, dict[str, PlanOrder]] = {sym: {} for sym in CONTRACTS}
        self.plan_coid: dict[str, dict[str, str]] = {}
        self.positions: dict[str, dict[tuple[str, str], Position]] = {}
        self.holders: dict[str, set[str]] = {sym: set() for sym in CONTRACTS}  # symbol -> uids
        self.fills: dict[str, list[Fill]] = {}
        self.txns: dict[str, list[Txn]] = {}
        self.transfers: dict[str, list[Transfer]] = {}
        self.resting: dict[str, dict[str, dict[Decimal, int]]] = {
            sym: {"bids": {}, "asks": {}} for sym in CONTRACTS
        }
        self._shown: dict[str, tuple[Decimal, int]] = {}  # order id -> (price, contracts) in depth
        # symbol -> (mark, bids, asks): the merged book, rebuilt when the mark or resting orders change
        self._book_cache: dict[str, tuple[Decimal, list[tuple[Decimal, int]], list[tuple[Decimal, int]]]] = {}
        self.cancel_timers: dict[tuple[str, str], int] = {}
        self.funding_history: dict[str, deque[FundingRecord]] = {sym: deque(maxlen=1000) for sym in CONTRACTS}
        self.seq: dict[str, int] = {"order": 0, "trade": 0, "txn": 0, "transfer": 0}
        now = self._clock()
        self.markets: dict[str, MarketSim] = {}
        for sym, spec in CONTRACTS.items():
            state = MarketState(sym, spec.start_price, spec.start_price, now)
            state.next_funding_ms = self._next_funding_boundary(now)
            self.markets[sym] = MarketSim(spec, state, seed)
        self._load()
        for sim in self.markets.values():
            if not sim.state.funding_rate:
                sim.state.funding_rate = sim.premium_rate()
            sim.record(now)

    # ---- infrastructure ----------------------------------------------------------------------
    def now(self) -> int:
        return self._clock()

    def _next_funding_boundary(self, now: int) -> int:
        return (now // self.funding_interval_ms + 1) * self.funding_interval_ms

    def _put(self, kind: str, doc_id: str, obj: Any) -> None:
        if self._persist is not None:
            self._persist.put(kind, doc_id, to_doc(obj))

    def _delete(self, kind: str, doc_id: str) -> None:
        if self._persist is not None:
            self._persist.delete(kind, doc_id)

    def _next_id(self, kind: str) -> str:
        self.seq[kind] += 1
        if self._persist is not None:
            self._persist.put("seq", "seq", dict(self.seq))
        return str(ID_BASE + self.seq[kind])

    def _load(self) -> None:
        p = self._persist
        if p is None:
            return
        for _, doc in p.load("seq"):
            self.seq.update({k: int(v) for k, v in doc.items()})
        for _, doc in p.load("account"):
            acct = from_doc(Account, doc)
            self.accounts[acct.uid] = acct
            for sym, deadline in acct.cancel_after.items():
                self.cancel_timers[(acct.uid, sym)] = deadline
        for _, doc in p.load("market"):
            st = from_doc(MarketState, doc)
            if st.symbol in self.markets:
                self.markets[st.symbol].state = st
        for _, doc in p.load("candle"):
            c = from_doc(Candle, doc)
            if c.symbol in self.markets:
                self.markets[c.symbol].restore_candle(c)
        for sim in self.markets.values():
            sim.sort_candles()
        for sym, doc in p.load("rng"):
            if sym in self.markets:
                self.markets[sym].restore_rng(doc, self.seed)
        for _, doc in sorted(p.load("order"), key=lambda kv: kv[0]):
            self._index_order(from_doc(Order, doc))
        for _, doc in sorted(p.load("plan"), key=lambda kv: kv[0]):
            self._index_plan(from_doc(PlanOrder, doc))
        for _, doc in p.load("position"):
            pos = from_doc(Position, doc)
            self.positions.setdefault(pos.uid, {})[(pos.symbol, pos.side)] = pos
            self.holders[pos.symbol].add(pos.uid)
        for _, doc in sorted(p.load("fill"), key=lambda kv: kv[0]):
            f = from_doc(Fill, doc)
            self.fills.setdefault(f.uid, []).append(f)
        for _, doc in sorted(p.load("txn"), key=lambda kv: kv[0]):
            t = from_doc(Txn, doc)
            self.txns.setdefault(t.uid, []).append(t)
        for _, doc in sorted(p.load("transfer"), key=lambda kv: kv[0]):
            tr = from_doc(Transfer, doc)
            self.transfers.setdefault(tr.uid, []).append(tr)
        for _, doc in sorted(p.load("funding"), key=lambda kv: kv[0]):
            fr = from_doc(FundingRecord, doc)
            if fr.symbol in self.funding_history:
                self.funding_history[fr.symbol].append(fr)

    def _index_order(self, o: Order, *, rest: bool = True) -> None:
        self.orders[o.order_id] = o
        self.orders_by_uid.setdefault(o.uid, {})[o.order_id] = o
        if o.client_order_id:
            self.order_coid.setdefault(o.uid, {})[o.client_order_id] = o.order_id
        if o.state != 4 and rest:
            self._rest(o)

    def _rest(self, o: Order) -> None:
        """Put a live order on the book: open indexes and the depth shown to everyone."""
        self.open_by_uid.setdefault(o.uid, {})[o.order_id] = o
        self.open_by_symbol[o.symbol][o.order_id] = o
        self._show(o)

    def _show(self, o: Order) -> None:
        if o.order_id in self._shown or o.state == 4 or o.remaining <= 0:
            return
        self._shown[o.order_id] = (o.price, o.remaining)
        self._rest_level(o.symbol, o.side, o.price, o.remaining)

    def _hide(self, o: Order) -> None:
        shown = self._shown.pop(o.order_id, None)
        if shown is not None:
            self._rest_level(o.symbol, o.side, shown[0], -shown[1])

    def _index_plan(self, p: PlanOrder) -> None:
        self.plans[p.order_id] = p
        self.plans_by_uid.setdefault(p.uid, {})[p.order_id] = p
        if p.client_order_id:
            self.plan_coid.setdefault(p.uid, {})[p.client_order_id] = p.order_id
        if p.state == 1:
            self.live_plans[p.symbol][p.order_id] = p

    def _rest_level(self, symbol: str, side: int, price: Decimal, delta: int) -> None:
        self._book_cache.pop(symbol, None)
        book = self.resting[symbol]["bids" if side in (1, 2) else "asks"]
        left = book.get(price, 0) + delta
        if left > 0:
            book[price] = left
        else:
            book.pop(price, None)

    # ---- events ------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Register a sync callback for every event; returns the unsubscribe function."""
        self._subs.append(callback)

        def unsubscribe() -> None:
            if callback in self._subs:
                self._subs.remove(callback)

        return unsubscribe

    def _emit(self, channel: str, uid: str | None, data: Json | list[Any]) -> None:
        if not self._subs:
            return
        event = EngineEvent(channel, uid, data)
        for cb in list(self._subs):
            try:
                cb(event)
            except Exception:  # a broken subscriber must not break trading
                log.exception("engine event subscriber failed on %s", channel)

    # ---- lookups -----------------------------------------------------------------------------
    def spec(self, symbol: str) -> ContractSpec:
        spec = CONTRACTS.get(symbol)
        if spec is None:
            raise errors.SYMBOL_NOT_EXIST(f"symbol {symbol!r}; listed: {', '.join(CONTRACTS)}")
        return spec

    def symbols(self) -> list[str]:
        return list(CONTRACTS)

    def mark_price(self, symbol: str) -> Decimal:
        self.spec(symbol)
        return self.markets[symbol].state.mark

    def last_price(self, symbol: str) -> Decimal:
        self.spec(symbol)
        return self.markets[symbol].state.last

    def ensure_account(self, uid: str) -> None:
        """Create empty spot and futures wallets for uid (idempotent)."""
        self._account(uid)

    def _account(self, uid: str) -> Account:
        acct = self.accounts.get(uid)
        if acct is None:
            acct = Account(uid=uid, spot={"USDT": ZERO})
            self.accounts[uid] = acct
            self._put("account", uid, acct)
        return acct

    def _save_account(self, acct: Account) -> None:
        self._put("account", acct.uid, acct)

    def _user_positions(self, uid: str) -> dict[tuple[str, str], Position]:
        return self.positions.get(uid, {})

    def _setting(self, acct: Account, symbol: str) -> tuple[Decimal, str]:
        st = acct.settings.get(symbol)
        if st is None:
            return self.DEFAULT_LEVERAGE, "cross"
        return Decimal(st["leverage"]), st["open_type"]

    # ---- account arithmetic ------------------------------------------------------------------
    def figures(self, uid: str) -> Figures:
        acct = self._account(uid)
        unreal = cross_unreal = deposit = ZERO
        for (sym, _side), pos in self._user_positions(uid).items():
            spec = CONTRACTS[sym]
            u = upnl(spec, pos, self.markets[sym].state.mark)
            unreal += u
            if pos.open_type == "cross":
                cross_unreal += u
            deposit += initial_margin(spec, pos)
        frozen = sum((o.frozen for o in self.open_by_uid.get(uid, {}).values()), ZERO)
        free = acct.balance - deposit - frozen
        available = max(ZERO, free + cross_unreal)
        withdrawable = max(ZERO, free + min(ZERO, cross_unreal))
        return Figures(
            balance=acct.balance,
            unrealized=money(unreal),
            cross_unrealized=money(cross_unreal),
            position_deposit=money(deposit),
            frozen=money(frozen),
            available=money(available),
            withdrawable=money(withdrawable),
        )

    def _cross_collateral(self, uid: str, exclude: Position | None) -> Decimal:
        """Cross pool left to carry `exclude`: balance minus isolated margins, plus the other cross
        positions' PnL minus their maintenance margins. Margin frozen by open orders counts as
        collateral, as in the liquidation check (which cancels those orders first)."""
        acct = self._account(uid)
        pool = acct.balance
        for (sym, _side), pos in self._user_positions(uid).items():
            spec = CONTRACTS[sym]
            if pos.open_type == "isolated":
                pool -= pos.margin
            elif pos is not exclude:
                mark = self.markets[sym].state.mark
                pool += upnl(spec, pos, mark) - maintenance(spec, pos, mark)
        return pool

    def liq_price(self, pos: Position) -> Decimal:
        spec = CONTRACTS[pos.symbol]
        mark = self.markets[pos.symbol].state.mark
        if pos.open_type == "isolated":
            collateral = pos.margin
        else:
            collateral = self._cross_collateral(pos.uid, pos)
        return liquidation_price(spec, pos, mark, collateral)

    # ---- private pushes ----------------------------------------------------------------------
    def _push_asset(self, uid: str) -> None:
        if not self._subs:
            return
        fig = self.figures(uid)
        from perpdesk.sandbox.engine.contracts import s

        self._emit(
            "futures/asset:USDT",
            uid,
            {
                "currency": "USDT",
                "available_balance": s(fig.available),
                "position_deposit": s(fig.position_deposit),
                "frozen_balance": s(fig.frozen),
            },
        )

    def _push_position(self, uid: str, symbol: str, closed: Position | None = None) -> None:
        if not self._subs:
            return
        acct = self._account(uid)
        now = self.now()
        spec = CONTRACTS[symbol]
        items = []
        for side in ("long", "short"):
            pos = self._user_positions(uid).get((symbol, side))
            if pos is not None:
                items.append(position_push(spec, pos, self.liq_price(pos), acct.position_mode, now))
        if closed is not None and closed.size == 0:
            items.append(position_push(spec, closed, ZERO, acct.position_mode, now))
        if items:
            self._emit("futures/position", uid, items)
