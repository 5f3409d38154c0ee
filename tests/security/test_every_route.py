"""Checks over every route of the platform, enumerated from the app itself so a new route is
covered the day it lands: each state-changing one refuses a request without the CSRF token or
from another origin; each one under an account id answers another user's account with 404 and
changes nothing."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.sandbox import SandboxServer

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
KEY = {"api_key": "k" * 24, "secret": "s" * 64, "passphrase": "memo-1"}
TICKET = {"symbol": "BTCUSDT", "side": "buy", "type": "limit", "size": "1", "price": "100"}
BODIES = {  # a valid body per route, so a refusal is the owner check and not input validation
    ("PATCH", "/api/accounts/{account_id}"): {"label": "mine now"},
    ("PUT", "/api/accounts/{account_id}/credentials"): KEY,
    ("POST", "/api/accounts/{account_id}/orders"): TICKET,
    ("PATCH", "/api/accounts/{account_id}/orders/{order_id}"): {"symbol": "BTCUSDT", "price": "101"},
    ("POST", "/api/accounts/{account_id}/leverage"): {
        "symbol": "BTCUSDT",
        "leverage": "5",
        "margin_mode": "cross",
    },
    ("POST", "/api/accounts/{account_id}/positions/close"): {"symbol": "BTCUSDT", "side": "long"},
    ("POST", "/api/accounts/{account_id}/tp-sl"): {"symbol": "BTCUSDT", "side": "long", "stop_loss": "90"},
    ("POST", "/accounts/{account_id}/trade/orders"): {**TICKET, "time_in_force": "gtc"},
    ("POST", "/accounts/{account_id}/trade/orders/cancel"): {"symbol": "BTCUSDT", "order_id": "1"},
    ("POST", "/accounts/{account_id}/trade/orders/amend"): {
        "symbol": "BTCUSDT",
        "order_id": "1",
        "price": "2",
    },
    ("POST", "/accounts/{account_id}/trade/positions/close"): {"symbol": "BTCUSDT", "side": "long"},
    ("POST", "/accounts/{account_id}/trade/leverage"): {
        "symbol": "BTCUSDT",
        "leverage": "5",
        "margin_mode": "cross",
    },
    ("POST", "/accounts/{account_id}/trade/tp-sl"): {"symbol": "BTCUSDT", "side": "long", "stop_loss": "90"},
    ("POST", "/api/accounts/{account_id}/plan-orders"): {
        "symbol": "BTCUSDT", "side": "buy", "size": "1", "trigger_price": "90", "leverage": "5",
    },
    ("POST", "/api/accounts/{account_id}/trail-orders"): {
        "symbol": "BTCUSDT", "side": "sell_close_long", "size": "1", "activation_price": "110",
        "callback_rate": "1", "leverage": "5",
    },
    ("PATCH", "/api/accounts/{account_id}/conditional-orders/{order_id}"): {
        "symbol": "BTCUSDT", "trigger_price": "95",
    },
    ("POST", "/api/accounts/{account_id}/orders/cancel-all"): {"symbol": "BTCUSDT"},
    ("POST", "/api/accounts/{account_id}/positions/close-percent"): {
        "symbol": "BTCUSDT", "side": "long", "percent": "50",
    },
    ("PUT", "/api/accounts/{account_id}/position-mode"): {"mode": "hedge"},
}


def _walk(routes: Any) -> Iterator[tuple[str, str]]:
    for route in routes:
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                yield method, route.path
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            yield from _walk(inner.routes)


@pytest.fixture(scope="module")
def routes() -> list[tuple[str, str]]:
    """(method, path) of every route of a fully configured app, built in-process."""
    from perpdesk.settings import load_settings
    from perpdesk.web.app import create_app

    settings = load_settings(
        data_dir=tempfile.mkdtemp(prefix="perpdesk-routes-"),
        master_key=base64.b64encode(os.urandom(32)).decode(),
    )
    found = sorted(set(_walk(create_app(settings).routes)))
    assert len(found) > 40
    return found


def _url(path: str, account_id: str) -> str:
    filled = path.format(account_id=account_id, order_id="1", symbol="BTCUSDT", exchange="bitmart", count="1")
    return filled + "?symbol=BTCUSDT&client_order_id=x1"


def _send(http: Any, method: str, path: str, account_id: str, **kw: Any) -> Any:
    body = BODIES.get((method, path))
    if body is not None:
        kw["json" if path.startswith("/api") else "data"] = body
    return http.request(method, _url(path, account_id), **kw)


async def test_every_state_changing_route_needs_the_csrf_token_and_our_origin(
    make_api_user: Any, sandbox: SandboxServer, routes: list[tuple[str, str]]
) -> None:
    user = await make_api_user()
    account_id, _ = await user.connect(sandbox)
    token = user.http.headers.pop("X-CSRF-Token")
    checked = 0
    for method, path in routes:
        if method not in STATE_CHANGING:
            continue
        r = await _send(user.http, method, path, account_id)
        assert r.status_code == 403 and "CSRF" in r.text, (method, path, r.status_code)
        r = await _send(
            user.http, method, path, account_id, headers={"X-CSRF-Token": token, "Origin": "null"}
        )
        assert r.status_code == 403, (method, path, r.status_code)
        checked += 1
    assert checked >= 35
    user.http.headers["X-CSRF-Token"] = token
    assert (await user.http.get(f"/api/accounts/{account_id}")).status_code == 200  # untouched


async def test_another_users_account_is_404_on_every_route(
    make_api_user: Any, sandbox: SandboxServer, routes: list[tuple[str, str]]
) -> None:
    alice = await make_api_user()
    account_id, _ = await alice.connect(sandbox)
    r = await alice.http.patch(f"/api/accounts/{account_id}", json={"label": "alice-desk-7f3"})
    assert r.status_code == 200
    before = (await alice.http.get(f"/api/accounts/{account_id}")).json()
    bob = await make_api_user()
    await bob.connect(sandbox)  # bob has an account of his own: ids are not simply unknown
    checked = 0
    for method, path in routes:
        if "{account_id}" not in path:
            continue
        r = await _send(bob.http, method, path, account_id)
        assert r.status_code == 404, (method, path, r.status_code, r.text[:300])
        assert before["label"] not in r.text, (method, path)
        checked += 1
    assert checked >= 20
    after = (await alice.http.get(f"/api/accounts/{account_id}")).json()
    assert after == before
    intents = await alice.http.get(f"/api/accounts/{account_id}/orders", params={"state": "intents"})
    assert intents.json()["intents"] == []
