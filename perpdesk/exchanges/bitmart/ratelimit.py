"""Per (API key, endpoint group) pacing that follows BitMart's limits, so it never has to refuse us.

Each bucket keeps the send times of the last window (a sliding log): a request waits while the
log is full. A sliding log never exceeds `limit` in any window, so it is safe whether the
exchange counts in fixed or rolling windows. BitMart's answers carry X-BM-RateLimit-Limit, -Reset
(the window in seconds) and -Remaining, which BitMart documents as the number of requests already
used in the current window, despite its name. Servers that send the requests left instead exist
(our own sandbox did), so by default the meaning is read off the first answer of a window (used =
what we sent, or left = limit - what we sent) and then held. When the exchange has counted more
than we sent (another client on the same key), the log is padded so we slow down to match.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

# BitMart's documented limits, (requests, window seconds), each endpoint its own bucket: per IP for
# public endpoints, per key or per account (UID) for private ones (we key by API key; the headers
# correct us when several keys of one account share a UID bucket).
_P = "/contract/private/"
PATH_LIMITS: dict[str, tuple[int, float]] = {
    "/system/time": (10, 1.0),
    "/system/service": (10, 1.0),
    "/contract/public/open-interest": (2, 2.0),
    _P + "assets-detail": (12, 2.0),
    _P + "trade-fee-rate": (2, 2.0),
    _P + "order": (50, 2.0),
    _P + "order-history": (6, 2.0),
    _P + "get-open-orders": (50, 2.0),
    _P + "current-plan-order": (50, 2.0),
    _P + "position": (6, 2.0),
    _P + "position-v2": (6, 2.0),
    _P + "position-risk": (24, 2.0),
    _P + "trades": (6, 2.0),
    _P + "transaction-history": (6, 2.0),
    _P + "get-position-mode": (2, 2.0),
    _P + "set-position-mode": (2, 2.0),
    _P + "submit-order": (24, 2.0),
    _P + "modify-limit-order": (24, 2.0),
    _P + "cancel-order": (40, 2.0),
    _P + "cancel-orders": (2, 2.0),
    _P + "cancel-all-after": (4, 2.0),
    _P + "submit-plan-order": (24, 2.0),
    _P + "cancel-plan-order": (40, 2.0),
    _P + "submit-tp-sl-order": (24, 2.0),
    _P + "modify-tp-sl-order": (24, 2.0),
    _P + "submit-leverage": (24, 2.0),
    _P + "close-all-position": (2, 2.0),
    "/account/v1/transfer-contract": (1, 2.0),
    "/account/v1/transfer-contract-list": (1, 2.0),
    "/uapi-key/v1/account/info": (12, 2.0),
    "/account/v1/wallet": (12, 2.0),
    "/spot/v1/wallet": (12, 2.0),
}
DEFAULT_LIMIT = (12, 2.0)  # public market data and anything unlisted
SLACK_S = 0.05
SWEEP_S = 10.0  # idle buckets are dropped this often: thousands of idle keys hold none


def group_of(path: str) -> str:
    """Each endpoint is its own bucket, as BitMart counts them."""
    return path


@dataclass(slots=True)
class Bucket:
    limit: int
    window: float
    sent: list[float]  # a list, not a deque: a few stamps each, and an empty deque is ~600 bytes

    def wait_time(self, now: float) -> float:
        sent = self.sent
        horizon = now - self.window
        gone = 0
        while gone < len(sent) and sent[gone] <= horizon:
            gone += 1
        if gone:
            del sent[:gone]
        if len(sent) < self.limit:
            return 0.0
        # + slack: our stamp precedes the exchange's receipt by a varying network delay
        return sent[len(sent) - self.limit] + self.window + SLACK_S - now


class RateLimiter:
    """Token pacing per (key, group). One instance per connector, shared by all its calls."""

    def __init__(self, *, remaining_is_used: bool | None = None, safety: int = 0) -> None:
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self.remaining_is_used = remaining_is_used
        self.safety = safety  # requests kept in reserve per window (for clock jitter at the edge)
        self.waited_s = 0.0
        self._last_sweep = time.monotonic()
        self._penalised_until: dict[tuple[str, str], float] = {}

    def bucket(self, key: str, group: str) -> Bucket:
        bucket = self._buckets.get((key, group))
        if bucket is None:
            limit, window = PATH_LIMITS.get(group, DEFAULT_LIMIT)
            bucket = Bucket(max(1, limit - self.safety), window, [])
            self._buckets[(key, group)] = bucket
        return bucket

    def try_acquire(self, key: str, group: str) -> bool:
        """Take a slot if one is free now (no await); False when the caller must `acquire`."""
        now = time.monotonic()
        if now - self._last_sweep > SWEEP_S:
            self._sweep(now)
        bucket = self._buckets.get((key, group)) or self.bucket(key, group)
        if bucket.wait_time(now) > 0:
            return False
        bucket.sent.append(now)
        return True

    async def acquire(self, key: str, group: str) -> None:
        now = time.monotonic()
        if now - self._last_sweep > SWEEP_S:
            self._sweep(now)
        bucket = self.bucket(key, group)
        delay = bucket.wait_time(now)
        while delay > 0:
            self.waited_s += delay
            await asyncio.sleep(delay)
            now = time.monotonic()
            delay = bucket.wait_time(now)
        bucket.sent.append(now)

    def update(self, key: str, group: str, headers: dict[str, str]) -> None:
        """Follow the exchange's own count from its X-BM-RateLimit-* headers."""
        raw_limit = headers.get("x-bm-ratelimit-limit")
        if raw_limit is None:
            return
        try:
            limit = int(raw_limit)
            count = int(headers.get("x-bm-ratelimit-remaining", "0"))
            window = float(headers.get("x-bm-ratelimit-reset", "0"))
        except ValueError:
            return
        bucket = self.bucket(key, group)
        if limit > 0:
            bucket.limit = max(1, limit - self.safety)
        if window > 0:
            bucket.window = window
        now = time.monotonic()
        bucket.wait_time(now)  # drop expired entries
        sent = len(bucket.sent)
        if self.remaining_is_used is None:
            if headers.get("x-bm-ratelimit-mode", "").upper() == "IP":
                return  # shared with every client on this address: our count proves nothing
            if count == sent and count != limit - sent:
                self.remaining_is_used = True
            elif count == limit - sent and count != sent:
                self.remaining_is_used = False
            else:
                return  # not yet clear which meaning this server uses
        used = count if self.remaining_is_used else limit - count
        missing = used - sent
        if missing > 0:
            bucket.sent.extend([now] * missing)

    def _sweep(self, now: float) -> None:
        """Forget idle buckets, so thousands of keys do not keep memory for ever."""
        self._last_sweep = now
        idle = [k for k, b in self._buckets.items() if not b.sent or b.sent[-1] < now - b.window]
        for k in idle:
            del self._buckets[k]

    def penalise(self, key: str, group: str, retry_after_s: float) -> None:
        """After a 429: fill the bucket so the next request waits out the window."""
        bucket = self.bucket(key, group)
        now = time.monotonic()
        stamp = now + retry_after_s - bucket.window
        bucket.sent.clear()
        bucket.sent.extend([stamp] * bucket.limit)
        self._penalised_until[(key, group)] = now + retry_after_s

    def penalty_left(self, key: str, group: str) -> float:
        """Seconds until the exchange's last 429 on this bucket has been waited out (0 if none)."""
        until = self._penalised_until.get((key, group))
        if until is None:
            return 0.0
        left = until - time.monotonic()
        if left <= 0:
            del self._penalised_until[(key, group)]
            return 0.0
        return left
