"""What BitMart's public and private WebSocket streams share: opening a connection the same
way (proxy, source address, no library pings: BitMart wants its own) and the jittered backoff
between reconnections."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

MAX_MESSAGE_BYTES = 2**22
# what ends a connection and calls for a reconnection (InvalidURI, a handshake error too, does not)
DROPS: tuple[type[BaseException], ...] = (ConnectionClosed, OSError, TimeoutError, InvalidHandshake)


def open_ws(url: str, *, open_timeout_s: float, proxy: str | None, source_address: str | None) -> Any:
    kwargs: dict[str, Any] = {"ping_interval": None, "open_timeout": open_timeout_s,
                              "max_size": MAX_MESSAGE_BYTES, "proxy": proxy}
    if source_address:
        kwargs["local_addr"] = (source_address, 0)
    return connect(url, **kwargs)


async def back_off(failures: int, initial_s: float, max_s: float) -> None:
    """Sleep before reconnection `failures` (1, 2, ...): doubling, capped, with jitter."""
    delay = min(max_s, initial_s * 2 ** (failures - 1))
    await asyncio.sleep(delay * (0.5 + random.random() / 2))
