"""One real platform (subprocess) wired to the real sandbox for the trading pages and JSON API,
and helpers to sign a user up and connect a BitMart account through the platform's own API."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.sandbox import SandboxServer, prices_frozen

PASSWORD = "Trader-Passw0rd-42"
SOL = "SOLUSDT"


@pytest.fixture
def frozen(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """Prices that move only when a test says so: SOLUSDT at 180."""
    with prices_frozen(sandbox, SOL, "180"):
        yield sandbox


@pytest.fixture(scope="session")
def trading_platform(sandbox: SandboxServer) -> Iterator[PlatformServer]:
    # the background settler is off (tested at the service level) so the API test settles by itself
    platform = launch_platform(sandbox, egress_ips="127.0.0.1", order_settle_interval_s=3600, timeout=120)
    try:
        yield platform
    finally:
        platform.stop()


@dataclass
class ApiUser:
    """A signed-in platform user over the JSON API (cookies and the CSRF header kept)."""

    http: httpx.AsyncClient
    email: str

    async def connect(
        self, sandbox: SandboxServer, futures_usdt: str = "10000"
    ) -> tuple[str, dict[str, Any]]:
        """A fresh BitMart (sandbox) user whose key is connected to this platform user."""
        bm = sandbox.admin.create_user(futures_deposit={"USDT": futures_usdt})
        key = sandbox.admin.create_key(bm["email"], memo="memo-" + secrets.token_hex(3))
        r = await self.http.post(
            "/api/accounts",
            json={
                "api_key": key["api_key"],
                "secret": key["secret_key"],
                "passphrase": key["memo"],
                "label": "Main",
            },
        )
        assert r.status_code == 201, r.text
        return str(r.json()["account"]["id"]), key


async def api_user(platform: PlatformServer) -> ApiUser:
    http = httpx.AsyncClient(base_url=platform.url, timeout=20)
    token = (await http.get("/api/auth/csrf")).json()["csrf_token"]
    http.headers["X-CSRF-Token"] = token
    email = f"trader-{secrets.token_hex(4)}@example.com"
    r = await http.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return ApiUser(http, email)


@asynccontextmanager
async def api_users(platform: PlatformServer) -> AsyncIterator[Callable[[], Awaitable[ApiUser]]]:
    """make() signs a new user up on `platform`; their HTTP clients are closed on exit."""
    made: list[ApiUser] = []

    async def make() -> ApiUser:
        user = await api_user(platform)
        made.append(user)
        return user

    try:
        yield make
    finally:
        for u in made:
            await u.http.aclose()


@pytest.fixture
async def make_api_user(trading_platform: PlatformServer) -> AsyncIterator[Any]:
    async with api_users(trading_platform) as make:
        yield make
