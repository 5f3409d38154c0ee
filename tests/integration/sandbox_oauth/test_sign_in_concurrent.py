"""The sandbox's Sign In counts guesses sent at once one each: 100 concurrent wrong passwords for
one email get 5 checks (the documented 5 per 15 minutes), and wrong authenticator codes spread
over many half-signed-in sessions get 5 checks per email, not 5 per session."""

from __future__ import annotations

import asyncio
import secrets

import httpx

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_oauth.conftest import new_user
from tests.integration.sandbox_oauth.flow import csrf_of

GUESSES = 100


def _browser(sandbox: SandboxServer) -> httpx.AsyncClient:
    # an address of its own, so this test's guesses do not fill 127.0.0.1's per-address budget
    address = f"127.0.2.{secrets.randbelow(200) + 2}"
    return httpx.AsyncClient(
        base_url=sandbox.base_url,
        timeout=60,
        transport=httpx.AsyncHTTPTransport(local_address=address),
        limits=httpx.Limits(max_connections=GUESSES),
    )


async def test_concurrent_wrong_passwords_get_five_checks(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    async with _browser(sandbox) as c:
        token = csrf_of((await c.get("/sign-in")).text)
        form = {"csrf_token": token, "email": user["email"], "password": "wrong-password-1"}
        answers = await asyncio.gather(*(c.post("/sign-in", data=form) for _ in range(GUESSES)))
    checked = [r for r in answers if r.status_code != 429]
    assert len(checked) == 5 and all("Incorrect email or password" in r.text for r in checked)
    assert all("Too many sign-in attempts" in r.text for r in answers if r.status_code == 429)


async def test_wrong_codes_across_sessions_get_five_checks(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    browsers = [_browser(sandbox) for _ in range(20)]
    tokens = []
    for c in browsers:  # 20 sessions past the password step (right passwords cost no budget)
        page = await c.get("/sign-in")
        form = {"csrf_token": csrf_of(page.text), "email": user["email"], "password": user["password"]}
        page = await c.post("/sign-in", data=form, follow_redirects=True)
        assert page.url.path == "/sign-in/verify", page.text[:300]
        tokens.append(csrf_of(page.text))
    sends = [
        c.post("/sign-in/verify", data={"csrf_token": t, "method": "authenticator", "code": "000000"})
        for c, t in zip(browsers, tokens, strict=True)
        for _ in range(5)
    ]
    answers = await asyncio.gather(*sends)
    assert sum("not correct" in r.text for r in answers) == 5
    for c in browsers:
        await c.aclose()
