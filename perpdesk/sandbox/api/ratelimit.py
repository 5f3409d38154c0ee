"""Per-key (private) and per-IP (public) request limits per endpoint, in BitMart's windows.

BitMart states each limit as "N times / W sec" per IP, per KEY or per UID. Each (scope, endpoint)
pair has a window that opens with its first request and lasts W seconds; the answer carries
X-BM-RateLimit-Remaining/-Limit/-Reset (Reset = the window length in seconds) and -Mode.
As BitMart documents it, -Remaining is the number of requests already USED in the window
("can be called 600 times within 60 seconds, and currently has been called 10 times"), not the
number left, despite its name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_s: int
    mode: str  # "IP", "KEY" or "UID": what the counter is keyed on


@dataclass(slots=True)
class Verdict:
    allowed: bool
    used: int  # sent as X-BM-RateLimit-Remaining, BitMart's meaning
    limit: int
    reset_s: int
    mode: str

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-bm-ratelimit-remaining", str(self.used).encode()),
            (b"x-bm-ratelimit-limit", str(self.limit).encode()),
            (b"x-bm-ratelimit-reset", str(self.reset_s).encode()),
            (b"x-bm-ratelimit-mode", self.mode.encode()),
        ]


class RateLimiter:
    """Fixed windows keyed by (mode id, endpoint group). `factor` scales every limit (0 = off)."""

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor
        self._windows: dict[tuple[str, str], list[float]] = {}  # -> [window_start, used]
        self._last_sweep = time.monotonic()

    def check(self, who: str, group: str, limit: Limit) -> Verdict:
        if self.factor <= 0:  # limits off (benchmarks): advertise BitMart's own limit, nothing used
            return Verdict(True, 0, limit.count, limit.window_s, limit.mode)
        count = limit.count if self.factor == 1.0 else max(1, int(limit.count * self.factor))
        now = time.monotonic()
        if now - self._last_sweep > 60:
            self._sweep(now)
        slot = self._windows.get((who, group))
        if slot is None or now - slot[0] >= limit.window_s:
            slot = [now, 0.0]
            self._windows[(who, group)] = slot
        if slot[1] >= count:
            return Verdict(False, count, count, limit.window_s, limit.mode)
        slot[1] += 1
        return Verdict(True, int(slot[1]), count, limit.window_s, limit.mode)

    def reset(self) -> None:
        self._windows.clear()

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        stale = [k for k, (start, _) in self._windows.items() if now - start > 120]
        for k in stale:
            del self._windows[k]
