"""In headless Chromium: sign-up finished through the emailed link; forgot password, the link
arrives by real SMTP (the aiosmtpd catcher on loopback), a new password is set, the old session
is gone and the new password signs in; then the password is changed from the profile page."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.e2e.helpers import sign_up_on_the_page
from tests.fixtures.platform import PlatformServer
from tests.security.mail import (
    RESET_SUBJECT,
    SIGNUP_SUBJECT,
    Outbox,
    mailing_platform,
    outbox,
    reset_link,
    signup_link,
)

pytestmark = pytest.mark.e2e
__all__ = ["mailing_platform", "outbox"]

PASSWORD = "browser-pass-12345"
NEW_PASSWORD = "amber-lantern-in-fog-31"
NEWER_PASSWORD = "quiet-harbour-seven-gulls"
Shot = Callable[[Any, str], Awaitable[Any]]


async def test_reset_password_by_email_then_change_it(
    page: Any, browser: Any, mailing_platform: PlatformServer, outbox: Outbox, shot: Shot
) -> None:
    base = mailing_platform.url
    email = f"reset-{secrets.token_hex(4)}@example.com"
    await sign_up_on_the_page(page, base, email, PASSWORD, then=base + "/signup")
    await page.locator("[data-testid=signup-sent]").wait_for()  # "check your email"
    await page.goto(signup_link(await outbox.wait_for(email, subject=SIGNUP_SUBJECT)))
    await page.click("button:has-text('Create my account')")
    await page.wait_for_url(base + "/")
    other = await browser.new_context()  # a second browser, signed in too: reset must end it
    other_page = await other.new_page()
    await other_page.goto(base + "/signin")
    await other_page.fill("#email", email)
    await other_page.fill("#password", PASSWORD)
    await other_page.click("button:has-text('Sign in')")
    await other_page.wait_for_url(base + "/")

    await page.click("button:has-text('Sign out')")
    await page.wait_for_url(base + "/signin?signed_out=1")
    await page.click("text=Forgot your password?")
    await page.wait_for_url(base + "/password/forgot")
    await page.fill("#email", email)
    await page.click("button:has-text('Email me a reset link')")
    await page.locator("[data-testid=reset-sent]").wait_for()
    await shot(page, "01-reset-asked")

    link = reset_link(await outbox.wait_for(email, subject=RESET_SUBJECT))
    await page.goto(link)
    await page.fill("#new_password", "aaaaaaaaaaaaaaaaaa")
    await page.fill("#new_password_confirm", "aaaaaaaaaaaaaaaaaa")
    await page.click("button:has-text('Set the new password')")
    error = page.locator("[data-testid=form-error]")
    assert "New password is too easy to guess" in (await error.text_content() or "")
    await shot(page, "02-weak-refused")
    await page.fill("#new_password", NEW_PASSWORD)
    await page.fill("#new_password_confirm", NEW_PASSWORD)
    await page.click("button:has-text('Set the new password')")
    await page.wait_for_url(base + "/signin?reset=1")
    assert await page.is_visible("text=Your password is changed.")
    await shot(page, "03-reset-done")

    await other_page.goto(base + "/profile")
    await other_page.wait_for_url("**/signin?next=/profile")  # the other session ended
    await other.close()
    await page.goto(link)
    assert await page.is_visible("[data-testid=reset-invalid]")  # the link worked once

    await page.goto(base + "/signin")
    await page.fill("#email", email)
    await page.fill("#password", NEW_PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(base + "/")

    await page.goto(base + "/profile")
    await page.fill("#current_password", NEW_PASSWORD)
    await page.fill("#new_password", NEWER_PASSWORD)
    await page.fill("#new_password_confirm", NEWER_PASSWORD)
    await page.click("button:has-text('Change password')")
    await page.wait_for_url(base + "/profile?password=changed")
    assert await page.is_visible("[data-testid=password-status]")
    await shot(page, "04-changed")
