"""AccountMirror: one account's balances, positions, open orders, plan/TP/SL/trailing orders and
recent fills, kept current from the exchange's private stream.

- The stream takes a REST snapshot at start and after every reconnection ('resync'); the mirror
  adds plan orders and fills to it. Pushes update the state; the parts a push cannot carry whole
  are refreshed by REST, debounced so a burst costs one request per part.
- Every `reconcile_interval_s` the mirror reads the exchange again, logs any drift in the
  account's audit log and replaces its state with the exchange's. A quiet account (no order or
  plan open, no push that changed anything, no drift, no page open since the last round; its
  positions, if any, re-sent unchanged by the exchange lately) is read half as often each round,
  down to once every `reconcile_idle_max_s`: most accounts are idle most of the time, and their
  reads were most of an idle mirror's CPU and of the exchange's weight spent on it.
- Credentials are opened by `open_creds` (the account-access service) only for a (re)connection,
  a refresh or a reconciliation, and dropped after.
- Positions are re-valued at the shared live mark price (MarketHub); every change is published
  on the bus as the account's whole view (`account:<id>`), when someone listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perpdesk.core.errors import (
    AuthenticationFailed,
    ExchangeError,
    InvalidSignature,
    IpNotAllowed,
    NotWhitelistedForFutures,
    PermissionMissing,
    PerpdeskError,
)
from perpdesk.core.market import MarketChannel, MarketKind, PlanOrder
from perpdesk.core.models import Credentials, Order, Position, StreamEvent
from perpdesk.exchanges.base import FuturesConnector, TerminalConnector
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import EventBus, account_topic
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.state import AccountState, PosKey, cross_upnl, drift
from perpdesk.live.stream_guard import consume
from perpdesk.live.triggers import fired
from perpdesk.live.views import AccountLive, Freshness, FreshnessView, at_mark, jsonable, live_view

log = logging.getLogger(__name__)
KEY_PROBLEMS = (AuthenticationFailed, InvalidSignature, IpNotAllowed, NotWhitelistedForFutures,
                PermissionMissing)
_EPOCHS = itertools.count(1)  # tells one mirror's ledger versions from a restarted one's
AuditSink = Callable[[str, str, str, dict[str, Any]], Awaitable[None]]  # user, account, action, detail
# what the exchange's list of conditional orders leaves out, filled in from what the platform
# stored when it placed them (Binance's trailing stop terms: services/trading/trail_terms.py)
PlanTerms = Callable[[list[PlanOrder]], Awaitable[list[PlanOrder]]]


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class MirrorRef:
    account_id: str
    user_id: str
    venue: Venue  # the account's stored venue: its connector is built from this
    label: str

    @property
    def exchange(self) -> str:
        return self.venue.exchange


class AccountMirror:
    def __init__(
        self,
        ref: MirrorRef,
        connector: FuturesConnector,
        open_creds: Callable[[], Awaitable[Credentials]],
        bus: EventBus,
        hub: MarketHub,
        *,
        audit: AuditSink | None = None,
        plan_terms: PlanTerms | None = None,
        reconcile_interval_s: float = 60.0,
        reconcile_idle_max_s: float | None = None,
        watched_plans_s: float = 0.0,
        refresh_debounce_s: float = 0.3,
        fills_kept: int = 100,
    ) -> None:
        self.ref = ref
        self.connector = connector
        self.open_creds = open_creds
        self.bus = bus
        self.hub = hub
        self.audit = audit
        self.plan_terms = plan_terms
        self.reconcile_interval_s = reconcile_interval_s
        self.reconcile_idle_max_s = max(reconcile_interval_s, reconcile_idle_max_s or reconcile_interval_s)
        self._next_reconcile_s = reconcile_interval_s
        self._moves_at_reconcile = -1
        # when the exchange last re-sent every held position unchanged (BitMart's timed push, every
        # 10 s): such a push confirms them as a reconciliation's read would
        self._positions_confirmed_ms = 0
        self._unnamed_read_ms = 0  # the last read asked for because a re-send left a position out
        self._drifted_last = False
        self.watched_plans_s = watched_plans_s
        self.refresh_debounce_s = refresh_debounce_s
        self.state = AccountState(fills_kept=fills_kept)
        self.freshness = FreshnessView(Freshness.STARTING, now_ms())
        self.key_problem: ExchangeError | None = None
        self.reconciliations = 0
        self.reconciliations_skipped = 0
        self.drifts = 0
        self._tasks: list[asyncio.Task[None]] = []  # the stream, and a periodic read while it runs
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._timed = False  # timers are set from start() until stop()
        self._want: set[str] = set()
        self._refresh: asyncio.Task[None] | None = None
        self._symbols: set[str] = set()
        self._publish_due = False
        self.fills_loaded = False  # the first read is history, not new fills
        self._reread = False  # the pending refresh repeats one that overlapped a push
        self.pushes = 0  # stream events applied: a REST read that overlapped one may be older
        self.moves = 0  # those that could have changed something (not a timed unchanged re-send)
        self.topic = account_topic(ref.account_id)
        self.ledger_version, self.ledger_changed_ms, self._epoch = 0, now_ms(), next(_EPOCHS)
        self._told: deque[str] | None = None  # plan orders whose firing was published (once one is)
        self._entries: dict[PosKey, Decimal] = {}  # last entry price per position, kept after it closes

    # ---- life ----------------------------------------------------------------------------------
    def start(self) -> None:
        """The stream runs as a task; the periodic reads are timers on the loop, each a short task
        when due (an idle account holds one task, not three sleeping)."""
        self._tasks = [asyncio.create_task(self._run(), name=f"mirror:{self.ref.account_id}")]
        self._timed = True
        # the first reconciliation at a random point of the interval: mirrors started together
        # (a worker's boot) do not all read the exchange in the same second ever after
        self._arm("reconcile", self.reconcile_interval_s * (0.5 + random.random() / 2))
        if self.watched_plans_s > 0:
            self._arm("plans", self.watched_plans_s)

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    async def stop(self) -> None:
        self._timed = False
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        tasks = [*self._tasks, *([self._refresh] if self._refresh else [])]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks = []
        self._refresh = None
        await self._follow(set())
        self._set(Freshness.STOPPED, "")

    def _arm(self, what: str, delay_s: float) -> None:
        if not self._timed:  # stopped meanwhile
            return
        self._timers[what] = asyncio.get_running_loop().call_later(delay_s, self._due, what)

    def _due(self, what: str) -> None:
        """A periodic read is due: run it as a short task, then set the next one (after it ends,
        so a slow exchange never stacks reads)."""
        if what == "plans":  # a look for an open page, and its reads ask the debounced refresh: no task
            self._watched_plans_due()
            return
        task = asyncio.create_task(self._reconcile_due(), name=f"mirror:{self.ref.account_id}:{what}")
        self._tasks.append(task)
        task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):  # stop() may have dropped the list already
            self._tasks.remove(task)

    # ---- freshness -------------------------------------------------------------------------------
    def _set(self, state: Freshness, reason: str, at: int | None = None) -> None:
        if self.freshness.state is not state or self.freshness.reason != reason:
            self.freshness = FreshnessView(state, at or now_ms(), reason)
        self._publish_soon()

    # ---- the private stream ----------------------------------------------------------------------
    async def _run(self) -> None:
        await consume(lambda: self.connector.stream(self.open_creds), self._apply, self._stream_failed)

    def _stream_failed(self, exc: Exception, delay: float) -> bool:
        """The stream reconnects by itself; anything else that ends it is logged, shown as
        disconnected and retried with a growing delay, except a refused key (the account must
        be fixed; the supervisor restarts the mirror once it is edited)."""
        if isinstance(exc, KEY_PROBLEMS):
            self.key_problem = exc
            log.warning("live mirror of account %s stopped: the exchange refused the key (%s)",
                        self.ref.account_id, type(exc).__name__)
            self._set(Freshness.DISCONNECTED, f"The exchange refused the key: {exc.message}")
            if self.bus.subscriber_count(self.topic):  # notifications
                self.bus.publish(self.topic, "key_problem",
                                 self._tagged({"code": exc.code, "message": exc.message}))
            return False
        log.warning("live mirror of account %s: stream failed (%s); retrying in %.0f s",
                    self.ref.account_id, type(exc).__name__, delay, exc_info=True)
        reason = exc.message if isinstance(exc, ExchangeError) else type(exc).__name__
        self._set(Freshness.DISCONNECTED, f"The exchange's stream failed: {reason}; retrying.")
        return True

    async def _apply(self, ev: StreamEvent) -> None:
        st, p = self.state, ev.payload
        self.pushes += 1
        if ev.kind in ("resync", "asset") or (ev.kind == "order" and p.get("filled")):
            self.ledger_version += 1  # the exchange's ledger may have new rows (fees, PnL, funding)
            self.ledger_changed_ms = now_ms()
        self._entries.update({k: pos.entry_price for k, pos in st.positions.items()})
        if ev.kind == "resync":
            st.set_positions(p["positions"])  # type: ignore[arg-type]
            st.set_balances(p["balances"], cross_upnl(list(st.positions.values())))  # type: ignore[arg-type]
            st.set_orders(p["open_orders"])  # type: ignore[arg-type]
            st.snapshot_at_ms = now_ms()
            self._ask("plans", "fills", "history", "mode")
            self._set(Freshness.FRESH, "")
        elif ev.kind == "disconnected":
            self._set(Freshness.DISCONNECTED, "The exchange's stream dropped; reconnecting.",
                      int(p.get("at_ms") or now_ms()))  # type: ignore[call-overload]
        elif ev.kind == "asset":
            st.apply_assets(p["balances"], self._cross_upnl_now())  # type: ignore[arg-type]
            self._ask("balances")
        elif ev.kind == "position":
            # (BitMart also pushes held positions every 10 s: no read unless one is new)
            held = dict(st.positions)
            pushed: list[Position] = p["positions"]  # type: ignore[assignment]
            if st.apply_positions(pushed, p.get("closed", [])):  # type: ignore[arg-type]
                self._ask("positions", "balances")
            if st.positions == held:  # that periodic push, unchanged: the view is as published
                if {(q.symbol, q.side) for q in pushed} == held.keys():  # ...and it named them all
                    self._positions_confirmed_ms = now_ms()
                elif now_ms() - self._unnamed_read_ms > self.reconcile_interval_s * 1000:
                    # a held position it left out may have closed unseen: read them (at most once
                    # a round, should the exchange's list and its re-sends differ for good)
                    self._unnamed_read_ms = now_ms()
                    self._ask("positions", "balances")
                return
        elif ev.kind == "order":
            st.apply_orders(p["orders"])  # type: ignore[arg-type]
            if p.get("plans_changed"):
                self._ask("plans")
            if p.get("filled"):  # the fill's realised PnL and fee come with the trades read
                self._ask("fills")
            if self.bus.subscriber_count(self.topic):  # discrete events for notifications
                for order in p["orders"]:  # type: ignore[attr-defined]
                    self.bus.publish(self.topic, "order", self._tagged(order))
                self._tell_triggers(p.get("triggered") or [], p["orders"])  # type: ignore[arg-type]
        self.moves += 1
        await self._follow(st.symbols)
        self._publish_soon()

    # ---- REST refreshes (debounced) --------------------------------------------------------------
    def refresh(self, *parts: str) -> None:
        """Read parts again soon ("balances", "positions", "plans", "fills", "mode"): for writes the
        exchange does not push, e.g. a new TP/SL or trigger order (BitMart pushes it once it fires)."""
        self._ask(*parts)

    def _ask(self, *parts: str) -> None:
        self._want.update(parts)
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(self._refresh_later())

    async def _refresh_later(self) -> None:
        await self._refresh_once()
        if self._want:  # asked for while this read was running (not after a cancel: stopped)
            self._refresh = asyncio.create_task(self._refresh_later())

    async def _refresh_once(self) -> None:
        await asyncio.sleep(self.refresh_debounce_s)
        parts, self._want = self._want, set()
        retried, self._reread = self._reread, False
        try:
            await self._read(parts, retried=retried)
        except Exception as exc:  # the exchange, or the account's key could not be opened
            log.info("live refresh of account %s failed: %s", self.ref.account_id, type(exc).__name__)
            if self.freshness.state is Freshness.FRESH:
                reason = exc.message if isinstance(exc, PerpdeskError) else type(exc).__name__
                self._set(Freshness.STALE, f"A read from the exchange failed: {reason}")
            return
        if self.freshness.state is Freshness.STALE:
            self._set(Freshness.FRESH, "")
        await self._follow(self.state.symbols)
        self._publish_soon()

    async def _read(self, parts: set[str], *, retried: bool = False) -> None:
        conn, st = self.connector, self.state
        creds = await self.open_creds()
        calls: dict[str, Awaitable[Any]] = {}
        if "balances" in parts:
            calls["balances"] = conn.balances(creds)
        if "positions" in parts:
            calls["positions"] = conn.positions(creds)
        if "plans" in parts:
            calls["plans"] = self._plan_orders(conn, creds)
        if "fills" in parts:
            calls["fills"] = conn.fills(creds)
        if "mode" in parts and isinstance(conn, TerminalConnector):
            calls["mode"] = conn.position_mode(creds)
        del creds
        before = self.pushes
        got = dict(zip(calls, await asyncio.gather(*calls.values()), strict=True))
        if self.pushes != before and not retried:  # the answer may predate a push: read again
            self._reread = True
            self._want.update(parts)
            return
        if "positions" in got:
            st.set_positions(got["positions"])
        if "balances" in got:  # read with the positions: their uPnL; else at the live marks
            st.set_balances(got["balances"], cross_upnl(got["positions"]) if "positions" in got
                            else self._cross_upnl_now())
        if "plans" in got:
            st.set_plans(got["plans"])
        if "mode" in got:
            st.position_mode = got["mode"]
        if "fills" in got:
            known = {f.trade_id for f in st.fills}
            st.set_fills(got["fills"])
            if self.bus.subscriber_count(self.topic):  # new since the last read; the first read's
                day_ago = now_ms() - 86_400_000  # last day as "initial" (notified once, if not yet)
                for fill in st.fills:
                    if fill.trade_id not in known and (self.fills_loaded or fill.time_ms >= day_ago):
                        data = self._tagged(fill)
                        data["initial"] = not self.fills_loaded
                        self.bus.publish(self.topic, "fill", data)
            self.fills_loaded = True
        if "history" in parts:  # finished orders of every symbol traded lately (BitMart asks per symbol)
            creds = await self.open_creds()
            symbols = sorted(st.traded_symbols)
            found = await asyncio.gather(*(conn.order_history(creds, sym) for sym in symbols))
            del creds
            st.set_finished([o for rows in found for o in rows])

    async def _plan_orders(self, conn: FuturesConnector, creds: Credentials) -> list[PlanOrder]:
        plans = await conn.plan_orders(creds)
        return plans if self.plan_terms is None else await self.plan_terms(plans)

    # ---- reconciliation --------------------------------------------------------------------------
    async def _reconcile_due(self) -> None:
        try:
            if self.freshness.state in (Freshness.FRESH, Freshness.STALE):
                try:
                    await self.reconcile()
                except Exception as exc:  # the timer goes on: the next round may succeed
                    log.info("reconciliation of account %s failed: %s", self.ref.account_id,
                             type(exc).__name__)
                    reason = exc.message if isinstance(exc, PerpdeskError) else type(exc).__name__
                    self._drifted_last = True  # not quiet: the next round at the base interval
                    self._set(Freshness.STALE, f"Reconciliation failed: {reason}")
        finally:
            self._next_reconcile_s = self._reconcile_pause()
            self._arm("reconcile", self._next_reconcile_s)

    def _reconcile_pause(self) -> float:
        """The wait before the next round: doubled while the account stays quiet, the base
        interval again as soon as anything happens. Held positions leave an account quiet while
        the exchange keeps re-sending them all unchanged (BitMart, every 10 s): a fifth of the
        accounts holding one made them most of an idle worker's reads. A close whose push was
        lost breaks that (the re-sends no longer match what is held): the base interval again."""
        st = self.state
        confirmed = (not st.positions
                     or now_ms() - self._positions_confirmed_ms <= self.reconcile_interval_s * 1000)
        quiet = (self.moves == self._moves_at_reconcile and not self._drifted_last
                 and not st.orders and not st.plans and confirmed
                 and not self.bus.watchers(self.topic))
        self._moves_at_reconcile = self.moves
        if not quiet:
            return self.reconcile_interval_s
        return min(self.reconcile_idle_max_s, self._next_reconcile_s * 2)

    def _watched_plans_due(self) -> None:
        self.look_at_watched_plans()
        self._arm("plans", self.watched_plans_s)

    def look_at_watched_plans(self) -> None:
        """BitMart pushes a trigger/TP-SL/trailing order only once it fires: one placed elsewhere
        (another client, the exchange's site) reaches an open page of the account by this re-read.
        A supervisor calls it for all its mirrors from one timer (a timer per mirror, every 5 s,
        was a tenth of an idle worker's CPU); a mirror on its own arms its own."""
        if self.bus.watchers(self.topic) and self.freshness.state in (Freshness.FRESH, Freshness.STALE):
            self._ask("plans")

    async def reconcile(self) -> list[dict[str, Any]]:
        """Read the exchange, log and audit any drift, take the exchange's state. Returns the drift."""
        conn = self.connector
        creds = await self.open_creds()
        before = self.pushes
        balances, positions, orders, plans = await asyncio.gather(
            conn.balances(creds), conn.positions(creds), conn.open_orders(creds),
            self._plan_orders(conn, creds))
        del creds
        if self.pushes != before:  # the snapshot may predate what a push said meanwhile: next time
            self.reconciliations_skipped += 1
            return []
        found = drift(self.state, positions, orders, plans)
        self._drifted_last = bool(found)
        st = self.state
        held = (st.balances, st.positions, st.orders, st.plans)
        st.set_balances(balances, cross_upnl(positions))
        st.set_positions(positions)
        st.set_orders(orders)
        st.set_plans(plans)
        st.snapshot_at_ms = now_ms()
        self.reconciliations += 1
        if found:
            self.drifts += 1
            log.warning("live mirror of account %s drifted from the exchange; repaired: %s",
                        self.ref.account_id, [d["part"] for d in found])
            if self.audit is not None:
                await self.audit(self.ref.user_id, self.ref.account_id, "live.drift_repaired",
                                 {"drift": found})
        if self.freshness.state is Freshness.STALE:
            self._set(Freshness.FRESH, "")
        await self._follow(st.symbols)
        if found or (st.balances, st.positions, st.orders, st.plans) != held:
            # an idle account's round changes nothing: its unchanged view is not sent again to
            # every web process (pages read `snapshot_at_ms` with the next change)
            self._publish_soon()
        return found

    # ---- market data -----------------------------------------------------------------------------
    async def _follow(self, symbols: set[str]) -> None:
        """Hold the ticker of every symbol the account has a position in, and only those."""
        if symbols == self._symbols:
            return
        ex = self.ref.exchange
        added, gone = symbols - self._symbols, self._symbols - symbols
        self._symbols = set(symbols)
        for sym in gone:
            self.hub.unlisten(ex, sym, self._on_mark)
        for sym in added:
            self.hub.listen(ex, sym, self._on_mark)
        if gone:
            await self.hub.release(ex, [MarketChannel(MarketKind.TICKER, s) for s in gone])
        if added:
            await self.hub.acquire(ex, [MarketChannel(MarketKind.TICKER, s) for s in added])

    def _on_mark(self, symbol: str, mark: Decimal) -> None:
        self._publish_soon()

    def _cross_upnl_now(self) -> Decimal | None:
        """The cross positions' uPnL at the live marks (None while a mark is unknown)."""
        marks = {sym: self.hub.mark(self.ref.exchange, sym) for sym in self.state.symbols}
        if any(m is None or m <= 0 for m in marks.values()):
            return None
        return cross_upnl([at_mark(p, marks[p.symbol]) for p in self.state.positions.values()])

    # ---- reads and publishing --------------------------------------------------------------------
    def fresh(self) -> bool:
        """Whether `view()` would say fresh, without building it (`/metrics` asks every mirror)."""
        if not self.freshness.fresh:
            return False
        return all(self.hub.mark(self.ref.exchange, sym) is not None for sym in self.state.symbols)

    def view(self) -> AccountLive:
        ex = self.ref.exchange
        marks = {sym: self.hub.mark(ex, sym) for sym in self.state.symbols}
        return live_view(self.ref.account_id, self.ref.label, ex, self.state, self.freshness, marks,
                         ledger_version=f"{self._epoch}:{self.ledger_version}",
                         ledger_changed_ms=self.ledger_changed_ms)

    def _tagged(self, value: Any) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(value)
        data["account_id"] = self.ref.account_id
        data["user_id"] = self.ref.user_id
        data["label"] = self.ref.label
        return data

    def _tell_triggers(self, origins: list[dict[str, str]], orders: list[Order]) -> None:
        if self._told is None:
            self._told = deque(maxlen=200)
        for event in fired(origins, orders, self.state, self._entries, self._told,
                           lambda sym: self.hub.mark(self.ref.exchange, sym)):
            self.bus.publish(self.topic, "trigger", self._tagged(event))

    def _publish_soon(self) -> None:
        """Coalesce a burst (many ticks, many pushes) into one publish on the next loop turn."""
        if self._publish_due or not self.bus.subscriber_count(self.topic):
            return
        self._publish_due = True
        asyncio.get_running_loop().call_soon(self._publish)

    def _publish(self) -> None:
        self._publish_due = False
        data = self.view().to_dict(full=False)
        data["user_id"] = self.ref.user_id  # whose it is (notifications); pages see their own only
        self.bus.publish(self.topic, "account", data)
