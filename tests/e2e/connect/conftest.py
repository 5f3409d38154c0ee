"""The demo setup for the connect flows: the real sandbox and the real platform (subprocess) with
Fast Connect registered at the sandbox, the platform's IP list, and fast whitelist re-checks.

Every secret a test creates is registered in `env.secrets`; every response the browser got from
the platform is kept, and tests/e2e/connect/test_zz_no_secrets.py checks, after the flows, that
no secret appears in any of them, in the platform's database file or in its log.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.helpers import Screenshots, sign_up_in_browser
from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.procs import free_port
from tests.fixtures.sandbox import SandboxServer

PLATFORM_PASSWORD = "Platform-Passw0rd-42"
EGRESS_IPS = "127.0.0.1,127.0.0.2"


@dataclass
class ConnectEnv:
    sandbox: SandboxServer
    platform: PlatformServer
    oauth: dict[str, Any]
    secrets: set[str] = field(default_factory=set)
    bodies: list[tuple[str, bytes]] = field(default_factory=list)  # (url, body) from the platform

    def remember(self, key: dict[str, Any]) -> dict[str, Any]:
        self.secrets.update({key["secret_key"], key["memo"]})
        return key

    def bitmart_user(self, **kw: Any) -> dict[str, Any]:
        kw.setdefault("password", "Sandbox-Passw0rd!")
        return self.sandbox.admin.create_user(**kw)

    def bitmart_key(self, email: str, **kw: Any) -> dict[str, Any]:
        kw.setdefault("memo", "memo-" + secrets.token_hex(4))
        kw.setdefault("ip", tuple(EGRESS_IPS.split(",")))
        return self.remember(self.sandbox.admin.create_key(email, **kw))

    def db_counts(self, platform: PlatformServer | None = None) -> dict[str, int]:
        """Rows the platform holds, straight from its SQLite file (read-only)."""
        p = platform or self.platform
        path = p.database_url.split("///", 1)[1]
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return {
                t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("exchange_accounts", "sealed_secrets", "fast_connect_grants")
            }
        finally:
            con.close()


def _start(sandbox: SandboxServer, name: str, **extra: Any) -> tuple[PlatformServer, dict[str, Any]]:
    port = free_port()
    redirect_uris = [
        f"http://127.0.0.1:{port}{p}"
        for p in ("/accounts/fast-connect/callback", "/settings/exchange-accounts/fast-connect/callback")
    ]
    oauth = sandbox.admin.create_oauth_client(name, redirect_uris, EGRESS_IPS.split(","))
    platform = launch_platform(
        sandbox,
        port=port,
        egress_ips=EGRESS_IPS,
        fast_connect_client_id=oauth["client_id"],
        fast_connect_client_secret=oauth["client_secret"],
        whitelist_recheck_base_s=0.5,
        whitelist_recheck_max_s=2,
        whitelist_watch_interval_s=0.3,
        log_level="DEBUG",
        **extra,
    )
    return platform, oauth


@pytest.fixture(scope="session")
def connect_env(sandbox: SandboxServer) -> Iterator[ConnectEnv]:
    platform, oauth = _start(sandbox, "perpdesk")
    env = ConnectEnv(sandbox, platform, oauth)
    # the platform's own secrets are checked too: its OAuth client secret and its users' password
    env.secrets.update({oauth["client_secret"], PLATFORM_PASSWORD})
    try:
        yield env
    finally:
        platform.stop()


@pytest.fixture
def short_grant_platform(connect_env: ConnectEnv) -> Iterator[PlatformServer]:
    """A second platform whose Fast Connect grants expire after 3 seconds (the timeout case)."""
    platform, _ = _start(connect_env.sandbox, "perpdesk-short", fast_connect_ttl_s=3)
    try:
        yield platform
    finally:
        connect_env.bodies.append(("log:" + platform.url, platform.log_path.read_bytes()))
        platform.stop()


@pytest.fixture
async def watched(page: Any, connect_env: ConnectEnv) -> AsyncIterator[Any]:
    """The test's page, with every platform response body kept for the secrets check."""
    responses: list[Any] = []
    page.context.on("response", lambda r: responses.append(r))
    yield page
    for r in responses:
        if "/static/" in r.url or r.url.startswith(connect_env.sandbox.base_url):
            continue
        try:
            body = await asyncio.wait_for(r.body(), 5)
        except Exception:  # redirects and aborted loads have no body
            continue
        connect_env.bodies.append((r.url, body))


async def platform_sign_up(page: Any, base: str) -> str:
    """A fresh platform user, signed in inside the page's browser context."""
    email, _ = await sign_up_in_browser(page, base, PLATFORM_PASSWORD)
    return email


async def platform_accounts(page: Any, base: str) -> list[dict[str, Any]]:
    r = await page.request.get(base + "/api/accounts")
    assert r.status == 200
    return list((await r.json())["accounts"])


Steps = Screenshots  # test-artifacts/connect/<test>/<NN>-<step>.png


@pytest.fixture
def steps(request: pytest.FixtureRequest) -> Steps:
    return Steps("connect", request.node.name)
