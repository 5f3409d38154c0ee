"""Steps the platform's browser tests share: numbered screenshots, a fresh signed-in user, and the
way into the Connect Bitmart Futures window (with the Fast Connect tab it opens at BitMart)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class Screenshots:
    """Numbered full-page screenshots: test-artifacts/<area>/<name>/<NN>-<step>.png."""

    def __init__(self, area: str, name: str) -> None:
        self.dir = ARTIFACTS / area / name.replace("[", "-").replace("]", "")
        self.n = 0

    async def __call__(self, page: Any, step: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n += 1
        await page.screenshot(path=str(self.dir / f"{self.n:02d}-{step}.png"), full_page=True)


async def csrf_headers(page: Any, base: str) -> dict[str, str]:
    tok = (await (await page.request.get(base + "/api/auth/csrf")).json())["csrf_token"]
    return {"X-CSRF-Token": tok}


async def sign_up_on_the_page(page: Any, base: str, email: str, password: str, then: str = "") -> None:
    """Sign up through the sign-up form, as a person would: it signs in too (lands on `then`, the
    home page), unless the platform mails a link to finish (it stays on the sign-up page)."""
    await page.goto(base + "/signup")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.fill("#password_confirm", password)
    await page.click("button:has-text('Sign up')")
    await page.wait_for_url(then or base + "/")


async def sign_up_in_browser(page: Any, base: str, password: str) -> tuple[str, dict[str, str]]:
    """A fresh platform user, signed in inside the page's browser context (sign-up also signs in).
    Returns the email and the CSRF header for further API calls from that context."""
    headers = await csrf_headers(page, base)
    email = f"trader-{secrets.token_hex(4)}@example.com"
    body = {"email": email, "password": password}
    r = await page.request.post(base + "/api/auth/signup", data=body, headers=headers)
    assert r.status == 201, await r.text()
    # tokens are bound to the session: a browser that was signed in as someone else needs a new one
    return email, await csrf_headers(page, base)


async def open_bitmart_window(page: Any, base: str | None = None) -> Any:
    """+ Connect Account, Bitmart under Futures only: the Connect Bitmart Futures window.
    With `base`, goes to Settings > Exchange Account API Keys first."""
    if base is not None:
        await page.goto(base + "/settings/exchange-accounts")
    await page.get_by_role("button", name="+ Connect Account").click()
    await page.get_by_role("group", name="Futures only").get_by_role("button", name="Bitmart").click()
    return page.get_by_role("dialog", name="Connect Bitmart Futures")


async def start_fast_connect(page: Any, window: Any) -> Any:
    """Enable Futures Account, Connect: returns the BitMart tab that opens."""
    await window.get_by_role("switch", name="Enable Futures Account").click()
    async with page.context.expect_page() as new_tab:
        await window.get_by_role("button", name="Connect").click()
    return await new_tab.value
