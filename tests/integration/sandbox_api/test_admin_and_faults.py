"""The admin API and its CLI, fault injection, and state that survives a restart."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from perpdesk.cli import app as cli_app
from perpdesk.sandbox.context import SandboxConfig
from perpdesk.sandbox.server import serve_sandbox
from tests.fixtures.sandbox import AdminCallError, SandboxServer, free_port
from tests.integration.sandbox_api.helpers import contract, new_trader, sign


def _cli(sandbox: SandboxServer, *args: str) -> Result:
    """The admin CLI in-process (the entry point itself is exercised once, by subprocess)."""
    base = ["sandbox", "admin", "--url", sandbox.base_url, "--token", sandbox.admin_token]
    return CliRunner().invoke(cli_app, [*base, *args])


def test_admin_api_needs_the_token(sandbox: SandboxServer) -> None:
    r = httpx.post(
        sandbox.base_url + "/sandbox-admin/users", json={"email": "x@example.com", "password": "p" * 10}
    )
    assert r.status_code == 401 and r.json()["error"]["field"] == "authorization"
    r = httpx.post(
        sandbox.base_url + "/sandbox-admin/users",
        json={"email": "x@example.com", "password": "p" * 10},
        headers={"Authorization": "Bearer wrong"},
    )
    assert r.status_code == 401


def test_the_identity_clock_only_moves_forward(sandbox: SandboxServer) -> None:
    for bad in ("soon", -1, True, None):
        with pytest.raises(AdminCallError) as info:
            sandbox.admin.advance_identity_clock(bad)  # type: ignore[arg-type]
        assert info.value.status == 400 and info.value.field == "seconds"
        assert str(bad) not in info.value.message
    offset = sandbox.admin.advance_identity_clock(0)["offset_s"]
    assert sandbox.admin.advance_identity_clock(0) == {"offset_s": offset}


def test_admin_errors_name_the_field(sandbox: SandboxServer) -> None:
    with pytest.raises(AdminCallError) as info:
        sandbox.admin.create_user(email="not-an-email")
    assert info.value.status == 400 and info.value.field == "email"
    user = sandbox.admin.create_user()
    with pytest.raises(AdminCallError) as info:
        sandbox.admin.create_key(user["email"], memo="m", ip=["999.0.0.1"])
    assert info.value.field == "ip_whitelist" and "address 1 in the list" in info.value.message
    assert "999.0.0.1" not in info.value.message  # the input is named by position, never echoed
    with pytest.raises(AdminCallError) as info:
        sandbox.admin.create_key("nobody@example.com", memo="m")
    assert info.value.status == 404
    with pytest.raises(AdminCallError) as info:
        sandbox.admin.fault("explode")
    assert info.value.field == "kind"


def test_cli_create_user_key_whitelist_outbox(sandbox: SandboxServer) -> None:
    wrong = CliRunner().invoke(
        cli_app,
        ["sandbox", "admin", "--url", sandbox.base_url, "--token", "no", "whitelist", "--email", "a@b.co"],
    )
    assert wrong.exit_code == 1 and "401" in wrong.output
    r = _cli(
        sandbox,
        "create-user",
        "--email",
        "cli@example.com",
        "--password",
        "cli-password-1",
        "--deposit",
        "USDT=1000",
        "--json",
    )
    assert r.exit_code == 0, r.output
    user = json.loads(r.stdout)
    assert user["email"] == "cli@example.com" and user["uid"].isdigit() and user["totp_secret"]
    assert user["futures_whitelisted"] is False
    r = _cli(
        sandbox,
        "create-key",
        "--email",
        "cli@example.com",
        "--memo",
        "climemo",
        "--permissions",
        "future_trade,spot_trade",
        "--ip",
        "127.0.0.1,127.0.0.2",
        "--json",
    )
    assert r.exit_code == 0, r.output
    key = json.loads(r.stdout)
    assert {"api_key", "secret_key", "memo"} <= key.keys() and key["memo"] == "climemo"
    assert key["permissions"] == ["future_trade", "read", "spot_trade"]
    assert key["ip_whitelist"] == ["127.0.0.1", "127.0.0.2"]
    r = _cli(sandbox, "whitelist", "--email", "cli@example.com", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["futures_whitelisted"] is True
    r = _cli(sandbox, "outbox", "--email", "cli@example.com", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["messages"]
    r = _cli(
        sandbox,
        "create-oauth-client",
        "--name",
        "perpdesk",
        "--redirect-uri",
        "http://127.0.0.1:8000/cb",
        "--redirect-uri",
        "http://localhost:8000/cb",
        "--ip",
        "127.0.0.1",
        "--json",
    )
    assert r.exit_code == 0, r.output
    client = json.loads(r.stdout)
    assert set(client) == {"client_id", "client_secret", "redirect_uris", "ip_whitelist"}
    assert client["redirect_uris"] == ["http://127.0.0.1:8000/cb", "http://localhost:8000/cb"]
    r = _cli(sandbox, "create-key", "--email", "cli@example.com", "--memo", "bad#memo", "--json")
    assert r.exit_code == 1 and "memo" in r.output


def test_cli_fault_and_clear(sandbox: SandboxServer) -> None:
    r = _cli(
        sandbox, "fault", "--kind", "http_error", "--path", "/system/service", "--status", "502", "--json"
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["kind"] == "http_error"
    assert httpx.get(sandbox.base_url + "/system/service").status_code == 502
    r = _cli(sandbox, "fault", "--clear", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["cleared"] == 1
    assert httpx.get(sandbox.base_url + "/system/service").status_code == 200
    r = _cli(sandbox, "fault", "--path", "/system/service")
    assert r.exit_code != 0 and "--kind" in r.output


def test_cli_reads_url_and_token_from_the_environment(sandbox: SandboxServer) -> None:
    env = {"PERPDESK_SANDBOX_ADMIN_TOKEN": sandbox.admin_token, "PERPDESK_SANDBOX_URL": sandbox.base_url}
    args = ["sandbox", "admin", "set-price", "--symbol", "SOLUSDT", "--price", "150", "--json"]
    r = CliRunner().invoke(cli_app, args, env=env)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"symbol": "SOLUSDT", "price": "150"}


def test_fault_latency_error_429_and_drop(sandbox: SandboxServer) -> None:
    url = sandbox.base_url + "/system/service"
    try:
        sandbox.admin.fault("latency", "/system/service", latency_ms=300, times=1)
        start = time.monotonic()
        assert httpx.get(url).status_code == 200
        assert time.monotonic() - start >= 0.3
        sandbox.admin.fault("http_error", "/system/service", status=503, times=1)
        r = httpx.get(url)
        assert (r.status_code, r.json()["code"]) == (503, 30014)
        sandbox.admin.fault("rate_limit", "/system/service", times=1)
        r = httpx.get(url)
        assert (r.status_code, r.json()["code"]) == (429, 30013)
        sandbox.admin.fault("drop", "/system/service", times=1)
        with pytest.raises(httpx.TransportError):
            httpx.get(url)
        assert httpx.get(url).status_code == 200  # times=1: gone again
        sandbox.admin.fault("http_error", "/system/service", status=500)
        assert httpx.get(url).status_code == 500
        assert httpx.get(url).status_code == 500
    finally:
        sandbox.admin.clear_faults()
    assert httpx.get(url).status_code == 200


def test_execute_then_drop_takes_effect(sandbox: SandboxServer) -> None:
    """The client never hears back, but the order exists: it must look it up, not resend."""
    _, key = new_trader(sandbox)
    sdk = contract(sandbox, key)
    sandbox.admin.fault("execute_then_drop", "/contract/private/submit-order", times=1)
    with pytest.raises(Exception) as info:
        sdk.post_submit_order(
            contract_symbol="BTCUSDT",
            client_order_id="lost1",
            side=1,
            type="limit",
            price="1000",
            size=1,
            leverage="5",
            open_type="cross",
        )
    assert "Connection" in type(info.value).__name__ or "connection" in str(info.value).lower()
    open_orders, _ = sdk.get_open_order(contract_symbol="BTCUSDT")
    assert [o["client_order_id"] for o in open_orders["data"]] == ["lost1"]


async def test_state_survives_restart(tmp_path: Path) -> None:
    """In-process servers on one state file: what was acknowledged before the stop is there after."""
    state = str(tmp_path / "restart.sqlite")
    port = free_port()
    auth = {"Authorization": "Bearer tok"}
    first = asyncio.create_task(serve_sandbox(_config(port, state)))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        await _wait_up(http)
        user = (await http.post("/sandbox-admin/users", json=_USER, headers=auth)).json()
        key = (
            await http.post("/sandbox-admin/keys", json={"email": _USER["email"], "memo": "m1"}, headers=auth)
        ).json()
        moved = await _signed(
            http,
            key,
            "/account/v1/transfer-contract",
            {"currency": "USDT", "amount": "40", "type": "spot_to_contract"},
        )
        assert moved.json()["code"] == 1000, moved.text
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    second = asyncio.create_task(serve_sandbox(_config(port, state)))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            await _wait_up(http)
            info = (
                await http.get("/sandbox-admin/user", params={"email": str(_USER["email"])}, headers=auth)
            ).json()
            assert info["uid"] == user["uid"] and info["futures_whitelisted"] is True
            listed = await _signed(http, key, "/account/v1/transfer-contract-list", {"page": 1, "limit": 10})
            assert listed.json()["code"] == 1000, listed.text  # same key, secret and memo
            assert [r["amount"] for r in listed.json()["data"]["records"]] == ["40"]
            assets = await http.get("/contract/private/assets-detail", headers={"X-BM-KEY": key["api_key"]})
            usdt = next(a for a in assets.json()["data"] if a["currency"] == "USDT")
            assert usdt["available_balance"] == "40"
            wrong = await _signed(
                http,
                key | {"secret_key": "0" * 64},
                "/account/v1/transfer-contract-list",
                {"page": 1, "limit": 10},
            )
            assert wrong.json()["code"] == 30005
    finally:
        second.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await second


_USER = {
    "email": "restart@example.com",
    "password": "password-1",
    "whitelisted": True,
    "deposit": {"USDT": "100"},
}


def _config(port: int, state: str) -> SandboxConfig:
    return SandboxConfig(port=port, state_path=state, admin_token="tok", price_interval_s=3600)


async def _wait_up(http: httpx.AsyncClient) -> None:
    for _ in range(200):
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/system/time")).status_code == 200:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("sandbox did not start")


async def _signed(
    http: httpx.AsyncClient, key: dict[str, str], path: str, body: dict[str, object]
) -> httpx.Response:
    raw = json.dumps(body)
    ts = str(int(time.time() * 1000))
    headers = {
        "X-BM-KEY": key["api_key"],
        "X-BM-TIMESTAMP": ts,
        "X-BM-SIGN": sign(key["secret_key"], key["memo"], ts, raw),
    }
    return await http.post(path, content=raw, headers=headers)
