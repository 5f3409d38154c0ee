"""A session's live streams end with it, within a second: sign-out, sign out everywhere, a password
change and a password reset each close the account stream and the market stream at once (the
platform runs with a 15 s heartbeat and a 60 s session re-check, so only the revocation signal
can end them that fast). A session and a user hold only a few streams: the oldest end first."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.sandbox import SandboxServer
from tests.security.mail import RESET_SUBJECT, Outbox, outbox, reset_link, sign_up_by_mail

__all__ = ["outbox"]

PASSWORD = "Stream-Owner-Passphrase-93"
STREAMS = ("/api/live/stream", "/api/live/market/bitmart/BTCUSDT")


@pytest.fixture(scope="module")
def stream_platform(sandbox: SandboxServer, outbox: Outbox) -> Iterator[PlatformServer]:
    platform = launch_platform(
        sandbox, egress_ips="127.0.0.1", order_settle_interval_s=3600, live_session_recheck_s=60,
        smtp_host="127.0.0.1", smtp_port=outbox.port, smtp_security="none", timeout=120,
    )  # fmt: skip
    try:
        yield platform
    finally:
        platform.stop()


async def _browser(platform: PlatformServer) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=platform.url, timeout=20, limits=httpx.Limits(max_connections=200))
    http.headers["X-CSRF-Token"] = (await http.get("/api/auth/csrf")).json()["csrf_token"]
    return http


async def _signed_up(platform: PlatformServer, outbox: Outbox) -> tuple[httpx.AsyncClient, str]:
    http = await _browser(platform)
    email = f"streams-{secrets.token_hex(4)}@example.com"
    await sign_up_by_mail(http, outbox, email, PASSWORD)
    return http, email


async def _signed_in(platform: PlatformServer, email: str, password: str = PASSWORD) -> httpx.AsyncClient:
    http = await _browser(platform)
    r = await http.post("/api/auth/signin", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return http


@asynccontextmanager
async def _open(http: httpx.AsyncClient, url: str) -> AsyncIterator[asyncio.Future[float]]:
    """An open stream; the future resolves (to the loop's clock) when the server ends it."""
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[float] = loop.create_future()
    async with http.stream("GET", url) as r:
        assert r.status_code == 200
        chunks = r.aiter_raw()
        await anext(chunks)  # the first frame: the stream is registered

        async def drain() -> None:
            async for _ in chunks:
                pass
            ended.set_result(loop.time())

        task = asyncio.create_task(drain())
        try:
            yield ended
        finally:
            task.cancel()


async def _ended_within(streams: list[asyncio.Future[float]], since: float, limit: float = 1.0) -> float:
    done = await asyncio.wait_for(asyncio.gather(*streams), timeout=limit + 2)
    took = max(done) - since
    assert took < limit, f"a stream outlived its session by {took:.2f} s"
    return took


@asynccontextmanager
async def _both_streams(http: httpx.AsyncClient) -> AsyncIterator[list[asyncio.Future[float]]]:
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(_open(http, url)) for url in STREAMS]


async def test_sign_out_ends_the_sessions_streams_within_a_second(
    stream_platform: PlatformServer, outbox: Outbox
) -> None:
    http, _ = await _signed_up(stream_platform, outbox)
    async with _both_streams(http) as streams:
        loop = asyncio.get_running_loop()
        assert (await http.post("/api/auth/signout")).status_code == 204
        await _ended_within(streams, loop.time())
    await http.aclose()


async def test_sign_out_everywhere_ends_the_other_sessions_streams(
    stream_platform: PlatformServer, outbox: Outbox
) -> None:
    here, email = await _signed_up(stream_platform, outbox)
    there = await _signed_in(stream_platform, email)
    async with _both_streams(there) as theirs, _open(here, STREAMS[0]) as mine:
        loop = asyncio.get_running_loop()
        r = await here.post("/profile/signout-others", headers={"Accept": "text/html"})
        assert r.status_code == 303
        await _ended_within(theirs, loop.time())
        await asyncio.sleep(0.3)
        assert not mine.done()  # the session that asked keeps its stream
    for http in (here, there):
        await http.aclose()


async def test_a_password_change_ends_the_other_sessions_streams(
    stream_platform: PlatformServer, outbox: Outbox
) -> None:
    here, email = await _signed_up(stream_platform, outbox)
    there = await _signed_in(stream_platform, email)
    async with _both_streams(there) as theirs:
        loop = asyncio.get_running_loop()
        change = {"current_password": PASSWORD, "new_password": "Another-Stream-Passphrase-58"}
        assert (await here.post("/api/auth/password", json=change)).status_code == 204
        await _ended_within(theirs, loop.time())
    for http in (here, there):
        await http.aclose()


async def test_a_password_reset_ends_every_sessions_streams(
    stream_platform: PlatformServer, outbox: Outbox
) -> None:
    http, email = await _signed_up(stream_platform, outbox)
    asker = await _browser(stream_platform)
    assert (await asker.post("/api/auth/password/forgot", json={"email": email})).status_code == 202
    token = reset_link(await outbox.wait_for(email, subject=RESET_SUBJECT)).split("token=", 1)[1]
    async with _both_streams(http) as streams:
        loop = asyncio.get_running_loop()
        reset = {"token": token, "new_password": "Reset-Stream-Passphrase-71"}
        assert (await asker.post("/api/auth/password/reset", json=reset)).status_code == 204
        await _ended_within(streams, loop.time())
    for c in (http, asker):
        await c.aclose()


async def test_streams_are_capped_per_session_and_per_user_oldest_first(
    stream_platform: PlatformServer, outbox: Outbox
) -> None:
    first, email = await _signed_up(stream_platform, outbox)
    sessions = [first] + [await _signed_in(stream_platform, email) for _ in range(3)]
    async with AsyncExitStack() as stack:
        opened = [await stack.enter_async_context(_open(first, STREAMS[0])) for _ in range(30)]
        await asyncio.sleep(0.5)
        assert [f.done() for f in opened] == [True] * 24 + [False] * 6  # 6 per session, the newest
        for http in sessions[1:]:  # 3 more sessions of 6 each: 24 > 20 per user
            opened += [await stack.enter_async_context(_open(http, STREAMS[0])) for _ in range(6)]
        await asyncio.sleep(0.5)
        still = [f for f in opened if not f.done()]
        assert len(still) == 20 and still == opened[-20:]
        started = time.perf_counter()
        assert (await first.get("/api/health")).status_code == 200
        health_s = time.perf_counter() - started
        assert health_s < 0.5, f"/api/health took {health_s:.2f} s with the streams open"
    for http in sessions:
        await http.aclose()
