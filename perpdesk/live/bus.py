"""The event bus between the mirrors (producers) and the browsers, API and notifications.

`EventBus` is the interface; `InProcessBus` implements it for one process, `PgNotifyBus`
(pg_bus.py) across processes over PostgreSQL LISTEN/NOTIFY: events are plain JSON-able dicts on
string topics, and nothing relies on sharing objects.

A subscription names topics, or `<prefix>:*` for every topic of a prefix (`ALL_ACCOUNTS`).
Subscribers get a bounded queue. Publishing never waits: a subscriber whose queue is full is
dropped (its `dropped` flag set, its iterator ends) so one slow browser never delays the others;
it reconnects and resyncs from the mirror's current state.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from perpdesk.metrics import METRICS


def account_topic(account_id: str) -> str:
    return f"account:{account_id}"


def market_topic(exchange: str, symbol: str) -> str:
    return f"market:{exchange}:{symbol}"


def user_topic(user_id: str) -> str:
    """A user's own events: "unread" when their notifications changed (the nav's Alerts badge)."""
    return f"user:{user_id}"


ALL_ACCOUNTS = "account:*"  # every account's events (notifications, equity snapshots)


def _wildcard(topic: str) -> str:
    return topic.split(":", 1)[0] + ":*"


@dataclass(frozen=True, slots=True)
class LiveEvent:
    topic: str
    kind: str  # "account" (a whole account view), "status", "ticker", ...
    data: dict[str, Any]
    seq: int = 0  # the bus's sequence number: SSE event ids


class Subscription(Protocol):
    topics: frozenset[str]
    dropped: bool

    def __aiter__(self) -> AsyncIterator[LiveEvent]: ...
    async def get(self, wait_s: float | None = None) -> LiveEvent | None: ...
    def close(self) -> None: ...


class EventBus(Protocol):
    def publish(self, topic: str, kind: str, data: dict[str, Any]) -> int: ...
    def subscribe(self, topics: Iterable[str], *, maxsize: int | None = None) -> Subscription: ...
    def subscriber_count(self, topic: str | None = None) -> int: ...
    def watchers(self, topic: str) -> int: ...


_END = LiveEvent("", "end", {})


@dataclass(eq=False)
class _Sub:
    bus: InProcessBus
    topics: frozenset[str]
    queue: asyncio.Queue[LiveEvent]
    dropped: bool = False
    closed: bool = field(default=False)

    def __aiter__(self) -> AsyncIterator[LiveEvent]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[LiveEvent]:
        while True:
            event = await self.queue.get()
            if event is _END:
                return
            yield event

    async def get(self, wait_s: float | None = None) -> LiveEvent | None:
        """The next event; None on timeout or once closed/dropped."""
        try:
            event = await asyncio.wait_for(self.queue.get(), wait_s)
        except TimeoutError:
            return None
        return None if event is _END else event

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.bus._remove(self)
            self._end()

    def _end(self) -> None:
        while True:  # make room for the end marker
            try:
                self.queue.put_nowait(_END)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()


class InProcessBus:
    def __init__(self, default_maxsize: int = 256) -> None:
        self.default_maxsize = default_maxsize
        self._subs: dict[str, set[_Sub]] = {}
        self._seq = itertools.count(1)
        self.dropped_total = 0

    def publish(self, topic: str, kind: str, data: dict[str, Any]) -> int:
        seq = next(self._seq)
        METRICS.events_published.inc()
        subs = self._subs.get(topic, set()) | self._subs.get(_wildcard(topic), set())
        if not subs:
            return seq
        event = LiveEvent(topic, kind, data, seq)
        for sub in subs:
            try:
                sub.queue.put_nowait(event)
                METRICS.events_delivered.inc()
            except asyncio.QueueFull:
                self.dropped_total += 1
                sub.dropped = True
                sub.close()
        return seq

    def subscribe(self, topics: Iterable[str], *, maxsize: int | None = None) -> Subscription:
        sub = _Sub(self, frozenset(topics), asyncio.Queue((maxsize or self.default_maxsize) + 1))
        for t in sub.topics:
            self._subs.setdefault(t, set()).add(sub)
        return sub

    def _remove(self, sub: _Sub) -> None:
        for t in sub.topics:
            subs = self._subs.get(t)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[t]

    def subscriber_count(self, topic: str | None = None) -> int:
        """Subscribers that get `topic`'s events (wildcard ones included), or all subscribers."""
        if topic is not None:
            return len(self._subs.get(topic, ())) + len(self._subs.get(_wildcard(topic), ()))
        return len({s for subs in self._subs.values() for s in subs})

    def watchers(self, topic: str) -> int:
        """Subscribers of `topic` itself (open pages of that account), not the wildcard ones."""
        return len(self._subs.get(topic, ()))

    def watched(self, prefix: str) -> list[str]:
        """The topics starting with `prefix` that someone subscribed to by name (open pages)."""
        return sorted(t for t in self._subs if t.startswith(prefix) and not t.endswith(":*"))
