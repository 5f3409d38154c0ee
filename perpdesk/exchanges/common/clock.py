"""The offset between our clock and an exchange's, so signed timestamps stay inside its window.

Measured from the exchange's server-time endpoint at the midpoint of the round trip, refreshed
when older than `max_age_s` and at once after a timestamp refusal.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ExchangeClock:
    def __init__(self, *, max_age_s: float = 300.0, wall_ms: Callable[[], int] | None = None) -> None:
        self.max_age_s = max_age_s
        self.offset_ms = 0
        self._measured_at: float | None = None
        self._wall_ms = wall_ms or _wall_ms

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

    def now_ms(self) -> int:
        """The exchange's time now, as well as we know it."""
        return self._wall_ms() + self.offset_ms


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000
