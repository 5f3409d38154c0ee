"""The Binance dialect's rate limits on an injected clock: weight per minute, 429 then a 418
ban that doubles, order counts per 10 s and per minute."""

from __future__ import annotations

import pytest

from perpdesk.sandbox.binance.limits import BAN_AFTER, BAN_FIRST_S, BinanceLimits, Refused


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # on a minute boundary

    def __call__(self) -> float:
        return self.now


def test_weight_resets_each_clock_minute() -> None:
    clock = Clock()
    limits = BinanceLimits(factor=0.01, clock=clock)  # 24 per minute
    assert limits.weigh("1.2.3.4", 20) == 20
    with pytest.raises(Refused) as refused:
        limits.weigh("1.2.3.4", 5)
    assert refused.value.kind == "weight" and refused.value.retry_after == 60
    assert limits.weigh("5.6.7.8", 5) == 5  # per IP
    clock.now += 60
    assert limits.weigh("1.2.3.4", 5) == 5


def test_an_ip_that_does_not_back_off_is_banned_and_bans_double() -> None:
    clock = Clock()
    limits = BinanceLimits(factor=0.01, clock=clock)
    limits.weigh("ip", 24)
    kinds = []
    for _ in range(BAN_AFTER + 1):
        with pytest.raises(Refused) as refused:
            limits.weigh("ip", 1)
        kinds.append(refused.value.kind)
    assert kinds == ["weight"] * BAN_AFTER + ["banned"]
    assert refused.value.retry_after == BAN_FIRST_S
    clock.now += BAN_FIRST_S - 1
    with pytest.raises(Refused):  # still banned, even in a new minute
        limits.weigh("ip", 1)
    clock.now += 1
    limits.weigh("ip", 24)
    for _ in range(BAN_AFTER + 1):
        with pytest.raises(Refused) as refused:
            limits.weigh("ip", 1)
    assert refused.value.kind == "banned" and refused.value.retry_after == 2 * BAN_FIRST_S


def test_order_counts_per_ten_seconds_and_per_minute() -> None:
    clock = Clock()
    limits = BinanceLimits(factor=0.01, clock=clock)  # 3 per 10 s, 12 per minute
    assert limits.count_order("u", 3) == (3, 3)
    with pytest.raises(Refused) as refused:
        limits.count_order("u")
    assert refused.value.kind == "orders" and refused.value.detail == (3, "10s")
    clock.now += 10
    assert limits.order_counts("u") == (0, 4)
    assert limits.count_order("u", 2) == (2, 6)


def test_factor_zero_turns_limits_off_but_still_counts() -> None:
    limits = BinanceLimits(factor=0, clock=Clock())
    assert limits.weigh("ip", 10_000) == 10_000
    assert limits.count_order("u", 5000) == (5000, 5000)
