"""Settling a write whose answer was lost: a few quick look-ups by its client id.

Found = placed (its exchange id). Not found proves nothing while the request's window is open
(Binance may still execute it), so the caller's outcome is then `unknown`, never rejected, and
the request is never resent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from perpdesk.core.errors import ExchangeError


async def look_up(find: Callable[[], Awaitable[str | None]], attempts: int, delay_s: float) -> str | None:
    """The exchange id `find` reports within `attempts` tries (growing pauses), or None."""
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(min(delay_s * attempt, 1.0))
        try:
            found = await find()
        except ExchangeError:  # unreachable for now: the next try may pass
            continue
        if found is not None:
            return found
    return None
