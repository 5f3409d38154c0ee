"""Sign-up never tells whether an email has an account: with email configured, a new address and
one in use get the same answer and the same page ("check your email"); the new address is mailed
a link that creates the account (once), the owner of the one in use a note instead."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.fixtures.platform import PlatformServer
from tests.security.mail import SIGNUP_SUBJECT, Outbox, mailing_platform, outbox, sign_up_by_mail

__all__ = ["mailing_platform", "outbox"]

PASSWORD = "enumeration-probe-passphrase-28"


def _email() -> str:
    return f"enum-{secrets.token_hex(4)}@example.com"


def _main(html: str) -> str:
    """The page's content without what differs per request (the CSRF token)."""
    main = re.search(r"<main.*</main>", html, re.S)
    assert main
    return re.sub(r'value="[0-9a-f]{64}"', "", main.group(0))


@asynccontextmanager
async def _client(platform: PlatformServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as c:
        c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
        yield c


async def _owner(platform: PlatformServer, outbox: Outbox) -> str:
    """The email of an account made (through its link) in a browser that is then closed."""
    async with _client(platform) as c:
        owner = _email()
        await sign_up_by_mail(c, outbox, owner, PASSWORD)
    return owner


async def test_the_api_answers_the_same_for_a_new_and_a_taken_email(
    mailing_platform: PlatformServer, outbox: Outbox
) -> None:
    owner = await _owner(mailing_platform, outbox)
    async with _client(mailing_platform) as c:
        taken = await c.post("/api/auth/signup", json={"email": owner, "password": PASSWORD + "-x"})
        fresh = await c.post("/api/auth/signup", json={"email": _email(), "password": PASSWORD})
        assert taken.status_code == fresh.status_code == 202
        assert taken.json() == fresh.json() and "Check your email" in taken.json()["message"]
        assert "perpdesk_session" not in taken.cookies and "perpdesk_session" not in fresh.cookies
        note = await outbox.wait_for(owner, subject="Someone tried to sign up")
        text = note.get_body(preferencelist=("plain",)).get_content()
        assert "already has an account" in text and "/password/forgot" in text and "token=" not in text
        assert len(outbox.to(owner, SIGNUP_SUBJECT)) == 1  # no second account, no second link


async def test_the_page_is_the_same_for_a_new_and_a_taken_email(
    mailing_platform: PlatformServer, outbox: Outbox
) -> None:
    owner = await _owner(mailing_platform, outbox)
    pages = []
    for email in (owner, _email()):
        async with httpx.AsyncClient(base_url=mailing_platform.url, timeout=30) as browser:
            form_page = await browser.get("/signup")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text)
            assert token
            form = {
                "email": email,
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "csrf_token": token[1],
            }
            pages.append(await browser.post("/signup", data=form))
    assert pages[0].status_code == pages[1].status_code == 200
    assert _main(pages[0].text) == _main(pages[1].text) and "Check your email" in pages[0].text


async def test_a_sign_up_link_makes_the_account_once(
    mailing_platform: PlatformServer, outbox: Outbox
) -> None:
    email = _email()
    async with _client(mailing_platform) as c:
        r = await c.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        assert r.status_code == 202
        body = (await outbox.wait_for(email, subject=SIGNUP_SUBJECT)).get_body(preferencelist=("plain",))
        link = re.search(r"http://\S+(/signup/confirm\?token=(\S+))", body.get_content())
        assert link
        page = await c.get(link[1])
        assert page.status_code == 200 and "Create my account" in page.text
        assert (await c.post("/api/auth/signup/confirm", json={"token": link[2] + "A"})).status_code == 422
        made = await c.post("/api/auth/signup/confirm", json={"token": link[2]})
        assert made.status_code == 201 and (await c.get("/api/me")).json()["email"] == email
        again = await c.post("/api/auth/signup/confirm", json={"token": link[2]})
        assert again.status_code == 422 and again.json()["error"]["field"] == "token"
        assert link[2] not in again.text
