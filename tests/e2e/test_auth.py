"""In headless Chromium against the real platform: sign up, sign out, sign in (also with 2FA),
the Settings entry, and a wrong password shown next to the form."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import pyotp
import pytest

from tests.e2e.helpers import sign_up_on_the_page
from tests.fixtures.platform import PlatformServer

pytestmark = pytest.mark.e2e

PASSWORD = "browser-pass-12345"
Shot = Callable[[Any, str], Awaitable[Any]]


async def test_sign_up_sign_out_sign_in(page: Any, platform: PlatformServer, shot: Shot) -> None:
    base = platform.url
    email = f"e2e-{secrets.token_hex(4)}@example.com"
    await page.goto(base + "/")
    await page.wait_for_url(base + "/signin?next=/")  # not signed in: sent to the sign-in page
    await shot(page, "01-signin-page")

    await page.click("text=Create an account")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.click("button:has-text('Sign up')")
    await page.wait_for_url(base + "/")
    assert await page.text_content("[data-testid=signed-in-as]") == email
    settings_link = page.locator("nav a:has-text('Settings')")
    assert await settings_link.get_attribute("href") == "/settings/exchange-accounts"
    await shot(page, "02-signed-up")

    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["perpdesk_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Lax"
    assert await page.evaluate("document.cookie") == ""  # no cookie readable by scripts

    await page.click("button:has-text('Sign out')")
    await page.wait_for_url(base + "/signin?signed_out=1")
    assert await page.is_visible("text=You are signed out.")
    await page.goto(base + "/profile")
    await page.wait_for_url("**/signin?next=/profile")
    await shot(page, "03-signed-out")

    await page.fill("#email", email)
    await page.fill("#password", "not-the-password")
    await page.click("button:has-text('Sign in')")
    error = page.locator("[data-testid=form-error]")
    assert "Password is wrong, or the email is not registered" in (await error.text_content() or "")
    assert await page.get_attribute("#password", "aria-invalid") == "true"
    assert await page.input_value("#email") == email  # nothing typed is lost but the password
    assert await page.input_value("#password") == ""
    await shot(page, "04-wrong-password")

    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(base + "/profile")  # back where the user wanted to go
    assert await page.text_content("[data-testid=signed-in-as]") == email
    await shot(page, "05-signed-in")


async def test_two_factor_enrolment_and_sign_in(page: Any, platform: PlatformServer, shot: Shot) -> None:
    base = platform.url
    email = f"e2e-2fa-{secrets.token_hex(4)}@example.com"
    await sign_up_on_the_page(page, base, email, PASSWORD)
    await page.click("nav a:has-text('Profile')")
    await page.click("button:has-text('Set up 2FA')")
    assert await page.is_visible("[data-testid=totp-qr]")
    seed = (await page.text_content("[data-testid=totp-seed]") or "").strip()
    await shot(page, "01-enrol")
    await page.fill("#code", pyotp.TOTP(seed).now())
    await page.click("button:has-text('Turn on 2FA')")
    await page.wait_for_selector("text=2FA is on")

    await page.click("button:has-text('Sign out')")
    await page.wait_for_url("**/signin?signed_out=1")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url("**/signin/2fa?next=/")
    await page.fill("#code", "000000")
    await page.click("button:has-text('Verify')")
    assert "does not match" in (await page.text_content("[data-testid=form-error]") or "")
    await page.fill("#code", pyotp.TOTP(seed).now())
    await page.click("button:has-text('Verify')")
    await page.wait_for_url(base + "/")
    assert await page.text_content("[data-testid=signed-in-as]") == email
    await shot(page, "02-signed-in-with-2fa")


async def test_htmx_requests_carry_the_csrf_token(page: Any, platform: PlatformServer) -> None:
    """base.html's hx-headers make every htmx call pass the CSRF check without per-call code."""
    base = platform.url
    await sign_up_on_the_page(page, base, f"e2e-htmx-{secrets.token_hex(4)}@example.com", PASSWORD)
    await page.goto(base + "/profile")
    await page.wait_for_function("window.htmx !== undefined")  # served from /static, no CDN
    await page.evaluate("htmx.ajax('POST', '/profile/signout-others', {target: 'main', select: 'main'})")
    status = page.locator("[data-testid=sessions-status]")
    await status.wait_for()
    assert "Signed out 0 other session(s)" in (await status.text_content() or "")
    # the same call without the header is refused: the check is real
    refused = await page.evaluate(
        "fetch('/profile/signout-others', {method: 'POST', redirect: 'manual'}).then(r => r.status)"
    )
    assert refused == 403
