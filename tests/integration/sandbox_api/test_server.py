"""`serve_sandbox` runs inside another program's event loop (the platform's demo does this)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from perpdesk.sandbox.app import create_app
from perpdesk.sandbox.context import SandboxConfig
from perpdesk.sandbox.server import serve_sandbox
from tests.fixtures.sandbox import free_port


async def test_serve_in_the_running_loop_and_stop_on_cancel(tmp_path: object) -> None:
    port = free_port()
    config = SandboxConfig(port=port, state_path=":memory:", admin_token="t0ken", price_interval_s=3600)
    task = asyncio.create_task(serve_sandbox(config))
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        for _ in range(100):
            with contextlib.suppress(httpx.TransportError):
                r = await client.get("/system/time")
                if r.status_code == 200:
                    break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("sandbox did not start in the running loop")
        assert r.json()["code"] == 1000
        admin = await client.post(
            "/sandbox-admin/users",
            json={"email": "loop@example.com", "password": "password-1"},
            headers={"Authorization": "Bearer t0ken"},
        )
        assert admin.status_code == 200, admin.text
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    async with httpx.AsyncClient(base_url=url, timeout=1) as client:
        try:
            await client.get("/system/time")
        except httpx.TransportError:
            pass
        else:
            raise AssertionError("the port is still served after cancellation")


async def test_whitelist_requests_are_approved_in_the_background() -> None:
    """With --auto-whitelist-after, a pending request is approved (and the email sent) on time,
    even if nothing asks about the account."""
    port = free_port()
    config = SandboxConfig(port=port, admin_token="tok", price_interval_s=3600, auto_whitelist_after=0.2)
    app = create_app(config)
    task = asyncio.create_task(serve_sandbox(config, app))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/system/time")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            auth = {"Authorization": "Bearer tok"}
            user = (
                await client.post(
                    "/sandbox-admin/users",
                    json={"email": "wl@example.com", "password": "password-1"},
                    headers=auth,
                )
            ).json()
            assert app.ctx is not None
            app.ctx.identity.request_whitelist(user["uid"], "wl@example.com", "@wl")
            for _ in range(40):
                await asyncio.sleep(0.05)
                if app.ctx.identity.outbox("wl@example.com"):
                    break
            outbox = (
                await client.get("/sandbox-admin/outbox", params={"email": "wl@example.com"}, headers=auth)
            ).json()
            assert [m["subject"] for m in outbox["messages"]] == ["BitMart Futures API whitelisting approved"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
