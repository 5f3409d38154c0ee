"""`serve_sandbox` runs inside another program's event loop (the platform's demo does this)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

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
