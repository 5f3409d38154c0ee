"""The JSON API of the connect flows over real HTTP: the same operations as the pages, scoped to
the signed-in user, CSRF-protected, and never echoing a secret."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from tests.e2e.connect.conftest import PLATFORM_PASSWORD, ConnectEnv


def client(env: ConnectEnv) -> tuple[httpx.Client, dict[str, str]]:
    c = httpx.Client(base_url=env.platform.url, timeout=30)
    tok = c.get("/api/auth/csrf").json()["csrf_token"]
    body = {"email": f"api-{secrets.token_hex(4)}@example.com", "password": PLATFORM_PASSWORD}
    assert c.post("/api/auth/signup", json=body, headers={"X-CSRF-Token": tok}).status_code == 201  # signs in
    return c, {"X-CSRF-Token": tok}


def keep(env: ConnectEnv, r: httpx.Response) -> httpx.Response:
    env.bodies.append((str(r.url), r.content))
    return r


@pytest.fixture
def alice(connect_env: ConnectEnv) -> Any:
    c, h = client(connect_env)
    yield c, h
    c.close()


def test_json_api_flow_and_isolation(connect_env: ConnectEnv, alice: Any) -> None:
    env, (a, ah) = connect_env, alice
    b, bh = client(env)
    user = env.bitmart_user()
    key = env.bitmart_key(user["email"])
    creds = {"api_key": key["api_key"], "secret": key["secret_key"], "passphrase": key["memo"]}

    assert a.get("/api/accounts/ip-whitelist").json() == {
        "ips": ["127.0.0.1", "127.0.0.2"],
        "copy_text": "127.0.0.1,127.0.0.2",
    }
    choices = a.get("/api/accounts/exchanges").json()["choices"]
    assert {(c["name"], c["market"], c["supported"]) for c in choices} == {
        ("Binance", "futures", True),
        ("Binance Spot", "spot", False),
        ("Bitmart", "futures", True),
        ("Bitmart Spot", "spot", False),
    }
    # CSRF: a state-changing call without the token is refused and stores nothing
    assert a.post("/api/accounts", json=creds).status_code == 403
    assert keep(env, a.post("/api/accounts/inspect", json=creds, headers=ah)).json()["verdict"] == "ok"
    r = keep(env, a.post("/api/accounts", json={**creds, "label": "API"}, headers=ah))
    assert r.status_code == 201 and r.json()["message"] == "API key successfully connected"
    acc = r.json()["account"]

    # Bob sees nothing of Alice's and cannot touch it
    assert b.get("/api/accounts").json() == {"accounts": []}
    assert b.get(f"/api/accounts/{acc['id']}").status_code == 404
    assert b.patch(f"/api/accounts/{acc['id']}", json={"label": "mine"}, headers=bh).status_code == 404
    assert b.delete(f"/api/accounts/{acc['id']}", headers=bh).status_code == 404
    assert b.post(f"/api/accounts/{acc['id']}/check", headers=bh).status_code == 404
    assert b.get("/api/accounts/audit-log").json() == {"entries": []}

    bad = keep(
        env,
        a.put(
            f"/api/accounts/{acc['id']}/credentials", json={**creds, "passphrase": "wrong-memo"}, headers=ah
        ),
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_signature"
    key2 = env.bitmart_key(user["email"])
    new = {"api_key": key2["api_key"], "secret": key2["secret_key"], "passphrase": key2["memo"]}
    swapped = keep(env, a.put(f"/api/accounts/{acc['id']}/credentials", json=new, headers=ah))
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["account"]["api_key"].endswith(key2["api_key"][-4:])
    assert (
        a.patch(f"/api/accounts/{acc['id']}", json={"label": "x" * 101}, headers=ah).json()["error"]["field"]
        == "label"
    )
    checked = keep(env, a.post(f"/api/accounts/{acc['id']}/check", headers=ah))
    assert checked.json()["inspection"]["verdict"] == "ok"
    assert a.delete(f"/api/accounts/{acc['id']}", headers=ah).json()["warnings"] == []
    actions = [e["action"] for e in a.get("/api/accounts/audit-log").json()["entries"]]
    assert actions[0] == "account.disconnected" and "account.credentials_replaced" in actions
    for body in (r.content, swapped.content, checked.content):
        assert key["secret_key"].encode() not in body and key2["secret_key"].encode() not in body
    b.close()


def test_unsupported_exchange_and_not_signed_in(connect_env: ConnectEnv, alice: Any) -> None:
    a, ah = alice
    r = a.post(
        "/api/accounts/inspect",
        json={"exchange": "<b>bitmart_spot-x</b>", "api_key": "k", "secret": "s", "passphrase": "p"},
        headers=ah,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "exchange"
    assert "bitmart_spot-x" not in r.text  # the submitted value is never echoed
    anon = httpx.get(connect_env.platform.url + "/api/accounts")
    assert anon.status_code == 401
    page = httpx.get(connect_env.platform.url + "/settings/exchange-accounts", follow_redirects=False)
    assert page.status_code == 303 and "/signin" in page.headers["location"]
