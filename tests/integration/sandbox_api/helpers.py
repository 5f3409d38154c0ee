"""Shared helpers for the sandbox API tests: official-SDK clients and hand-signed requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from bitmart.api_account import APIAccount
from bitmart.api_contract import APIContract
from bitmart.lib.cloud_exceptions import APIException

from tests.fixtures.sandbox import SandboxServer


def contract(
    sandbox: SandboxServer, key: dict[str, Any], memo: str | None = None, secret: str | None = None
) -> APIContract:
    return APIContract(
        key["api_key"],
        secret or key["secret_key"],
        key["memo"] if memo is None else memo,
        url=sandbox.base_url,
        timeout=(3, 10),
    )


def account(sandbox: SandboxServer, key: dict[str, Any]) -> APIAccount:
    return APIAccount(key["api_key"], key["secret_key"], key["memo"], url=sandbox.base_url, timeout=(3, 10))


def sdk_error(call: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """Run an SDK call that must fail over HTTP; return (http status, BitMart envelope)."""
    try:
        result = call(*args, **kwargs)
    except APIException as exc:
        return exc.status_code, json.loads(exc.response)
    raise AssertionError(f"expected an HTTP error, got {result!r}")


def sign(secret: str, memo: str, timestamp: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}#{memo}#{payload}".encode(), hashlib.sha256).hexdigest()


def signed_post(
    sandbox: SandboxServer,
    key: dict[str, Any],
    path: str,
    body: dict[str, Any],
    *,
    timestamp: int | None = None,
    memo: str | None = None,
    client: httpx.Client | None = None,
) -> httpx.Response:
    ts = str(timestamp if timestamp is not None else int(time.time() * 1000))
    raw = json.dumps(body)
    headers = {
        "Content-Type": "application/json",
        "X-BM-KEY": key["api_key"],
        "X-BM-TIMESTAMP": ts,
        "X-BM-SIGN": sign(key["secret_key"], key["memo"] if memo is None else memo, ts, raw),
    }
    http = client or httpx.Client(timeout=10)
    try:
        return http.post(sandbox.base_url + path, content=raw, headers=headers)
    finally:
        if client is None:
            http.close()


def new_trader(sandbox: SandboxServer, **key_kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whitelisted user with 10000 USDT in spot and in futures, and one future_trade key."""
    user = sandbox.admin.create_user()
    key = sandbox.admin.create_key(user["email"], **({"memo": "memo1"} | key_kw))
    return user, key
