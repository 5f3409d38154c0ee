"""Consuming a connector's stream for good. The streams reconnect by themselves after a drop;
this starts one again, after a doubling delay, should it ever fail as a whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def consume(
    open_events: Callable[[], AsyncIterator[T]],
    apply: Callable[[T], Awaitable[None]],
    failed: Callable[[Exception, float], bool],
) -> None:
    """Feed every event of `open_events()` to `apply`, for good. A failure of the stream goes to
    `failed(exc, delay)`, which answers whether to start it again after `delay` seconds (1 s,
    doubling up to 60 s; back to 1 s once an event comes through)."""
    delay = 1.0
    while True:
        events = open_events()
        try:
            async for event in events:
                await apply(event)
                delay = 1.0
        except Exception as exc:
            if not failed(exc, delay):
                return
        finally:
            await events.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(delay)
        delay = min(delay * 2, 60.0)
