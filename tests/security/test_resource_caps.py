"""What one user can make the platform hold is bounded: request bodies are capped (413, declared or
chunked), stored settings have bounded lengths (a 422 naming the field), settings writes are
throttled per user, and no single request, the hostile numbers and a maximal body included, raises
the server's peak memory (VmHWM, Linux) by more than a few MB. A real platform with the real limits."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from perpdesk.web.body_limit import MAX_BODY_BYTES
from tests.fixtures.platform import PlatformServer, launch_platform

PASSWORD = "correct-horse-battery-9"
HOSTILE = ["1e-999999999", "1e-99999999", "1E+999999999", "\u0665", "\U0001d7d3", "\uff11\uff10"]
SETTINGS = "/api/notifications/settings"


@pytest.fixture(scope="module")
def capped() -> Iterator[PlatformServer]:
    server = launch_platform(rate_limit_factor=1)
    yield server
    server.stop()


async def _user(platform: PlatformServer) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=platform.url, timeout=30)
    c.headers["X-CSRF-Token"] = (await c.get("/api/auth/csrf")).json()["csrf_token"]
    r = await c.post("/api/auth/signup", json={"email": f"c{secrets.token_hex(5)}@example.com",
                                               "password": PASSWORD})
    assert r.status_code == 201, r.text
    return c


@pytest.fixture
async def user(capped: PlatformServer) -> AsyncIterator[httpx.AsyncClient]:
    c = await _user(capped)
    yield c
    await c.aclose()


def _peak_kib(platform: PlatformServer) -> int:
    for line in Path(f"/proc/{platform.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


async def test_hostile_numbers_and_maximal_bodies_cost_no_memory(
    capped: PlatformServer, user: httpx.AsyncClient
) -> None:
    maximal = "9" * (MAX_BODY_BYTES - 40)

    async def hostile_round(user: httpx.AsyncClient) -> None:  # 14 settings writes: under the limit
        for value in HOSTILE:
            r = await user.put(SETTINGS, json={"liquidation_pct": value})
            assert r.status_code == 422 and r.json()["error"]["field"] == "liquidation_pct", r.text
            r = await user.post("/settings/notifications", data={"liquidation_pct": value})
            assert r.status_code == 422, r.status_code
        r = await user.put(SETTINGS, json={"liquidation_pct": maximal})
        assert r.status_code == 422 and len(r.content) < 2000
        r = await user.post("/api/notifications/read", json={"ids": [maximal[:60]] * 900})
        assert r.status_code == 422

    await hostile_round(user)  # warm: code paths loaded, the allocator's arenas in place
    before = _peak_kib(capped)
    for _ in range(2):
        other = await _user(capped)
        try:
            await hostile_round(other)
        finally:
            await other.aclose()
    grown = _peak_kib(capped) - before
    assert grown < 4096, f"peak resident memory grew by {grown} KiB"
    r = await user.get(SETTINGS)
    assert r.json()["liquidation_pct"] is None and len(r.content) < 200  # nothing was stored


async def test_bodies_over_the_cap_are_refused(user: httpx.AsyncClient) -> None:
    big = b'{"ids": ["' + b"a" * MAX_BODY_BYTES + b'"]}'
    json_type = {"content-type": "application/json"}
    r = await user.post("/api/notifications/read", content=big, headers=json_type)
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for i in range(0, len(big), 8192):
            yield big[i:i + 8192]

    r = await user.post("/api/notifications/read", content=chunks(), headers=json_type)
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    r = await user.post("/settings/notifications", data={"webhook_url": "a" * MAX_BODY_BYTES})
    assert r.status_code == 413
    assert (await user.get(SETTINGS)).status_code == 200  # the user is still served


@pytest.mark.parametrize(
    ("field", "value"),
    [("webhook_url", "https://example.com/" + "a" * 500), ("liquidation_pct", "1" + "0" * 70)],
)
async def test_stored_settings_have_bounded_lengths(
    user: httpx.AsyncClient, field: str, value: str
) -> None:
    r = await user.put(SETTINGS, json={field: value})
    assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
    assert value not in r.text


async def test_settings_writes_are_throttled_per_user(
    capped: PlatformServer, user: httpx.AsyncClient
) -> None:
    statuses = [(await user.put(SETTINGS, json={"liquidation_pct": "10"})).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    r = await user.put(SETTINGS, json={"liquidation_pct": "11"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.json()["error"]["code"] == "too_many_attempts"
    other = await _user(capped)
    try:
        assert (await other.put(SETTINGS, json={"liquidation_pct": "10"})).status_code == 200
    finally:
        await other.aclose()
