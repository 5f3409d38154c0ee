"""The pacer never lets more than the limit through in any window and follows the headers."""

from __future__ import annotations

import time

from perpdesk.exchanges.bitmart.ratelimit import PATH_LIMITS, RateLimiter, group_of


async def test_sliding_log_waits_out_the_window() -> None:
    limiter = RateLimiter()
    bucket = limiter.bucket("k", "g")
    bucket.limit, bucket.window = 3, 0.3
    start = time.monotonic()
    stamps = []
    for _ in range(7):
        await limiter.acquire("k", "g")
        stamps.append(time.monotonic() - start)
    assert stamps[2] < 0.05  # the first three go at once
    assert stamps[3] >= 0.3  # the fourth waits for the first to leave the window
    assert stamps[6] >= 0.6
    for i in range(len(stamps) - 3):  # never more than 3 in any 0.3 s
        assert stamps[i + 3] - stamps[i] >= 0.3


async def test_keys_and_groups_have_separate_buckets() -> None:
    limiter = RateLimiter()
    for key in ("a", "b"):
        b = limiter.bucket(key, "g")
        b.limit, b.window = 1, 10.0
    start = time.monotonic()
    await limiter.acquire("a", "g")
    await limiter.acquire("b", "g")
    await limiter.acquire("a", "other")
    assert time.monotonic() - start < 0.1


def test_documented_limits_are_seeded() -> None:
    limiter = RateLimiter()
    bucket = limiter.bucket("k", group_of("/contract/private/submit-order"))
    assert (bucket.limit, bucket.window) == PATH_LIMITS["/contract/private/submit-order"] == (24, 2.0)
    assert limiter.bucket("k", group_of("/contract/private/cancel-order")).limit == 40


def _headers(count: int, limit: int, window: int) -> dict[str, str]:
    return {"x-bm-ratelimit-remaining": str(count), "x-bm-ratelimit-limit": str(limit),
            "x-bm-ratelimit-reset": str(window), "x-bm-ratelimit-mode": "KEY"}


async def test_headers_in_bitmarts_used_meaning_pad_the_log() -> None:
    limiter = RateLimiter(remaining_is_used=True)
    await limiter.acquire("k", "g")
    limiter.update("k", "g", _headers(9, 10, 2))  # the exchange has seen 9: another client is busy
    bucket = limiter.bucket("k", "g")
    assert len(bucket.sent) == 9 and bucket.limit == 10 and bucket.window == 2
    assert bucket.wait_time(time.monotonic()) == 0  # one left
    bucket.sent.append(time.monotonic())
    assert bucket.wait_time(time.monotonic()) > 1.5


async def test_meaning_of_remaining_is_read_off_the_first_answer() -> None:
    used = RateLimiter()
    await used.acquire("k", "g")
    used.update("k", "g", _headers(1, 12, 2))  # 1 used of 12 after our first request
    assert used.remaining_is_used is True

    left = RateLimiter()
    await left.acquire("k", "g")
    left.update("k", "g", _headers(11, 12, 2))  # 11 left of 12 after our first request
    assert left.remaining_is_used is False
    assert len(left.bucket("k", "g").sent) == 1  # no padding: the exchange agrees with us


async def test_ip_buckets_shared_with_others_do_not_decide_the_meaning() -> None:
    limiter = RateLimiter()
    await limiter.acquire("ip", "g")
    limiter.update("ip", "g", {**_headers(1, 10, 2), "x-bm-ratelimit-mode": "IP"})
    assert limiter.remaining_is_used is None


def test_penalty_after_429_blocks_until_retry_after() -> None:
    limiter = RateLimiter()
    limiter.penalise("k", "g", 1.0)
    wait = limiter.bucket("k", "g").wait_time(time.monotonic())
    assert 0.9 < wait <= 1.1


async def test_idle_buckets_are_forgotten() -> None:
    limiter = RateLimiter()
    await limiter.acquire("old", "g")
    limiter.bucket("old", "g").sent[0] -= 100  # long ago
    limiter._last_sweep -= 100
    await limiter.acquire("new", "g")
    assert ("old", "g") not in limiter._buckets and ("new", "g") in limiter._buckets


async def test_try_acquire_takes_free_slots_and_leaves_waiting_to_acquire() -> None:
    # the connector's hot path: try_acquire first, acquire (which sleeps) only when it says no
    limiter = RateLimiter()
    bucket = limiter.bucket("k", "g")
    bucket.limit, bucket.window = 2, 0.3
    assert limiter.try_acquire("k", "g") and limiter.try_acquire("k", "g")
    assert not limiter.try_acquire("k", "g")
    assert len(bucket.sent) == 2  # a refusal takes no slot
    start = time.monotonic()
    await limiter.acquire("k", "g")
    assert time.monotonic() - start >= 0.25
    assert len(bucket.sent) == 1  # the first two have left the window
