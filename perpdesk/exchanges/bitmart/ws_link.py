"""What BitMart's public and private WebSocket streams add to the common link
(perpdesk.exchanges.common.ws_link: opening, reconnecting, backoff): BitMart's endpoint paths and
its application-level ping while a session runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection


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


@contextlib.asynccontextmanager
async def pinging(ws: ClientConnection, interval_s: float,
                  on_ping: Callable[[], None] | None = None) -> AsyncIterator[None]:
    """BitMart's application-level ping every `interval_s` while the block runs. A timer, not a
    task sleeping for each connection (its coroutine and frame, per account): the send is a
    short task when due, and the next ping is set once it is sent."""
    loop = asyncio.get_running_loop()
    sending: asyncio.Task[None] | None = None
    timer: asyncio.TimerHandle | None = None

    async def send() -> None:
        nonlocal timer
        await ws.send('{"action":"ping"}')
        if on_ping is not None:
            on_ping()
        timer = loop.call_later(interval_s, due)

    def due() -> None:
        nonlocal sending
        sending = loop.create_task(send())

    timer = loop.call_later(interval_s, due)
    try:
        yield
    finally:
        timer.cancel()  # (the send that set it is awaited below)
        if sending is not None:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
