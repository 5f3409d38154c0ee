"""Guesses sent at once are counted one each: an attempt is reserved before it is checked, so 100
concurrent guesses get at most the documented number of checks (the rest 429 at once). Each test
counts the checks twice: by the answers that were not 429, and by the server's own record (its
log line per refused guess, or the mails it sent)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.platform import PlatformServer, launch_platform
from tests.security.mail import RESET_SUBJECT, Outbox, outbox, sign_up_by_mail
from tests.security.test_throttling import PASSWORD, _email, _wrong, turn_on_totp

__all__ = ["outbox"]

GUESSES = 100
MAILS: dict[str, Outbox] = {}  # the outbox each platform mails to (sign-up links)


@pytest.fixture(scope="module")
async def limited(outbox: Outbox) -> AsyncIterator[PlatformServer]:
    mail = {"smtp_host": "127.0.0.1", "smtp_port": outbox.port, "smtp_security": "none"}
    server = await asyncio.to_thread(launch_platform, rate_limit_factor=1, **mail)
    MAILS[server.url] = outbox
    yield server
    server.stop()


async def _client(server: PlatformServer, address: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(
        base_url=server.url,
        timeout=60,
        transport=httpx.AsyncHTTPTransport(local_address=address),
        limits=httpx.Limits(max_connections=GUESSES),
    )
    c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
    return c


async def _signed_up(server: PlatformServer, address: str, email: str) -> httpx.AsyncClient:
    c = await _client(server, address)
    await sign_up_by_mail(c, MAILS[server.url], email, PASSWORD)
    return c


def _logged(server: PlatformServer, message: str) -> int:
    return server.log_path.read_text().count(f'"{message}"')


async def _at_once(send: Callable[[], Awaitable[httpx.Response]]) -> list[int]:
    return [r.status_code for r in await asyncio.gather(*(send() for _ in range(GUESSES)))]


def _checked(codes: list[int]) -> int:
    assert set(codes) <= {422, 400, 202, 429}, codes
    return sum(1 for code in codes if code != 429)


async def test_concurrent_wrong_passwords_are_checked_at_most_five_times(limited: PlatformServer) -> None:
    email = _email()
    owner = await _signed_up(limited, "127.0.1.1", email)
    attacker = await _client(limited, "127.0.1.2")
    before = _logged(limited, "sign-in refused")
    codes = await _at_once(
        lambda: attacker.post("/api/auth/signin", json={"email": email, "password": "wrong-guess-123"})
    )
    assert _checked(codes) == 5 and _logged(limited, "sign-in refused") - before == 5
    await owner.aclose()
    await attacker.aclose()


async def test_concurrent_wrong_sign_in_codes_are_checked_at_most_five_times(limited: PlatformServer) -> None:
    owner = await _signed_up(limited, "127.0.1.3", _email())
    seed = await turn_on_totp(owner)
    email = (await owner.get("/api/me")).json()["email"]
    thief = await _client(limited, "127.0.1.4")  # has the password, not the phone
    r = await thief.post("/api/auth/signin", json={"email": email, "password": PASSWORD})
    assert r.json()["mfa_required"] is True
    before = _logged(limited, "2FA code refused")
    codes = await _at_once(lambda: thief.post("/api/auth/signin/2fa", json={"code": _wrong(seed)}))
    assert _checked(codes) == 5 and _logged(limited, "2FA code refused") - before == 5
    await owner.aclose()
    await thief.aclose()


async def test_concurrent_wrong_current_passwords_are_checked_at_most_five_times(
    limited: PlatformServer,
) -> None:
    c = await _signed_up(limited, "127.0.1.5", _email())
    before = _logged(limited, "current password refused")
    change = {"current_password": "not-the-password-9", "new_password": "another-long-passphrase-41"}
    codes = await _at_once(lambda: c.post("/api/auth/password", json=change))
    assert _checked(codes) == 5 and _logged(limited, "current password refused") - before == 5
    await c.aclose()


async def test_concurrent_key_inspections_stop_at_ten(limited: PlatformServer) -> None:
    c = await _signed_up(limited, "127.0.1.6", _email())
    bad_key = {"api_key": "", "secret": "", "passphrase": ""}
    codes = await _at_once(lambda: c.post("/api/accounts/inspect", json=bad_key))
    assert _checked(codes) == 10
    await c.aclose()


async def test_concurrent_reset_requests_stop_at_ten_and_mail_three(
    limited: PlatformServer, outbox: Outbox
) -> None:
    email = _email()
    c = await _signed_up(limited, "127.0.1.7", email)
    asker = await _client(limited, "127.0.1.8")
    codes = await _at_once(lambda: asker.post("/api/auth/password/forgot", json={"email": email}))
    assert _checked(codes) == 10  # reset_client: 10 an hour
    await outbox.wait_for(email, count=3, subject=RESET_SUBJECT)
    await asyncio.sleep(0.5)  # any fourth mail would be on its way by now
    assert len(outbox.to(email, RESET_SUBJECT)) == 3  # reset_account: 3 an hour
    await c.aclose()
    await asker.aclose()


async def test_a_password_change_ends_the_known_device_allowance(limited: PlatformServer) -> None:
    from perpdesk.services.users.throttle import DEVICE_COOKIE

    email = _email()
    home = await _signed_up(limited, "127.0.1.9", email)
    old_device = home.cookies[DEVICE_COOKIE]
    new_password = "a-fresh-long-passphrase-77"
    change = {"current_password": PASSWORD, "new_password": new_password}
    r = await home.post("/api/auth/password", json=change)
    assert r.status_code == 204 and r.cookies.get(DEVICE_COOKIE) not in (None, old_device)
    flood = await _client(limited, "127.0.1.10")  # uses up this address's budget for the email
    for _ in range(5):
        await flood.post("/api/auth/signin", json={"email": email, "password": "wrong-guess-123"})
    stale: Any = await _client(limited, "127.0.1.10")  # the old cookie, from behind the flood
    stale.cookies.set(DEVICE_COOKIE, old_device)
    r = await stale.post("/api/auth/signin", json={"email": email, "password": new_password})
    assert r.status_code == 429  # the old allowance is gone: counted as any other browser
    fresh = await _client(limited, "127.0.1.10")
    fresh.cookies.set(DEVICE_COOKIE, home.cookies[DEVICE_COOKIE])  # re-issued to the changing browser
    r = await fresh.post("/api/auth/signin", json={"email": email, "password": new_password})
    assert r.status_code == 200
    for c in (home, flood, stale, fresh):
        await c.aclose()
