"""What BitMart's public and private WebSocket streams add to the common link
(perpdesk.exchanges.common.ws_link: opening, reconnecting, backoff): BitMart's endpoint paths and
its keep-alive ping while a session runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import struct
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection
from websockets.protocol import State

log = logging.getLogger(__name__)


def endpoint_url(ws_url: str, path: str) -> str:
    """BitMart's WebSocket endpoint `path` ("/user" private, "/api" public) on the host of the
    configured URL, whichever of the two it names, with ?protocol=1.1 unless it gives one."""
    parts = urlsplit(ws_url)
    base = parts.path.rstrip("/")
    for known in ("/user", "/api"):
        if base.endswith(known):
            base = base[: -len(known)]
            break
    query = parts.query
    if "protocol=" not in query:
        query = f"{query}&protocol=1.1" if query else "protocol=1.1"
    return urlunsplit((parts.scheme, parts.netloc, base + path, query, ""))


@contextlib.contextmanager
def pinging(ws: ClientConnection, interval_s: float,
            on_ping: Callable[[], None] | None = None) -> Iterator[None]:
    """BitMart's keep-alive every `interval_s` while the block runs: a standard Ping frame, which
    BitMart's docs offer beside the text 'ping' ("send a ping frame or send a string 'ping'").

    Why a frame and not the text: the Pong comes back inside the WebSocket protocol, so an idle
    account's heartbeat wakes neither its stream consumer nor a JSON parser, and the ping is sent
    straight from a timer, with no task per ping. Most accounts are idle most of the time, and
    this was most of an idle mirror's CPU.

    A Ping still unanswered two pings later means the link is dead (BitMart: "if not received
    within N seconds, please issue an error or reconnect"; one interval of grace for a busy
    server): the connection is aborted, so the stream's reader sees it closed and reconnects,
    instead of mirroring a silent link."""
    loop = asyncio.get_running_loop()
    oldest: asyncio.Future[float] | None = None  # the oldest Ping not answered yet
    oldest_at = 0.0
    timer: asyncio.TimerHandle | None = None

    def due() -> None:
        nonlocal oldest, oldest_at, timer
        if ws.protocol.state is not State.OPEN:
            return  # closing: the reader ends the session
        now = loop.time()
        if oldest is not None and not oldest.done() and now - oldest_at >= 1.9 * interval_s:
            log.info("no Pong for %.0f s: dropping the connection to reconnect", now - oldest_at)
            ws.transport.abort()
            return
        pong = _send_ping(ws, loop)
        if oldest is None or oldest.done():
            oldest, oldest_at = pong, now
        if on_ping is not None:
            on_ping()
        timer = loop.call_later(interval_s, due)

    timer = loop.call_later(interval_s, due)
    try:
        yield
    finally:
        timer.cancel()


def _send_ping(ws: ClientConnection, loop: asyncio.AbstractEventLoop) -> asyncio.Future[float]:
    """`ws.ping()` without its task: the same steps (websockets' pending_pings, which its reader
    acknowledges when the Pong arrives), synchronously from a timer. The frame is a few bytes, so
    it is written without waiting for the transport to drain."""
    payload = struct.pack("!I", random.getrandbits(32))
    while payload in ws.pending_pings:
        payload = struct.pack("!I", random.getrandbits(32))
    pong: asyncio.Future[float] = loop.create_future()
    ws.pending_pings[payload] = (pong, loop.time())
    ws.protocol.send_ping(payload)
    ws.send_data()
    return pong
