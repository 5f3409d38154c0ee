"""Error answers name the field and the problem; they never repeat what was sent (it may be a
pasted secret, or markup meant to be reflected)."""

from __future__ import annotations

from typing import Any

from tests.fixtures.sandbox import SandboxServer

CANARY = "Zq7canary<b>x</b>"


def _refused_without_echo(r: Any, field: str) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert "canary" not in r.text, r.text
    assert field in r.text, r.text


async def test_json_api_errors_never_echo_the_value(make_api_user: Any, sandbox: SandboxServer) -> None:
    user = await make_api_user()
    account_id, _ = await user.connect(sandbox)
    key = {"api_key": "k" * 20, "secret": "s" * 20, "passphrase": "memo1"}
    for path in ("/api/accounts", "/api/accounts/inspect"):
        r = await user.http.post(path, json={**key, "exchange": CANARY})
        _refused_without_echo(r, "exchange")
    r = await user.http.post("/api/fast-connect/start", json={"exchange": CANARY})
    _refused_without_echo(r, "exchange")
    base = f"/api/accounts/{account_id}"
    r = await user.http.get(base + "/orders", params={"state": CANARY})
    _refused_without_echo(r, "state")
    ticket = {"symbol": "BTCUSDT", "side": "buy", "type": "limit", "size": "1", "price": "100"}
    for field in ("symbol", "side", "type", "time_in_force", "margin_mode", "size", "price"):
        r = await user.http.post(base + "/orders", json={**ticket, field: CANARY})
        _refused_without_echo(r, field)
    r = await user.http.post(base + "/positions/close", json={"symbol": "BTCUSDT", "side": CANARY})
    _refused_without_echo(r, "side")
    r = await user.http.post(
        base + "/leverage", json={"symbol": CANARY, "leverage": "5", "margin_mode": "cross"}
    )
    _refused_without_echo(r, "symbol")


async def test_sign_in_and_sign_up_errors_never_echo_the_password(make_api_user: Any) -> None:
    user = await make_api_user()
    r = await user.http.post("/api/auth/signin", json={"email": user.email, "password": CANARY})
    _refused_without_echo(r, "password")
    r = await user.http.post("/api/auth/signup", json={"email": CANARY, "password": CANARY})
    _refused_without_echo(r, "email")
    r = await user.http.post("/signin", data={"email": user.email, "password": CANARY})
    _refused_without_echo(r, "assword")
