"""CSRF tokens are bound to the session: a token from another session is refused, even in the same
browser (signed out, then in as someone else) or with the other browser's seed cookie copied in.
A token fetched before signing in keeps working in the session this browser opened."""

from __future__ import annotations

import secrets

import httpx

from tests.fixtures.platform import PlatformServer

PASSWORD = "csrf-binding-passphrase-62"


async def _sign_up(c: httpx.AsyncClient, token: str) -> None:
    email = f"csrf-{secrets.token_hex(4)}@example.com"
    r = await c.post(
        "/api/auth/signup", json={"email": email, "password": PASSWORD}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 201, r.text


async def _token(c: httpx.AsyncClient) -> str:
    return str((await c.get("/api/auth/csrf")).json()["csrf_token"])


async def _harmless_post(c: httpx.AsyncClient, token: str) -> int:
    r = await c.post("/api/auth/signin/2fa", json={"code": "123456"}, headers={"X-CSRF-Token": token})
    return r.status_code  # 403: the CSRF check refused it; 422: it got past (no sign-in is waiting)


async def test_a_token_from_an_earlier_session_of_the_same_browser_is_refused(
    platform: PlatformServer,
) -> None:
    async with httpx.AsyncClient(base_url=platform.url, timeout=20) as c:
        before = await _token(c)
        await _sign_up(c, before)
        first_session = await _token(c)
        assert first_session != before and await _harmless_post(c, first_session) == 422
        assert (await c.post("/api/auth/signout", headers={"X-CSRF-Token": first_session})).status_code == 204
        await _sign_up(c, before)  # someone else signs in on this browser
        assert await _harmless_post(c, first_session) == 403
        assert await _harmless_post(c, before) == 422  # the session-less token of this browser
        assert await _harmless_post(c, await _token(c)) == 422


async def test_a_token_from_another_browser_is_refused_even_with_its_seed(platform: PlatformServer) -> None:
    async with (
        httpx.AsyncClient(base_url=platform.url, timeout=20) as victim,
        httpx.AsyncClient(base_url=platform.url, timeout=20) as attacker,
    ):
        await _sign_up(victim, await _token(victim))
        attacker_before = await _token(attacker)
        await _sign_up(attacker, attacker_before)
        attacker_session = await _token(attacker)
        victim.cookies.set("perpdesk_csrf", attacker.cookies["perpdesk_csrf"])  # a planted seed cookie
        assert await _harmless_post(victim, attacker_before) == 403
        assert await _harmless_post(victim, attacker_session) == 403
        assert await _harmless_post(attacker, attacker_session) == 422
