"""Fast Connect services against the sandbox's real authorisation server (consent given in Chromium),
on SQLite and PostgreSQL: success, single use, session binding, denial, expiry, bad code, recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from perpdesk.services import accounts, fast_connect
from perpdesk.store.accounts import FastConnectGrant
from perpdesk.store.base import utcnow
from tests.e2e.connect.bitmart_pages import sign_in
from tests.integration.accounts.conftest import REDIRECT, Ctx

SESSION = "s" * 64


async def consent(browser: Any, url: str, user: dict[str, Any], *, confirm: bool = True) -> dict[str, str]:
    """Sign in at the sandbox, Confirm (or Cancel); return the query the exchange redirects with."""
    context = await browser.new_context()
    seen: list[str] = []

    async def catch(route: Any) -> None:
        seen.append(route.request.url)
        await route.fulfill(status=200, body="ok")

    await context.route(REDIRECT.split("/settings")[0] + "/**", catch)
    page = await context.new_page()
    try:
        await page.goto(url)
        await sign_in(page, user)
        await page.get_by_role("button", name="Confirm" if confirm else "Cancel").click()
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.05)
    finally:
        await context.close()
    assert seen, "the exchange did not redirect back"
    return {k: v[0] for k, v in parse_qs(urlsplit(seen[0]).query).items()}


async def test_success_single_use_and_session_binding(ctx: Ctx, browser: Any) -> None:
    uid = await ctx.user()
    bm = ctx.sandbox.admin.create_user()
    started = await fast_connect.start(ctx.deps, user_id=uid, session_hash=SESSION)
    q = urlsplit(started.authorize_url)
    params = parse_qs(q.query)
    assert params["code_challenge_method"] == ["S256"] and params["scope"] == ["future_trade"]
    assert params["ip_whitelist"] == ["127.0.0.1"] and params["state"] == [started.state]
    assert len(started.state) >= 22  # ≥ 128 bits
    assert (
        await fast_connect.status(ctx.deps, user_id=uid, session_hash=SESSION, state=started.state)
    ).status == "pending"

    answer = await consent(browser, started.authorize_url, bm)
    # the callback from another browser session is refused and leaves the grant usable
    other = await fast_connect.finish(
        ctx.deps, session_hash="x" * 64, state=answer["state"], code=answer["code"]
    )
    assert other.message is not None and other.message.code == "fast_connect_invalid_state"

    out = await fast_connect.finish(
        ctx.deps, session_hash=SESSION, state=answer["state"], code=answer["code"]
    )
    assert out.status == "connected", out.message
    assert out.account is not None and out.account.label == "Fast Connect Futures"
    assert out.account.method == "fast_connect" and out.account.status == "active"
    polled = await fast_connect.status(ctx.deps, user_id=uid, session_hash=SESSION, state=started.state)
    assert polled.status == "connected" and polled.message is not None
    assert polled.message.title == "API key connected successfully"

    again = await fast_connect.finish(
        ctx.deps, session_hash=SESSION, state=answer["state"], code=answer["code"]
    )
    assert again.status == "failed" and again.message is not None
    assert again.message.code == "fast_connect_invalid_state"
    assert len(await accounts.list_accounts(ctx.deps, uid)) == 1

    # Disconnect revokes the key at the exchange.
    assert len(ctx.sandbox.admin.user(bm["email"])["keys"]) == 1
    assert await accounts.disconnect(ctx.deps, uid, out.account.id) == []
    assert ctx.sandbox.admin.user(bm["email"])["keys"] == []


SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # browser-heavy: one DB is enough


@SQLITE_ONLY
async def test_denied_and_unknown_state(ctx: Ctx, browser: Any) -> None:
    uid = await ctx.user()
    bm = ctx.sandbox.admin.create_user()
    started = await fast_connect.start(ctx.deps, user_id=uid, session_hash=SESSION)
    answer = await consent(browser, started.authorize_url, bm, confirm=False)
    assert answer["error"] == "access_denied"
    out = await fast_connect.finish(
        ctx.deps, session_hash=SESSION, state=answer["state"], error=answer["error"]
    )
    assert (
        out.status == "denied"
        and out.message is not None
        and out.message.title == "Fast Connect was cancelled"
    )
    polled = await fast_connect.status(ctx.deps, user_id=uid, session_hash=SESSION, state=started.state)
    assert polled.status == "denied"
    unknown = await fast_connect.finish(ctx.deps, session_hash=SESSION, state="nope", code="x")
    assert unknown.message is not None and unknown.message.code == "fast_connect_invalid_state"
    assert await accounts.list_accounts(ctx.deps, uid) == []


async def test_bad_code_and_disabled_switch(ctx: Ctx) -> None:
    uid = await ctx.user()
    from perpdesk.services.errors_text import ConnectRefused

    with pytest.raises(ConnectRefused) as info:
        await fast_connect.start(ctx.deps, user_id=uid, session_hash=SESSION, enable_futures=False)
    assert info.value.user_message.code == "futures_not_enabled"
    started = await fast_connect.start(ctx.deps, user_id=uid, session_hash=SESSION)
    out = await fast_connect.finish(ctx.deps, session_hash=SESSION, state=started.state, code="forged-code")
    assert out.status == "failed" and out.message is not None
    assert "Nothing was saved" in out.message.next_step or "again" in out.message.next_step
    assert await accounts.list_accounts(ctx.deps, uid) == []


@SQLITE_ONLY
async def test_timeout_expires_and_late_key_is_revoked(ctx: Ctx, browser: Any) -> None:
    uid = await ctx.user()
    bm = ctx.sandbox.admin.create_user()
    ctx.deps.grant_ttl = timedelta(seconds=1)
    started = await fast_connect.start(ctx.deps, user_id=uid, session_hash=SESSION)
    await asyncio.sleep(1.1)
    polled = await fast_connect.status(ctx.deps, user_id=uid, session_hash=SESSION, state=started.state)
    assert polled.status == "expired" and polled.message is not None
    assert polled.message.title == "Fast Connect timed out"
    # The user still confirms at the exchange: the key it created is redeemed only to be revoked.
    answer = await consent(browser, started.authorize_url, bm)
    out = await fast_connect.finish(
        ctx.deps, session_hash=SESSION, state=answer["state"], code=answer["code"]
    )
    assert out.status == "expired"
    assert await accounts.list_accounts(ctx.deps, uid) == []
    assert ctx.sandbox.admin.user(bm["email"])["keys"] == []


class _Stuck:
    """The real connector, except that inspection never returns: the process 'crashes' there."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.reached = asyncio.Event()

    async def inspect_key(self, creds: Any) -> Any:
        self.reached.set()
        await asyncio.Event().wait()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def test_key_obtained_but_not_stored_is_revoked_on_recovery(ctx: Ctx, browser: Any) -> None:
    uid = await ctx.user()
    bm = ctx.sandbox.admin.create_user()
    real = ctx.deps.connector_for("bitmart")
    stuck = _Stuck(real)
    ctx.deps.connector_for = lambda _ex: stuck  # type: ignore[assignment,return-value]
    started = await fast_connect.start(ctx.deps, user_id=uid, session_hash=SESSION)
    answer = await consent(browser, started.authorize_url, bm)
    task = asyncio.create_task(
        fast_connect.finish(ctx.deps, session_hash=SESSION, state=answer["state"], code=answer["code"])
    )
    await asyncio.wait_for(stuck.reached.wait(), 10)
    task.cancel()  # the crash: redeemed, not stored
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(ctx.sandbox.admin.user(bm["email"])["keys"]) == 1
    ctx.deps.connector_for = lambda _ex: real  # type: ignore[assignment,return-value]

    assert await fast_connect.recover(ctx.deps) == 0  # not stale yet: a live finish may be running
    async with ctx.deps.sessions() as s, s.begin():
        await s.execute(update(FastConnectGrant).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await fast_connect.recover(ctx.deps) == 0  # within the grace a live callback may have
    async with ctx.deps.sessions() as s, s.begin():
        await s.execute(update(FastConnectGrant).values(expires_at=utcnow() - timedelta(minutes=3)))
    assert await fast_connect.recover(ctx.deps) == 1
    assert ctx.sandbox.admin.user(bm["email"])["keys"] == []
    assert await accounts.list_accounts(ctx.deps, uid) == []
    assert await fast_connect.recover(ctx.deps) == 0  # idempotent
