"""Passwords follow NIST SP 800-63B (length, a strength estimate, a list of common and breached
passwords, no composition rules); changing one needs the current one; a reset goes by email over
real SMTP with a single-use, short-lived token stored as a hash; both end the other sessions."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from perpdesk.core.errors import InputError
from perpdesk.services.users.passwords import MAX_PASSWORD, check_new_password
from tests.fixtures.platform import PlatformServer
from tests.security.mail import RESET_SUBJECT, Outbox, mailing_platform, outbox, reset_link, sign_up_by_mail

__all__ = ["mailing_platform", "outbox"]

PASSWORD = "correct-horse-battery-9"
NEW_PASSWORD = "violet-kettle-under-moon-42"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaa", "shorter than 15"),
        ("password12", "shorter than 15"),
        ("aaaaaaaaaaaaaaa", "too easy to guess"),
        ("passwordpassword", "too easy to guess"),
        ("qwerty123456789", "common or breached"),
        ("password1234567!", "common or breached"),
        ("qwertyuiopasdfgh", "too easy to guess"),
        ("correcthorsebatterystaple", "common or breached"),  # zxcvbn alone scores it 4
        ("Correct Horse Battery-Staple 2024!", "common or breached"),
        ("the quick brown fox jumps over the lazy dog", "common or breached"),
        ("x" * (MAX_PASSWORD + 1), "longer than 256"),
    ],
)
async def test_weak_passwords_are_refused_with_the_reason(password: str, why: str) -> None:
    with pytest.raises(InputError) as caught:
        await check_new_password(password, "trader@example.com")
    assert why in caught.value.message and caught.value.field == "password"
    assert password not in caught.value.message + caught.value.next_step


@pytest.mark.parametrize(
    "password",
    [
        "violet kettle under moon",  # a passphrase: spaces and lowercase only are fine
        "Zürich-Ämter-sind-grün-7",  # any Unicode
        "lamp " * 20,  # long ones too (100 characters), well beyond 64
        secrets.token_urlsafe(48),
    ],
)
async def test_good_passwords_need_no_composition_rules(password: str) -> None:
    await check_new_password(password, "trader@example.com")


async def test_sign_up_refuses_the_examples_of_the_issue(platform: PlatformServer) -> None:
    async with httpx.AsyncClient(base_url=platform.url) as c:
        c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
        for weak in ("aaaaaaaaaa", "password12", "aaaaaaaaaaaaaaaaaaaa", "passwordpassword1"):
            r = await c.post(
                "/api/auth/signup", json={"email": f"w{secrets.token_hex(4)}@ex.com", "password": weak}
            )
            assert r.status_code == 422 and r.json()["error"]["field"] == "password", r.text
            assert weak not in r.text


async def _user(url: str, outbox: Outbox | None = None) -> tuple[httpx.AsyncClient, str]:
    """A signed-up, signed-in user (through the emailed link when the platform mails: `outbox`)."""
    c = httpx.AsyncClient(base_url=url, timeout=30)
    c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
    email = f"p{secrets.token_hex(5)}@example.com"
    if outbox is not None:
        await sign_up_by_mail(c, outbox, email, PASSWORD)
        return c, email
    r = await c.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return c, email


async def _signed_in(url: str, email: str, password: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=url, timeout=30)
    c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
    r = await c.post("/api/auth/signin", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return c


async def test_change_password_needs_the_current_one_and_ends_other_sessions(
    platform: PlatformServer,
) -> None:
    a, email = await _user(platform.url)
    b = await _signed_in(platform.url, email, PASSWORD)
    try:
        r = await a.post(
            "/api/auth/password", json={"current_password": "wrong-one-xyz", "new_password": NEW_PASSWORD}
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "current_password"
        r = await a.post(
            "/api/auth/password", json={"current_password": PASSWORD, "new_password": "password12"}
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "new_password"
        assert (await b.get("/api/me")).status_code == 200  # nothing changed yet
        r = await a.post(
            "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert r.status_code == 204, r.text
        assert (await a.get("/api/me")).status_code == 200  # this session goes on
        assert (await b.get("/api/me")).status_code == 401  # the other one ended
        assert (
            await b.post("/api/auth/signin", json={"email": email, "password": PASSWORD})
        ).status_code == 422
        assert (
            await b.post("/api/auth/signin", json={"email": email, "password": NEW_PASSWORD})
        ).status_code == 200
    finally:
        await a.aclose()
        await b.aclose()


def _reset_rows(platform: PlatformServer) -> list[tuple[str, str]]:
    db = Path(platform.database_url.removeprefix("sqlite+aiosqlite:///"))
    with sqlite3.connect(db) as conn:
        return list(conn.execute("select token_hash, user_id from password_resets"))


async def test_reset_by_email_over_real_smtp(mailing_platform: PlatformServer, outbox: Outbox) -> None:
    url = mailing_platform.url
    a, email = await _user(url, outbox)
    other = await _signed_in(url, email, PASSWORD)
    anon = httpx.AsyncClient(base_url=url, timeout=30)
    try:
        anon.headers["X-CSRF-Token"] = (await anon.get("/api/auth/csrf")).json()["csrf_token"]
        known = await anon.post("/api/auth/password/forgot", json={"email": email})
        nobody = f"nobody-{secrets.token_hex(4)}@example.com"
        unknown = await anon.post("/api/auth/password/forgot", json={"email": nobody})
        assert known.status_code == unknown.status_code == 202
        assert known.json() == unknown.json()  # the answer never tells whether the email exists

        message = await outbox.wait_for(email, subject=RESET_SUBJECT)
        link = reset_link(message)
        token = parse_qs(urlsplit(link).query)["token"][0]
        rows = _reset_rows(mailing_platform)
        assert [h for h, _ in rows if h == hashlib.sha256(token.encode()).hexdigest()]
        assert all(token not in h for h, _ in rows)  # only the hash is stored

        page = await anon.get(urlsplit(link).path + "?" + urlsplit(link).query)
        assert page.status_code == 200 and 'name="new_password"' in page.text
        r = await anon.post("/api/auth/password/reset", json={"token": token, "new_password": "aaaaaaaaaa"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "new_password"  # the token survives
        r = await anon.post("/api/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD})
        assert r.status_code == 204, r.text
        assert (await a.get("/api/me")).status_code == 401 and (await other.get("/api/me")).status_code == 401
        again = await anon.post(
            "/api/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD + "x"}
        )
        assert again.status_code == 422 and again.json()["error"]["field"] == "token"  # single use
        assert (
            await anon.post("/api/auth/signin", json={"email": email, "password": NEW_PASSWORD})
        ).status_code == 200
        assert outbox.to(nobody) == []
        log = mailing_platform.log_tail(1_000_000)
        assert "/password/reset" in log and token not in log  # the access log hides the token
    finally:
        for c in (a, other, anon):
            await c.aclose()


async def test_reset_links_expire(outbox: Outbox) -> None:
    import asyncio

    from tests.fixtures.platform import launch_platform

    p = await asyncio.to_thread(
        launch_platform,
        smtp_host="127.0.0.1",
        smtp_port=outbox.port,
        smtp_security="none",
        password_reset_ttl_minutes=0.02,  # 1.2 s
    )
    try:
        a, email = await _user(p.url, outbox)
        r = await a.post("/api/auth/password/forgot", json={"email": email})
        assert r.status_code == 202
        message = await outbox.wait_for(email, subject=RESET_SUBJECT)
        token = parse_qs(urlsplit(reset_link(message)).query)["token"][0]
        await asyncio.sleep(1.5)
        r = await a.post("/api/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD})
        assert r.status_code == 422 and r.json()["error"]["field"] == "token"
        await a.aclose()
    finally:
        p.stop()


async def test_reset_without_a_mail_server_says_so(platform: PlatformServer) -> None:
    async with httpx.AsyncClient(base_url=platform.url) as c:
        c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
        r = await c.post("/api/auth/password/forgot", json={"email": "x@example.com"})
        assert r.status_code == 422 and "PERPDESK_SMTP_HOST" in r.json()["error"]["next_step"]
