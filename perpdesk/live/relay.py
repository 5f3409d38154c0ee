"""Live views across processes: what a worker adds to its mirrors' events, and what a web-only
process keeps of them, so that its pages, API and SSE streams read accounts mirrored elsewhere.

Worker side: an `account` event crosses the broker with the account's whole view (open orders,
plans, fills, history) and its owner (`wire_view`), and `ControlResponder` answers the web
processes' requests (`ctl:*` topics): re-scan accounts now, re-read after a write, publish the
current views (a web process that just started or missed one), and says every scan which
accounts it holds.

Web side: `RemoteViews` (the `LiveQuery` of a web-only process) keeps the latest whole view per
account, gives its subscribers the same event a local mirror would (`to_dict(full=False)`), and
shows a view as disconnected once no worker has said it holds the account for three scans.
`RemoteControl` stands in for the supervisor: its calls go to the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
import types
import typing
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal
from functools import cache
from typing import Any

from perpdesk.core.ledger import Fill
from perpdesk.core.market import PlanOrder
from perpdesk.core.models import Balance, Order, Position, PositionMode
from perpdesk.live.bus import EventBus, Subscription, account_topic
from perpdesk.live.mirror import AccountMirror
from perpdesk.live.query import LiveQuery
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.live.views import AccountLive, Freshness, FreshnessView

KICK, WRITE, SYNC, HELD = "ctl:kick", "ctl:write", "ctl:sync", "ctl:held"
FULL_ONLY = ("open_orders", "plans", "fills", "order_history", "position_mode")
FORGET_AFTER = 20  # a view no worker held for this many hold periods is forgotten
SYNC_AGAIN_S = 2.0  # a web process asks for a missing view at most this often per account


def wire_view(supervisor: LiveSupervisor) -> Callable[[str, str, dict[str, Any]], dict[str, Any]]:
    """The worker's outgoing transform: an account event carries the whole view and its owner."""

    def outgoing(topic: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        mirror = supervisor.mirror(topic.removeprefix("account:")) if kind == "account" else None
        if mirror is None:
            return data
        view = mirror.view()
        return {"user_id": mirror.ref.user_id, "view": view.to_dict(full=True),
                "ledger_version": view.ledger_version, "ledger_changed_ms": view.ledger_changed_ms}

    return outgoing


class ControlResponder:
    """In a worker: acts on the web processes' control events, and says what it holds."""

    def __init__(self, supervisor: LiveSupervisor, bus: EventBus, held_every_s: float) -> None:
        self.supervisor, self.bus, self.held_every_s = supervisor, bus, held_every_s
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        sub = self.bus.subscribe([KICK, WRITE, SYNC], maxsize=10000)
        self._tasks = [asyncio.create_task(self._serve(sub), name="live-control"),
                       asyncio.create_task(self._say_held(), name="live-held")]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _serve(self, sub: Subscription) -> None:
        try:
            async for event in sub:
                if event.topic == KICK:
                    self.supervisor.kick()
                elif event.topic == WRITE:
                    self.supervisor.after_write(str(event.data["account_id"]), *event.data["parts"])
                elif event.topic == SYNC:
                    self.publish_views(event.data.get("account_ids"))
        finally:
            sub.close()

    def publish_views(self, account_ids: list[str] | None = None) -> None:
        for account_id, mirror in list(self.supervisor.mirrors.items()):
            if mirror.running and (account_ids is None or account_id in account_ids):
                self.bus.publish(account_topic(account_id), "account", mirror.view().to_dict(full=False))

    async def _say_held(self) -> None:
        while True:
            self.bus.publish(HELD, "held", {"owner": self.supervisor.ownership.owner_id,
                                            "account_ids": sorted(self.supervisor.mirrors)})
            await asyncio.sleep(self.held_every_s)


def _strip(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in FULL_ONLY}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _value(kind: Any, raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(kind, types.UnionType):  # X | None
        kind = next(k for k in kind.__args__ if k is not type(None))
    if kind is Decimal:
        return Decimal(str(raw))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(raw)
    return raw


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    return cls(**{f.name: _value(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data})


def account_live(envelope: dict[str, Any]) -> AccountLive:
    """The whole view a worker sent, as the `AccountLive` a local mirror would give."""
    v = envelope["view"]
    f = v["freshness"]
    mode = v.get("position_mode")
    return AccountLive(
        v["account_id"], v["label"], v["exchange"],
        FreshnessView(Freshness(f["state"]), int(f["since_ms"]), f["reason"]),
        balances=[_build(Balance, b) for b in v["balances"]],
        positions=[_build(Position, p) for p in v["positions"]],
        live_marks={p["symbol"] for p in v["positions"] if p.get("live_mark")},
        open_orders=[_build(Order, o) for o in v["open_orders"]],
        plans=[_build(PlanOrder, p) for p in v["plans"]],
        fills=[_build(Fill, x) for x in v["fills"]],
        snapshot_at_ms=int(v["snapshot_at_ms"]),
        finished=[_build(Order, o) for o in v["order_history"]],
        ledger_version=str(envelope.get("ledger_version", "")),
        ledger_changed_ms=int(envelope.get("ledger_changed_ms", 0)),
        position_mode=PositionMode(mode) if mode else None,
    )


class RemoteViews(LiveQuery):
    """The live query of a web-only process: the views the workers' mirrors published."""

    def __init__(self, held_for_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(None)
        self.bus: EventBus | None = None
        self.held_for_s, self.clock = held_for_s, clock
        self.views: dict[str, tuple[str, AccountLive]] = {}  # account id -> (user id, view)
        self.held_at: dict[str, float] = {}  # account id -> when a worker last said it holds it
        self._asked: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def incoming(self, topic: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """The bus's incoming transform: keep the whole view, deliver what a local mirror would."""
        if kind == "account" and "view" in data:
            view = account_live(data)
            self.views[view.account_id] = (str(data["user_id"]), view)
            self.held_at[view.account_id] = self.clock()
            return _strip(data["view"])
        if kind == "held":
            now = self.clock()
            for account_id in data["account_ids"]:
                self.held_at[account_id] = now
            forget = FORGET_AFTER * self.held_for_s
            for account_id in [a for a, t in self.held_at.items() if now - t > forget]:
                self.views.pop(account_id, None)  # disconnected long ago: nobody will hold it again
                del self.held_at[account_id]
        return data

    def start(self, bus: EventBus) -> None:
        self.bus = bus
        bus.publish(SYNC, "sync", {"account_ids": None})  # the current views, from every worker

    def account(self, user_id: str, account_id: str) -> AccountLive | None:
        held = self.views.get(account_id)
        if held is None:
            self._ask(account_id)
            return None
        owner, view = held
        if owner != user_id:
            return None
        if self.clock() - self.held_at.get(account_id, 0.0) > self.held_for_s:
            since = int(time.time() * 1000)
            return AccountLive(view.account_id, view.label, view.exchange, FreshnessView(
                Freshness.DISCONNECTED, since, "No worker holds this account now (taking it over)."))
        return view

    def user_accounts(self, user_id: str) -> list[AccountLive]:
        out = [self.account(user_id, i) for i, (owner, _v) in list(self.views.items()) if owner == user_id]
        return [v for v in out if v is not None]

    def _ask(self, account_id: str) -> None:
        now = self.clock()
        if self.bus is not None and now - self._asked.get(account_id, -SYNC_AGAIN_S) >= SYNC_AGAIN_S:
            self._asked[account_id] = now
            self.bus.publish(SYNC, "sync", {"account_ids": [account_id]})


class RemoteControl:
    """The supervisor's calls a web-only process makes, sent to the workers through the bus."""

    def __init__(self, bus: EventBus, owner_id: str) -> None:
        self.bus = bus
        self.mirrors: dict[str, AccountMirror] = {}  # none here: the workers run them
        self.ownership = types.SimpleNamespace(owner_id=owner_id)

    def kick(self) -> None:
        self.bus.publish(KICK, "kick", {})

    def after_write(self, account_id: str, *parts: str) -> None:
        self.bus.publish(WRITE, "write", {"account_id": account_id, "parts": list(parts)})

    def mirror(self, account_id: str) -> None:
        return None

    def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
