"""The state every part of the engine shares: records and their indexes, market simulators,
id sequences, the clock, persistence and event subscribers.

`EngineState` keeps every index the request path needs so that each read is O(records of that
user) and each tick is O(records of the moving symbol). It changes only its own indexes; the
rules live in the collaborators (`wallets`, `positions`, `fills`, `orders`, `plans`, ...) that
hold a reference to it.
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
from perpdesk.sandbox.engine.contracts import CONTRACTS, ContractSpec
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
    SubTransfer,
    Transfer,
    Txn,
    from_doc,
    to_doc,
)
from perpdesk.sandbox.persist import Persist

log = logging.getLogger(__name__)

Json = dict[str, Any]
ID_BASE = 200_000_000_000_000  # ids look like BitMart's: 15 digits
DEFAULT_LEVERAGE = Decimal(10)
MAKER_FEE = Decimal("0.0002")
TAKER_FEE = Decimal("0.0006")


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """One WebSocket push. `uid` is None for public channels (ticker, trade).
    `data` is BitMart's `data` for that channel; the WS layer adds `"group": channel`."""

    channel: str  # e.g. "futures/order", "futures/trade:BTCUSDT", "futures/ticker"
    uid: str | None
    data: Json | list[Any] = field(default_factory=dict)


class EngineState:
    def __init__(
        self, persist: Persist | None, seed: int, funding_interval_s: float, now_ms: Callable[[], int] | None
    ) -> None:
        self.persist = persist
        self.seed = seed
        self.funding_interval_ms = max(1, int(funding_interval_s * 1000))
        self._clock = now_ms or (lambda: int(time.time() * 1000))
        self._price_walk = True  # admin/tests may freeze the random walk; set_price still works
        self.replay_queues: dict[str, deque[Decimal]] = {sym: deque() for sym in CONTRACTS}
        self.subscribers: list[Callable[[EngineEvent], None]] = []
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
        self.sub_transfers: list[SubTransfer] = []
        self.resting: dict[str, dict[str, dict[Decimal, int]]] = {
            sym: {"bids": {}, "asks": {}} for sym in CONTRACTS
        }
        self._shown: dict[str, tuple[Decimal, int]] = {}  # order id -> (price, contracts) in depth
        # symbol -> (mark, bids, asks): the merged book, rebuilt when the mark or resting orders change
        self.book_cache: dict[str, tuple[Decimal, list[tuple[Decimal, int]], list[tuple[Decimal, int]]]] = {}
        self.cancel_timers: dict[tuple[str, str], int] = {}
        self.funding_history: dict[str, deque[FundingRecord]] = {sym: deque(maxlen=1000) for sym in CONTRACTS}
        self.seq: dict[str, int] = {"order": 0, "trade": 0, "txn": 0, "transfer": 0}
        now = self.now()
        self.markets: dict[str, MarketSim] = {}
        for sym, spec in CONTRACTS.items():
            market = MarketState(sym, spec.start_price, spec.start_price, now)
            market.next_funding_ms = self.next_funding_boundary(now)
            self.markets[sym] = MarketSim(spec, market, seed)
        self._load()
        for sim in self.markets.values():
            if not sim.state.funding_rate:
                sim.state.funding_rate = sim.premium_rate()
            sim.record(now)

    # ---- clock, ids, persistence -------------------------------------------------------------
    @property
    def price_walk(self) -> bool:
        return self._price_walk

    @price_walk.setter
    def price_walk(self, on: bool) -> None:
        """Run (True) or freeze (False) the random walk; saved, so a freeze survives a restart."""
        self._price_walk = on
        if self.persist is not None:
            self.persist.put("flags", "flags", {"price_walk": on})

    def now(self) -> int:
        return self._clock()

    def next_funding_boundary(self, now: int) -> int:
        return (now // self.funding_interval_ms + 1) * self.funding_interval_ms

    def put(self, kind: str, doc_id: str, obj: Any) -> None:
        if self.persist is not None:
            self.persist.put(kind, doc_id, to_doc(obj))

    def delete(self, kind: str, doc_id: str) -> None:
        if self.persist is not None:
            self.persist.delete(kind, doc_id)

    def next_id(self, kind: str) -> str:
        self.seq[kind] += 1
        if self.persist is not None:
            self.persist.put("seq", "seq", dict(self.seq))
        return str(ID_BASE + self.seq[kind])

    def _load(self) -> None:
        p = self.persist
        if p is None:
            return
        for _, doc in p.load("flags"):
            self._price_walk = bool(doc.get("price_walk", True))
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
        for _, doc in sorted(p.load("order"), key=lambda kv: kv[0]):
            self.index_order(from_doc(Order, doc))
        for _, doc in sorted(p.load("plan"), key=lambda kv: kv[0]):
            self.index_plan(from_doc(PlanOrder, doc))
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
        subs = [from_doc(SubTransfer, doc) for _, doc in p.load("sub_transfer")]
        self.sub_transfers = sorted(subs, key=lambda t: (t.submission_time, t.request_no))

    # ---- indexes -----------------------------------------------------------------------------
    def index_order(self, o: Order, *, rest: bool = True) -> None:
        self.orders[o.order_id] = o
        self.orders_by_uid.setdefault(o.uid, {})[o.order_id] = o
        if o.client_order_id:
            self.order_coid.setdefault(o.uid, {})[o.client_order_id] = o.order_id
        if o.state != 4 and rest:
            self.rest(o)

    def rest(self, o: Order) -> None:
        """Put a live order on the book: open indexes and the depth shown to everyone."""
        self.open_by_uid.setdefault(o.uid, {})[o.order_id] = o
        self.open_by_symbol[o.symbol][o.order_id] = o
        self.show(o)

    def show(self, o: Order) -> None:
        if o.order_id in self._shown or o.state == 4 or o.remaining <= 0:
            return
        self._shown[o.order_id] = (o.price, o.remaining)
        self._rest_level(o.symbol, o.side, o.price, o.remaining)

    def hide(self, o: Order) -> None:
        shown = self._shown.pop(o.order_id, None)
        if shown is not None:
            self._rest_level(o.symbol, o.side, shown[0], -shown[1])

    def unrest(self, o: Order) -> None:
        """Take a finished order out of the open indexes."""
        self.open_by_symbol[o.symbol].pop(o.order_id, None)
        self.open_by_uid.get(o.uid, {}).pop(o.order_id, None)

    def index_plan(self, p: PlanOrder) -> None:
        self.plans[p.order_id] = p
        self.plans_by_uid.setdefault(p.uid, {})[p.order_id] = p
        if p.client_order_id:
            self.plan_coid.setdefault(p.uid, {})[p.client_order_id] = p.order_id
        if p.state == 1:
            self.live_plans[p.symbol][p.order_id] = p

    def _rest_level(self, symbol: str, side: int, price: Decimal, delta: int) -> None:
        self.book_cache.pop(symbol, None)
        book = self.resting[symbol]["bids" if side in (1, 2) else "asks"]
        left = book.get(price, 0) + delta
        if left > 0:
            book[price] = left
        else:
            book.pop(price, None)

    # ---- events ------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[EngineEvent], None]) -> Callable[[], None]:
        """Register a sync callback for every event; returns the unsubscribe function."""
        self.subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self.subscribers:
                self.subscribers.remove(callback)

        return unsubscribe

    def emit(self, channel: str, uid: str | None, data: Json | list[Any]) -> None:
        if not self.subscribers:
            return
        event = EngineEvent(channel, uid, data)
        for cb in list(self.subscribers):
            try:
                cb(event)
            except Exception:  # a broken subscriber must not break trading
                log.exception("engine event subscriber failed on %s", channel)

    # ---- lookups -----------------------------------------------------------------------------
    def spec(self, symbol: str) -> ContractSpec:
        spec = CONTRACTS.get(symbol)
        if spec is None:
            raise errors.SYMBOL_NOT_EXIST(
                f"symbol {symbol!r} is not listed; /contract/public/details lists all {len(CONTRACTS)}")
        return spec

    def account(self, uid: str) -> Account:
        """uid's wallets, created empty on first use."""
        acct = self.accounts.get(uid)
        if acct is None:
            acct = Account(uid=uid, spot={"USDT": ZERO})
            self.accounts[uid] = acct
            self.put("account", uid, acct)
        return acct

    def save_account(self, acct: Account) -> None:
        self.put("account", acct.uid, acct)

    def user_positions(self, uid: str) -> dict[tuple[str, str], Position]:
        return self.positions.get(uid, {})

    def setting(self, acct: Account, symbol: str) -> tuple[Decimal, str]:
        """The symbol's (leverage, open_type) for acct: cross at 10x until set."""
        st = acct.settings.get(symbol)
        if st is None:
            return DEFAULT_LEVERAGE, "cross"
        return Decimal(st["leverage"]), st["open_type"]

    def save_order(self, o: Order) -> None:
        self.put("order", o.order_id, o)

    def save_plan(self, p: PlanOrder) -> None:
        self.put("plan", p.order_id, p)

    def save_position(self, pos: Position) -> None:
        self.put("position", pos.key, pos)
