"""Binance's rate limits: request weight per IP per minute, orders per account per 10 s and per
minute, and IP bans for a client that does not back off after 429s.

As `/fapi/v1/exchangeInfo` lists them: REQUEST_WEIGHT 2400 / 1 MINUTE, ORDERS 1200 / 1 MINUTE and
300 / 10 SECOND. Windows are aligned on the clock (a minute starts at :00), as Binance's are.
Every answer carries `X-MBX-USED-WEIGHT-1M`; order endpoints add `X-MBX-ORDER-COUNT-10S` and
`-1M`. A request over the weight gets 429 (-1003) with Retry-After; an IP that keeps sending
after BAN_AFTER such answers in one window is banned (418) for BAN_FIRST_S, doubling with every
further ban up to three days (Binance: "from 2 minutes to 3 days").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

WEIGHT_PER_MIN = 2400
ORDERS_PER_10S = 300
ORDERS_PER_MIN = 1200
BAN_AFTER = 10  # 429s answered in one minute before the IP is banned
BAN_FIRST_S = 120
BAN_MAX_S = 3 * 24 * 3600


@dataclass(slots=True)
class _Window:
    start: int = -1  # the window's index (time // length)
    used: int = 0

    def add(self, now_s: float, length_s: int, n: int) -> int:
        index = int(now_s // length_s)
        if index != self.start:
            self.start, self.used = index, 0
        self.used += n
        return self.used

    def seconds_left(self, now_s: float, length_s: int) -> int:
        return max(1, int((self.start + 1) * length_s - now_s + 0.999))


@dataclass(slots=True)
class _Ip:
    weight: _Window = field(default_factory=_Window)
    refused: _Window = field(default_factory=_Window)
    banned_until: float = 0.0
    bans: int = 0


@dataclass(slots=True)
class _Orders:
    ten_s: _Window = field(default_factory=_Window)
    minute: _Window = field(default_factory=_Window)


class Refused(Exception):
    """Over a limit: `kind` is "weight", "banned" or "orders"; `retry_after` in seconds."""

    def __init__(self, kind: str, retry_after: int, detail: tuple[object, ...]) -> None:
        super().__init__(kind)
        self.kind = kind
        self.retry_after = retry_after
        self.detail = detail


class BinanceLimits:
    """`factor` scales every limit (0 = off: benchmarks); `clock` gives seconds (tests move it)."""

    def __init__(self, factor: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self.factor = factor
        self.clock = clock
        self._ips: dict[str, _Ip] = {}
        self._accounts: dict[str, _Orders] = {}

    def cap(self, n: int) -> int:
        """A documented limit as this sandbox applies it (scaled; as documented when off)."""
        return n if self.factor in (0.0, 1.0) else max(1, int(n * self.factor))

    def weigh(self, ip: str, weight: int) -> int:
        """Count `weight` for the IP; returns the weight used this minute, or raises Refused."""
        now = self.clock()
        rec = self._ips.setdefault(ip, _Ip())
        if rec.banned_until > now:
            raise Refused("banned", int(rec.banned_until - now + 0.999), (ip, int(rec.banned_until * 1000)))
        used = rec.weight.add(now, 60, weight)
        if self.factor <= 0 or used <= self.cap(WEIGHT_PER_MIN):
            return used
        if rec.refused.add(now, 60, 1) > BAN_AFTER:
            rec.banned_until = now + min(BAN_MAX_S, BAN_FIRST_S * 2**rec.bans)
            rec.bans += 1
            raise Refused("banned", int(rec.banned_until - now + 0.999), (ip, int(rec.banned_until * 1000)))
        raise Refused("weight", rec.weight.seconds_left(now, 60), (ip, self.cap(WEIGHT_PER_MIN)))

    def used_weight(self, ip: str) -> int:
        rec = self._ips.get(ip)
        if rec is None or rec.weight.start != int(self.clock() // 60):
            return 0
        return rec.weight.used

    def count_order(self, uid: str, n: int = 1) -> tuple[int, int]:
        """Count n new orders for the account; (used in 10 s, used in 1 min), or raises Refused."""
        now = self.clock()
        rec = self._accounts.setdefault(uid, _Orders())
        ten, minute = rec.ten_s.add(now, 10, n), rec.minute.add(now, 60, n)
        if self.factor > 0:
            if ten > self.cap(ORDERS_PER_10S):
                raise Refused("orders", rec.ten_s.seconds_left(now, 10), (self.cap(ORDERS_PER_10S), "10s"))
            if minute > self.cap(ORDERS_PER_MIN):
                raise Refused("orders", rec.minute.seconds_left(now, 60), (self.cap(ORDERS_PER_MIN), "1m"))
        return ten, minute

    def order_counts(self, uid: str) -> tuple[int, int]:
        rec = self._accounts.get(uid)
        if rec is None:
            return 0, 0
        now = self.clock()
        ten = rec.ten_s.used if rec.ten_s.start == int(now // 10) else 0
        minute = rec.minute.used if rec.minute.start == int(now // 60) else 0
        return ten, minute

    def reset(self) -> None:
        self._ips.clear()
        self._accounts.clear()
