"""Steps at the sandbox's BitMart pages, with the brief's words."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from playwright.async_api import expect

from tests.fixtures.sandbox import fresh_totp


async def fresh_code(secret: str) -> str:
    """A TOTP code not used before (the sandbox accepts each once), with time left to Submit."""
    return await asyncio.to_thread(fresh_totp, secret)


async def sign_in(page: Any, user: dict[str, Any]) -> None:
    """Email and password, Sign In, then the Google Authenticator code."""
    await page.get_by_label("Email").fill(user["email"])
    await page.get_by_label("Password").fill(user["password"])
    await page.get_by_role("button", name="Sign In").click()
    await page.get_by_label("Google Authenticator code").fill(await fresh_code(user["totp_secret"]))
    await page.get_by_role("button", name="Submit").click()


async def open_api_management(page: Any) -> None:
    """Hover over the profile icon, click API Management."""
    await page.get_by_role("button", name="Profile").hover()
    await page.get_by_role("menuitem", name="API Management").click()
    await expect(page.get_by_role("heading", name="API Management")).to_be_visible()


async def verify_and_submit(page: Any, sandbox: Any, user: dict[str, Any]) -> None:
    """Send the email code, enter it and the Google Authenticator code, Submit."""
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("status")).to_contain_text("sent")
    mails = [m for m in sandbox.admin.outbox(user["email"]) if "API key" in m["subject"]]
    code = re.search(r"\b(\d{6})\b", mails[-1]["body"])
    assert code is not None
    await page.get_by_label("Email verification code").fill(code.group(1))
    await page.get_by_label("Google Authenticator code").fill(await fresh_code(user["totp_secret"]))
    await page.get_by_role("button", name="Submit").click()
