"""The sign-in guards with explicit times: one use per TOTP step, throttle windows, cooldowns."""

from __future__ import annotations

import pyotp

from perpdesk.sandbox.web.guards import Cooldown, Throttle, TotpGuard

SECRET = pyotp.random_base32()
T = 1_800_000_015.0  # 15 s into a 30 s step


def test_totp_code_is_accepted_once_and_never_an_older_step() -> None:
    guard = TotpGuard()
    totp = pyotp.TOTP(SECRET)
    now_code, next_code, prev_code = totp.at(T), totp.at(T + 30), totp.at(T - 30)
    assert guard.accept("u1", SECRET, now_code, now=T)
    assert not guard.accept("u1", SECRET, now_code, now=T + 1)  # the same code again
    assert not guard.accept("u1", SECRET, prev_code, now=T + 1)  # an older step
    assert guard.accept("u1", SECRET, next_code, now=T + 2)  # drift: the next step, once
    assert guard.accept("u2", SECRET, now_code, now=T)  # another user is separate
    assert not guard.accept("u3", SECRET, "12345x", now=T) and not guard.accept("u3", SECRET, "١٢٣٤٥٦", now=T)


def test_throttle_refuses_after_the_limit_until_the_window_passes() -> None:
    throttle = Throttle(limit=3, window_s=60)
    for i in range(3):
        assert throttle.wait_s("k", now=100 + i) == 0
        throttle.fail("k", now=100 + i)
    assert throttle.wait_s("k", now=110) == 50
    assert throttle.wait_s("other", now=110) == 0
    assert throttle.wait_s("k", now=161) == 0
    throttle.fail("k", now=170)
    throttle.clear("k")
    assert throttle.wait_s("k", now=171) == 0


def test_an_attempt_counted_before_its_check_is_refunded_when_right() -> None:
    t = Throttle(limit=2, window_s=60)
    first = t.fail("k", now=0.0)  # counted when it starts
    assert t.fail("k", now=1.0) == 1.0 and t.wait_s("k", now=2.0) > 0  # two in flight: full
    t.refund("k", first)  # the first turned out right
    assert t.wait_s("k", now=2.0) == 0
    t.refund("k", first)  # refunding twice takes nothing more back
    t.fail("k", now=3.0)
    assert t.wait_s("k", now=3.0) > 0


def test_cooldown() -> None:
    cooldown = Cooldown(60)
    assert cooldown.wait_s("a", now=0) == 0
    cooldown.mark("a", now=0)
    assert cooldown.wait_s("a", now=45) == 15
    assert cooldown.wait_s("a", now=60) == 0
