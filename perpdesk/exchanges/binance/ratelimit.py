"""Binance's limits, followed from its own counters so it never has to refuse us.

Binance counts request weight per IP per clock minute (REQUEST_WEIGHT 2400 / 1 MINUTE) and new
orders per account per 10 s and per minute (ORDERS 300 / 10 SECOND, 1200 / 1 MINUTE), and says
how much is used on every answer: X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S / -1M. Windows are
aligned on the clock (a minute starts at :00), so a request that would pass a limit waits for the
next window on the exchange's clock. A 429 or a 418 (ban) stops every request until its
Retry-After: nothing is sent meanwhile (a refused request did nothing, so nothing is lost).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

WEIGHT_PER_MIN = 2400
ORDERS_PER_10S = 300
ORDERS_PER_MIN = 1200
# documented weights of the endpoints the connector calls (default 1); the headers correct us
WEIGHTS: dict[str, int] = {
    "/fapi/v2/balance": 5,
    "/fapi/v2/account": 5,
    "/fapi/v2/positionRisk": 5,
    "/fapi/v3/positionRisk": 5,
    "/fapi/v1/positionSide/dual": 30,
    "/fapi/v1/income": 30,
    "/fapi/v1/userTrades": 5,
    "/fapi/v1/allOrders": 5,
    "/fapi/v1/klines": 5,
    "/fapi/v1/markPriceKlines": 5,
    "/fapi/v1/openOrders": 1,
    "/fapi/v1/exchangeInfo": 1,
    "/fapi/v1/depth": 5,
    "/fapi/v1/ticker/24hr": 1,
    "/fapi/v1/leverageBracket": 1,
    "/fapi/v1/symbolConfig": 5,
}


@dataclass(slots=True)
class Window:
    """One clock-aligned counter: `used` in window `index` (exchange time // length)."""

    length_ms: int
    limit: int
    index: int = -1
    used: int = 0

    def room(self, now_ms: int, n: int) -> int:
        """0 if `n` more fit in this window, else ms until the next one starts."""
        if now_ms // self.length_ms != self.index:
            return 0
        if self.used + n <= self.limit:
            return 0
        return (self.index + 1) * self.length_ms - now_ms + 1

    def take(self, now_ms: int, n: int) -> None:
        index = now_ms // self.length_ms
        if index != self.index:
            self.index, self.used = index, 0
        self.used += n

    def follow(self, now_ms: int, used: int) -> None:
        """The exchange's own count for the window now: ours grows to it, never shrinks below
        what we sent since (answers arrive out of order)."""
        index = now_ms // self.length_ms
        if index != self.index:
            self.index, self.used = index, used
        else:
            self.used = max(self.used, used)


class BinanceLimiter:
    """One per connector (one egress address): the IP's weight, each key's order counts."""

    def __init__(
        self,
        now_ms: Callable[[], int],
        *,
        weight_per_min: int = WEIGHT_PER_MIN,
        orders_per_10s: int = ORDERS_PER_10S,
        orders_per_min: int = ORDERS_PER_MIN,
        reserve: int = 20,
    ) -> None:
        """The limits are Binance's published ones; an account with higher ones (or a sandbox
        with scaled ones) passes its own."""
        self.now_ms = now_ms
        self.weight = Window(60_000, weight_per_min - reserve)
        self.order_limits = (orders_per_10s, orders_per_min)
        self._orders: dict[str, tuple[Window, Window]] = {}
        self.blocked_until_ms = 0  # after a 429 / 418: exchange time
        self.waited_s = 0.0

    def orders(self, key: str) -> tuple[Window, Window]:
        found = self._orders.get(key)
        if found is None:
            if len(self._orders) > 10_000:
                self._orders.clear()
            ten, minute = self.order_limits
            found = self._orders[key] = (Window(10_000, ten), Window(60_000, minute))
        return found

    def penalty_left_s(self) -> float:
        return max(0.0, (self.blocked_until_ms - self.now_ms()) / 1000)

    def try_acquire(self, path: str, key: str | None, orders: int) -> bool:
        now = self.now_ms()
        weight = WEIGHTS.get(path, 1)
        if self.weight.room(now, weight):
            return False
        if orders and key:
            ten, minute = self._orders.get(key) or self.orders(key)
            if ten.room(now, orders) or minute.room(now, orders):
                return False
            ten.take(now, orders)
            minute.take(now, orders)
        self.weight.take(now, weight)
        return True

    async def acquire(self, path: str, key: str | None, orders: int) -> None:
        while not self.try_acquire(path, key, orders):
            now = self.now_ms()
            weight = WEIGHTS.get(path, 1)
            waits = [self.weight.room(now, weight)]
            if orders and key:
                waits += [w.room(now, orders) for w in self.orders(key)]
            delay = max(max(waits), 1) / 1000
            self.waited_s += delay
            await asyncio.sleep(delay)

    def update(self, key: str | None, headers: dict[str, str]) -> None:
        now = self.now_ms()
        used = headers.get("x-mbx-used-weight-1m")
        if used is not None and used.isdigit():
            self.weight.follow(now, int(used))
        ten = headers.get("x-mbx-order-count-10s")  # on order endpoints only
        if key and ten is not None:
            minute = headers.get("x-mbx-order-count-1m")
            w10, w60 = self._orders.get(key) or self.orders(key)
            if ten.isdigit():
                w10.follow(now, int(ten))
            if minute is not None and minute.isdigit():
                w60.follow(now, int(minute))

    def penalise(self, retry_after_s: float) -> None:
        self.blocked_until_ms = max(self.blocked_until_ms, self.now_ms() + int(retry_after_s * 1000))
