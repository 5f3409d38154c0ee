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
    """BitMart's application-level ping every `interval_s` while the block runs."""

    async def ping() -> None:
        while True:
            await asyncio.sleep(interval_s)
            await ws.send('{"action":"ping"}')
            if on_ping is not None:
                on_ping()

    task = asyncio.create_task(ping())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
