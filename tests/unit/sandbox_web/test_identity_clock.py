"""What expires on the sandbox's identity side follows its injected clock: moved forward in the
tests, never slept through."""

from __future__ import annotations

import math

import pytest
from starlette.requests import Request

from perpdesk.sandbox.identity import IdentityClock, IdentityError
from perpdesk.sandbox.persist import Persist
from perpdesk.sandbox.web.guards import Cooldown, Throttle
from perpdesk.sandbox.web.oauth_grants import CODE_TTL_S, GrantStore
from perpdesk.sandbox.web.sessions import COOKIE, IDLE_TIMEOUT_S, EmailCodes, SessionStore

T0 = 1_800_000_000.0


def _clock() -> IdentityClock:
    return IdentityClock(lambda: T0)


def _with_cookie(raw: str) -> Request:
    return Request({"type": "http", "headers": [(b"cookie", f"{COOKIE}={raw}".encode())]})


def test_the_clock_moves_forward_only() -> None:
    clock = _clock()
    assert clock() == T0 and clock.now_ms() == int(T0 * 1000)
    clock.advance(90)
    assert clock() == T0 + 90
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(IdentityError) as info:
            clock.advance(bad)
        assert info.value.field == "seconds"
    assert clock() == T0 + 90


def test_a_browser_session_ends_after_its_idle_time() -> None:
    clock = _clock()
    persist = Persist(":memory:")
    try:
        store = SessionStore(persist, clock=clock)
        session = store.get_or_create(_with_cookie(""))
        raw = session.new_cookie
        assert raw and store.get(_with_cookie(raw)) is session
        clock.advance(IDLE_TIMEOUT_S)
        assert store.get(_with_cookie(raw)) is session  # exactly the idle time: still open
        clock.advance(IDLE_TIMEOUT_S + 1)  # (the visit above counted as activity)
        assert store.get(_with_cookie(raw)) is None
    finally:
        persist.close()


def test_an_emailed_code_expires() -> None:
    clock = _clock()
    codes = EmailCodes(clock)
    first = codes.issue("u1", "sign_in")
    clock.advance(EmailCodes.TTL_S)
    assert codes.check("u1", "sign_in", first)  # within its 10 minutes
    late = codes.issue("u1", "sign_in")
    clock.advance(EmailCodes.TTL_S + 1)
    assert not codes.check("u1", "sign_in", late)


def test_an_unredeemed_authorisation_code_is_abandoned_after_its_ttl() -> None:
    clock = _clock()
    persist = Persist(":memory:")
    try:
        grants = GrantStore(persist, clock=clock)
        grant = grants.add("code-1", client_id="c", redirect_uri="http://x/cb", uid="u1", api_key="k1",
                           scopes=["read"], code_challenge="x" * 43, code_challenge_method="S256")
        clock.advance(CODE_TTL_S)
        assert grants.take_abandoned() == []
        clock.advance(1)
        assert grants.take_abandoned() == [grant] and grant.revoked
    finally:
        persist.close()


def test_a_sign_in_lockout_and_a_send_cooldown_end_on_the_clock() -> None:
    clock = _clock()
    throttle, cooldown = Throttle(2, 900.0, clock), Cooldown(60.0, clock)
    throttle.fail("email:a@example.com")
    throttle.fail("email:a@example.com")
    cooldown.mark("u1:sign_in")
    assert throttle.wait_s("email:a@example.com") == 900.0 and cooldown.wait_s("u1:sign_in") == 60.0
    clock.advance(60)
    assert throttle.wait_s("email:a@example.com") == 840.0 and cooldown.wait_s("u1:sign_in") == 0.0
    clock.advance(841)
    assert throttle.wait_s("email:a@example.com") == 0.0
