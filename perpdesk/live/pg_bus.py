"""The event bus across processes: PostgreSQL LISTEN/NOTIFY (the database the cluster already runs).

`PgNotifyBus` delivers to this process's subscribers at once (an `InProcessBus` inside) and
sends the events of cross-process topics (accounts, users, control) to every other process on
one channel; each process delivers the others' events to its own subscribers. Market topics stay
local: every process runs its own market hub (public data), so they never cross.

NOTIFY carries at most 8000 bytes: a larger message (an account's whole view with many orders)
is split into numbered chunks sent in one transaction, so PostgreSQL delivers them together and
in order; the receiver joins them. No table, nothing to clean up.

Publishing never waits: events wait in a bounded outbox drained by one sender task (many events
per round trip); past the bound the oldest are dropped and counted (a page resyncs on the next
whole view). Connections are re-opened after a failure; while down, events stay local.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from perpdesk.live.bus import InProcessBus, Subscription
from perpdesk.metrics import METRICS

log = logging.getLogger(__name__)

CHANNEL = "perpdesk_events"
CROSSING = ("account:", "user:", "ctl:")  # topics other processes need; market data stays local
WATCH = "ctl:watch"  # a web process's open account pages, so the owner's mirror knows it is watched
NOTIFY_LIMIT = 7900  # PostgreSQL's 8000 bytes, less room for the channel name
CHUNK_BYTES = 5600  # base64 of it fits NOTIFY_LIMIT with its header
RECONNECT_S = 1.0
# (topic, kind, data) -> what crosses the wire instead of data (the worker adds the whole view)
Transform = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def _same(topic: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return data


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL (postgresql+asyncpg://...) as the DSN asyncpg itself takes."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def split_message(raw: bytes, msg_id: str) -> list[str]:
    """One NOTIFY payload, or numbered chunks of it: `>id i n base64` each under the limit."""
    if len(raw) <= NOTIFY_LIMIT:
        return [raw.decode()]
    parts = [raw[i:i + CHUNK_BYTES] for i in range(0, len(raw), CHUNK_BYTES)]
    return [f">{msg_id} {i} {len(parts)} {base64.b64encode(p).decode()}" for i, p in enumerate(parts)]


class Joiner:
    """Joins chunked payloads back into messages (chunks of one message arrive together, in order)."""

    def __init__(self) -> None:
        self._parts: dict[str, list[bytes]] = {}

    def feed(self, payload: str) -> bytes | None:
        if not payload.startswith(">"):
            return payload.encode()
        head, index, count, body = payload[1:].split(" ", 3)
        parts = self._parts.setdefault(head, [])
        if int(index) != len(parts):  # a lost chunk (a dropped connection): forget the message
            self._parts.pop(head, None)
            return None
        parts.append(base64.b64decode(body))
        if len(parts) < int(count):
            return None
        del self._parts[head]
        return b"".join(parts)


class PgNotifyBus:
    def __init__(self, url: str, *, default_maxsize: int = 256, outbox: int = 10000,
                 outgoing: Transform = _same, incoming: Transform = _same,
                 announce_watched_s: float | None = None) -> None:
        self.local = InProcessBus(default_maxsize=default_maxsize)
        self.dsn = asyncpg_dsn(url)
        self.origin = uuid.uuid4().hex[:12]
        self.outgoing, self.incoming = outgoing, incoming
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(outbox)
        self._ids = itertools.count(1)
        self._joiner = Joiner()
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()  # listening: what another process sends now arrives
        self.dropped_total = 0
        self.announce_watched_s = announce_watched_s  # web processes: say which pages are open
        self._remote_watch: dict[str, float] = {}  # topic -> until when another process watches it

    # ---- the EventBus interface -------------------------------------------------------------
    def publish(self, topic: str, kind: str, data: dict[str, Any]) -> int:
        seq = self.local.publish(topic, kind, data)
        if topic.startswith(CROSSING):
            wire = orjson.dumps({"o": self.origin, "t": topic, "k": kind, "ms": time.time() * 1000,
                                 "d": self.outgoing(topic, kind, data)})
            try:
                self._outbox.put_nowait((f"{self.origin}-{next(self._ids)}", wire))
            except asyncio.QueueFull:
                self._outbox.get_nowait()  # the oldest goes: newer whole views supersede it
                self._outbox.put_nowait((f"{self.origin}-{next(self._ids)}", wire))
                self.dropped_total += 1
                METRICS.events_dropped.inc()
        return seq

    def subscribe(self, topics: Iterable[str], *, maxsize: int | None = None) -> Subscription:
        return self.local.subscribe(topics, maxsize=maxsize)

    def subscriber_count(self, topic: str | None = None) -> int:
        return self.local.subscriber_count(topic)

    def watchers(self, topic: str) -> int:
        """This process's open pages of `topic`, plus one while another process says it has some."""
        remote = self._remote_watch.get(topic, 0.0) > time.monotonic()
        return self.local.watchers(topic) + int(remote)

    def queue_depth(self) -> int:
        return self._outbox.qsize()

    # ---- the connections --------------------------------------------------------------------
    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._listen(), name="pg-bus-listen"),
                           asyncio.create_task(self._send(), name="pg-bus-send")]
            if self.announce_watched_s:
                self._tasks.append(asyncio.create_task(self._announce(self.announce_watched_s)))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _listen(self) -> None:
        import asyncpg

        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self.dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, ev=lost: ev.set())
                await conn.add_listener(CHANNEL, self._on_notify)
                self.connected.set()
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server restarting: listen again shortly
                log.warning("event bus: listening failed (%s); retrying", type(exc).__name__)
            finally:
                self.connected.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=1)
            await asyncio.sleep(RECONNECT_S)

    async def _send(self) -> None:
        import asyncpg

        conn = None
        while True:
            first = await self._outbox.get()
            batch = [first]
            while not self._outbox.empty() and len(batch) < 500:
                batch.append(self._outbox.get_nowait())
            args = [(CHANNEL, payload) for msg_id, raw in batch for payload in split_message(raw, msg_id)]
            try:
                if conn is None or conn.is_closed():
                    conn = await asyncpg.connect(self.dsn)
                await conn.executemany("SELECT pg_notify($1, $2)", args)  # one transaction
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.dropped_total += len(batch)
                METRICS.events_dropped.inc(len(batch))
                log.warning("event bus: sending %d events failed (%s)", len(batch), type(exc).__name__)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=1)
                conn = None
                await asyncio.sleep(RECONNECT_S)

    async def _announce(self, every_s: float) -> None:
        while True:
            topics = self.local.watched("account:")
            if topics:  # valid for three announcements: one lost message changes nothing
                self.publish(WATCH, "watch", {"topics": topics, "for_s": 3 * every_s})
            await asyncio.sleep(every_s)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        raw = self._joiner.feed(payload)
        if raw is None:
            return
        msg = orjson.loads(raw)
        if msg["o"] == self.origin:
            return  # our own: delivered locally when published
        METRICS.broker_lag.observe(max(0.0, time.time() - msg["ms"] / 1000))
        if msg["t"] == WATCH:
            until = time.monotonic() + float(msg["d"]["for_s"])
            for topic in msg["d"]["topics"]:
                self._remote_watch[topic] = until
            return
        data = self.incoming(msg["t"], msg["k"], msg["d"])
        METRICS.events_received.inc()
        self.local.publish(msg["t"], msg["k"], data)
