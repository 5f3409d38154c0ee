"""Guessing is throttled without letting anyone lock an owner out: sign-in per (account, client)
and per client with growing waits, the owner's known browser counted on its own; wrong 2FA codes
per user; sign-ups per client; key inspections per user. The platform runs the real limits."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pyotp
import pytest

from tests.fixtures.platform import PlatformServer

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(scope="module")
def limited() -> Any:
    from tests.fixtures.platform import launch_platform

    server = launch_platform(rate_limit_factor=1)
    yield server
    server.stop()


@pytest.fixture
async def client_at(limited: PlatformServer) -> AsyncIterator[Callable[[str], Any]]:
    """A browser-like client (cookies, CSRF header) whose requests come from a given 127.x address."""
    made: list[httpx.AsyncClient] = []

    async def make(address: str) -> httpx.AsyncClient:
        c = httpx.AsyncClient(
            base_url=limited.url, timeout=30, transport=httpx.AsyncHTTPTransport(local_address=address)
        )
        made.append(c)
        c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
        return c

    yield make
    for c in made:
        await c.aclose()


def _email() -> str:
    return f"t{secrets.token_hex(5)}@example.com"


async def _sign_in(c: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await c.post("/api/auth/signin", json={"email": email, "password": password})


async def test_guesses_from_one_client_do_not_lock_the_owner_out(client_at: Any) -> None:
    email = _email()
    owner = await client_at("127.0.0.1")
    r = await owner.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201 and "perpdesk_device" in r.cookies  # this browser is now known
    attacker = await client_at("127.0.0.2")
    codes = [(await _sign_in(attacker, email, f"guess-{i}-not-it")).status_code for i in range(6)]
    assert codes == [422] * 5 + [429]
    refused = await _sign_in(attacker, email, PASSWORD)  # the right password too: nothing learnt
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Wait" in refused.json()["error"]["next_step"] and PASSWORD not in refused.text
    await owner.post("/api/auth/signout")
    assert (await _sign_in(owner, email, PASSWORD)).status_code == 200  # the owner's usual browser
    elsewhere = await client_at("127.0.0.3")  # a new browser elsewhere is not locked either
    assert (await _sign_in(elsewhere, email, PASSWORD)).status_code == 200


async def test_a_flood_from_one_address_spares_known_browsers_behind_it(client_at: Any) -> None:
    email = _email()
    home = await client_at("127.0.0.1")
    assert (
        await home.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    ).status_code == 201
    device = home.cookies["perpdesk_device"]
    flood = await client_at("127.0.0.4")
    codes = [(await _sign_in(flood, _email(), "not-the-password-1")).status_code for _ in range(31)]
    assert codes[:30] == [422] * 30 and codes[30] == 429
    assert (await _sign_in(flood, email, PASSWORD)).status_code == 429  # unknown browser behind it
    office = await client_at("127.0.0.4")
    office.cookies.set("perpdesk_device", device)
    assert (await _sign_in(office, email, PASSWORD)).status_code == 200  # the owner's browser


async def _enrol_totp(c: httpx.AsyncClient) -> str:
    email = _email()
    assert (await c.post("/api/auth/signup", json={"email": email, "password": PASSWORD})).status_code == 201
    return await turn_on_totp(c)


async def turn_on_totp(c: httpx.AsyncClient) -> str:
    """Enrol the signed-in user of `c` in 2FA; the seed."""
    r = await c.post("/profile/2fa/start")
    m = re.search(r'data-testid="totp-seed">([A-Z2-7]+)<', r.text)
    assert m
    seed = m.group(1)
    r = await c.post("/profile/2fa/confirm", data={"code": pyotp.TOTP(seed).now()})
    assert r.status_code == 303
    return seed


def _wrong(seed: str) -> str:
    right = pyotp.TOTP(seed)
    return next(
        c for c in (f"{n:06d}" for n in range(100000, 999999, 7919)) if not right.verify(c, valid_window=1)
    )


async def test_wrong_codes_to_turn_2fa_off_are_throttled(client_at: Any) -> None:
    c = await client_at("127.0.0.5")
    seed = await _enrol_totp(c)
    codes = [
        (await c.post("/profile/2fa/disable", data={"code": _wrong(seed)})).status_code for _ in range(6)
    ]
    assert codes == [400] * 5 + [429]
    r = await c.post("/profile/2fa/disable", data={"code": pyotp.TOTP(seed).now()})
    assert r.status_code == 429 and "Too many wrong codes" in r.text
    assert (await c.get("/api/me")).json()["totp_enabled"] is True


async def test_wrong_codes_at_sign_in_are_throttled_but_spare_the_owners_browser(client_at: Any) -> None:
    owner = await client_at("127.0.0.6")
    seed = await _enrol_totp(owner)  # signed up here: this browser is a known device
    email = (await owner.get("/api/me")).json()["email"]
    thief = await client_at("127.0.0.10")  # has the password, not the phone
    assert (await _sign_in(thief, email, PASSWORD)).json()["mfa_required"] is True
    codes = [
        (await thief.post("/api/auth/signin/2fa", json={"code": _wrong(seed)})).status_code for _ in range(6)
    ]
    assert codes == [422] * 5 + [429]
    r = await thief.post("/api/auth/signin/2fa", json={"code": pyotp.TOTP(seed).now()})
    assert r.status_code == 429
    assert (await thief.get("/api/me")).status_code == 401

    await owner.post("/api/auth/signout")
    assert (await _sign_in(owner, email, PASSWORD)).json()["mfa_required"] is True
    r = await owner.post("/api/auth/signin/2fa", json={"code": pyotp.TOTP(seed).now()})
    assert r.status_code == 200, r.text  # the owner's usual browser finishes its sign-in


async def test_sign_ups_are_limited_per_client(client_at: Any) -> None:
    c = await client_at("127.0.0.7")
    codes = [
        (await c.post("/api/auth/signup", json={"email": _email(), "password": "short"})).status_code
        for _ in range(11)
    ]
    assert codes == [422] * 10 + [429]
    other = await client_at("127.0.0.8")  # another client is not affected
    r = await other.post("/api/auth/signup", json={"email": _email(), "password": PASSWORD})
    assert r.status_code == 201


async def test_key_inspections_are_limited_per_user(client_at: Any) -> None:
    c = await client_at("127.0.0.9")
    assert (
        await c.post("/api/auth/signup", json={"email": _email(), "password": PASSWORD})
    ).status_code == 201
    bad_key = {"api_key": "", "secret": "", "passphrase": ""}  # refused before any exchange call
    codes = [(await c.post("/api/accounts/inspect", json=bad_key)).status_code for _ in range(11)]
    assert codes == [422] * 10 + [429]
    r = await c.post("/api/accounts", json={**bad_key, "label": "x"})  # Add inspects too
    assert r.status_code == 429


async def test_waits_grow_from_a_minute_to_an_hour_to_a_day(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from perpdesk.services.users.throttle import Limits, TooManyAttempts

    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])  # the limits library's windows read it
    limits = Limits()
    key = ("signin_account_client", "a@x.io", "10.0.0.1")
    waits: dict[int, int] = {}
    fails = 0
    while 100 not in waits:  # a patient guesser waits out every refusal and goes on
        try:
            async with limits.attempt("failed sign-in attempts", key):
                fails += 1
        except TooManyAttempts as refused:
            waits.setdefault(fails, refused.retry_after)
            clock[0] += refused.retry_after
    assert 0 < waits[5] <= 60 < waits[20] <= 3600 < waits[100] <= 86400
    async with limits.attempt("other client", ("signin_account_client", "a@x.io", "10.0.0.2")):
        pass  # another client is not locked
