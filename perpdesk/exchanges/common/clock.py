"""The offset between our clock and an exchange's, so signed timestamps stay inside its window.

Measured from the exchange's server-time endpoint at the midpoint of the round trip, refreshed
when older than `max_age_s` and at once after a timestamp refusal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class ExchangeClock:
    def __init__(self, *, max_age_s: float = 300.0, wall_ms: Callable[[], int] | None = None) -> None:
        self.max_age_s = max_age_s
        self.offset_ms = 0
        self._measured_at: float | None = None
        self._wall_ms = wall_ms or _wall_ms
        self._measuring = asyncio.Lock()

    @property
    def stale(self) -> bool:
        return self._measured_at is None or time.monotonic() - self._measured_at > self.max_age_s

    def invalidate(self) -> None:
        self._measured_at = None

    def local_ms(self) -> int:
        return self._wall_ms()

    def record(self, server_time_ms: int, sent_local_ms: int, received_local_ms: int) -> None:
        midpoint = (sent_local_ms + received_local_ms) // 2
        self.offset_ms = server_time_ms - midpoint
        self._measured_at = time.monotonic()

    async def sync(self, server_time_ms: Callable[[], Awaitable[int]]) -> None:
        """Measure the offset with `server_time_ms` (one call to the exchange's time endpoint)
        unless it is fresh; concurrent callers wait for the one measurement."""
        async with self._measuring:
            if not self.stale:
                return
            sent = self.local_ms()
            server = await server_time_ms()
            self.record(server, sent, self.local_ms())

    def now_ms(self) -> int:
        """The exchange's time now, as well as we know it."""
        return self._wall_ms() + self.offset_ms


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000
