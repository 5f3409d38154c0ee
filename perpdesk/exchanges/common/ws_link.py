"""How a connector's WebSocket streams connect and reconnect: a connection opened the same way
(proxy, source address, no library pings: the exchanges ping us or want their own) and the
reconnection loop with its jittered backoff."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from perpdesk.exchanges.common.egress import PooledLink, SourceAddresses
from perpdesk.metrics import CountedLink

T = TypeVar("T")

MAX_MESSAGE_BYTES = 2**22
# what ends a connection and calls for a reconnection (InvalidURI, a handshake error too, does not)
DROPS: tuple[type[BaseException], ...] = (ConnectionClosed, OSError, TimeoutError, InvalidHandshake)


def open_ws(
    url: str,
    *,
    open_timeout_s: float,
    proxy: str | None,
    source_address: str | None,
    sources: SourceAddresses | None = None,
    compress: bool = True,
) -> Any:
    """The connection as `async with`; from the least-used of `sources` when given (else from
    `source_address`). `compress=False` for an account's private stream: its messages are a few
    hundred bytes, and permessage-deflate's zlib contexts cost ~50 KiB per connection."""
    kwargs: dict[str, Any] = {
        "ping_interval": None,
        "open_timeout": open_timeout_s,
        "max_size": MAX_MESSAGE_BYTES,
        "proxy": proxy,
        "compression": "deflate" if compress else None,
    }
    if sources is not None:
        return PooledLink(sources, lambda local: connect(url, local_addr=local, **kwargs))
    if source_address:
        kwargs["local_addr"] = (source_address, 0)
    return CountedLink(connect(url, **kwargs), source_address)


async def back_off(failures: int, initial_s: float, max_s: float) -> None:
    """Sleep before reconnection `failures` (1, 2, ...): doubling, capped, with jitter."""
    delay = min(max_s, initial_s * 2 ** (failures - 1))
    await asyncio.sleep(delay * (0.5 + random.random() / 2))


async def reconnecting(
    open_ws: Callable[[], Any],
    session: Callable[[ClientConnection], AsyncGenerator[T, None]],
    dropped: Callable[[str], T],
    *,
    drops: tuple[type[BaseException], ...],
    backoff_initial_s: float,
    backoff_max_s: float,
) -> AsyncIterator[T]:
    """Run `session` on a fresh connection for ever: what it yields, then `dropped(reason)` at once
    when the connection ends (one of `drops`, or a clean close), then a backoff that grows with
    the failures since the session last yielded. A malformed URL is raised: retrying cannot help."""
    failures = 0
    while True:
        try:
            async with open_ws() as ws, contextlib.aclosing(session(ws)) as items:
                async for item in items:
                    failures = 0
                    yield item
            reason = "closed"  # a clean close ends the iteration without an exception
        except drops as exc:
            if isinstance(exc, InvalidURI):
                raise
            reason = type(exc).__name__
        yield dropped(reason)
        failures += 1
        await back_off(failures, backoff_initial_s, backoff_max_s)
