"""One WebSocket connection's state and bounded send queue, and the registry that fans pushes out.

Every connection has its own writer task draining its own queue, so a slow reader delays only
itself; once `QUEUE_LIMIT` frames or `QUEUE_BYTES` wait, it is dropped (its writer is cancelled
and the socket closed) rather than buffered without bound. A push is encoded once and the same
text is queued for every subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from perpdesk.sandbox.web.ws_protocol import Topic, encode

QUEUE_LIMIT = 2000
QUEUE_BYTES = 1 << 20
Close = tuple[int, str]  # queued to close the socket after what was queued before


class Connection:
    def __init__(self, ws: WebSocket, private: bool) -> None:
        self.ws = ws
        self.private = private
        self.uid: str | None = None
        self.groups: dict[str, Topic] = {}
        self.queue: asyncio.Queue[str | Close] = asyncio.Queue(QUEUE_LIMIT)
        self.queued_bytes = 0
        self.closing = False
        self.dropped = False  # too slow: cut off without flushing
        self.writer: asyncio.Task[None] | None = None

    @property
    def peer(self) -> str:
        return self.ws.client.host if self.ws.client else ""

    def send(self, message: dict[str, Any]) -> None:
        self.put(encode(message))

    def put(self, text: str) -> None:
        if self.closing:
            return
        if self.queue.full() or self.queued_bytes + len(text) > QUEUE_BYTES:
            self.drop()
            return
        self.queued_bytes += len(text)
        self.queue.put_nowait(text)

    def drop(self) -> None:
        """Better a reconnect than stale data: forget what waits and stop the blocked writer."""
        self.closing = self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queued_bytes = 0
        if self.writer is not None:
            self.writer.cancel()

    def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        try:
            self.queue.put_nowait((code, reason))
        except asyncio.QueueFull:
            self.queue.get_nowait()
            self.queue.put_nowait((code, reason))

    async def write(self) -> None:
        """The writer task: send queued frames until a close is queued."""
        while True:
            item = await self.queue.get()
            if isinstance(item, tuple):
                if self.ws.application_state != WebSocketState.DISCONNECTED:
                    with contextlib.suppress(Exception):
                        await self.ws.close(code=item[0], reason=item[1])
                return
            self.queued_bytes -= len(item)
            await self.ws.send_text(item)


class Registry:
    """Open connections and who follows which group: `group -> connections`, `uid -> connections`."""

    def __init__(self, on_group_empty: Callable[[Topic], None]) -> None:
        self.connections: set[Connection] = set()
        self.followers: dict[str, set[Connection]] = {}
        self.topics: dict[str, Topic] = {}  # every group with followers
        self.by_symbol: dict[str, set[str]] = {}  # public groups with followers, per symbol
        self.users: dict[str, set[Connection]] = {}
        self._on_group_empty = on_group_empty

    def add(self, conn: Connection) -> None:
        self.connections.add(conn)

    def remove(self, conn: Connection) -> None:
        self.connections.discard(conn)
        for topic in list(conn.groups.values()):
            self.unfollow(conn, topic.group)
        if conn.uid is not None:
            self._forget_user(conn)

    def login(self, conn: Connection, uid: str) -> None:
        if conn.uid is not None:
            self._forget_user(conn)
        conn.uid = uid
        self.users.setdefault(uid, set()).add(conn)

    def _forget_user(self, conn: Connection) -> None:
        assert conn.uid is not None
        users = self.users.get(conn.uid)
        if users is not None:
            users.discard(conn)
            if not users:
                del self.users[conn.uid]

    def follow(self, conn: Connection, topic: Topic) -> None:
        conn.groups[topic.group] = topic
        self.followers.setdefault(topic.group, set()).add(conn)
        self.topics[topic.group] = topic
        if not topic.private:
            self.by_symbol.setdefault(topic.symbol, set()).add(topic.group)

    def unfollow(self, conn: Connection, group: str) -> None:
        topic = conn.groups.pop(group, None)
        if topic is None:
            return
        followers = self.followers.get(group)
        if followers is None:
            return
        followers.discard(conn)
        if followers:
            return
        del self.followers[group]
        del self.topics[group]
        if not topic.private:
            groups = self.by_symbol.get(topic.symbol, set())
            groups.discard(group)
            if not groups:
                self.by_symbol.pop(topic.symbol, None)
        self._on_group_empty(topic)

    def publish(self, group: str, data: Any) -> None:
        """Push `data` to every follower of `group` (encoded once)."""
        followers = self.followers.get(group)
        if not followers:
            return
        text = encode({"group": group, "data": data})
        for conn in list(followers):
            conn.put(text)

    def publish_user(self, uid: str, group: str, data: Any) -> None:
        conns = [c for c in self.users.get(uid, ()) if group in c.groups]
        if not conns:
            return
        text = encode({"group": group, "data": data})
        for conn in conns:
            conn.put(text)
