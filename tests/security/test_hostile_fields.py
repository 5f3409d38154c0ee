"""Every field of every JSON API operation, enumerated from the platform's own OpenAPI (so a new
route is covered the day it lands), sent hostile values one field at a time on a real platform
with a connected sandbox account:

- each numeric field (a decimal string, `DecimalText`, or a whole number) gets overflow, underflow,
  huge exponents, Unicode digits, `1_0`, NaN and an over-long number: a 422 naming the field,
  without the value;
- each other string field gets a marked value: whatever the answer, an error never repeats it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from tests.fixtures.sandbox import SandboxServer
from tests.security.test_every_route import BODIES, KEY

DECIMAL_PATTERN = "[eE][+-]?[0-9]+"  # a piece of DecimalText's pattern
HOSTILE_NUMBERS = [
    "1e-999999999", "1E+999999999", "1e-99999999", "\u0665", "\U0001d7d3", "\uff11\uff10", "1_0", "NaN",
    "9" * 80,
]
CANARY = "Zq7canary<b>x</b>"
SKIP = {
    ("DELETE", "/api/accounts/{account_id}"),  # would disconnect the account the test runs on
}
VALID_QUERY = {"symbol": "BTCUSDT", "client_order_id": "x1", "state": "open", "notice_id": "1"}
EXTRA_BODIES = {
    ("POST", "/api/accounts"): {**KEY, "label": "Main"},
    ("POST", "/api/accounts/inspect"): KEY,
    ("PUT", "/api/notifications/settings"): {"liquidation_pct": "10", "webhook_url": None},
}


def _schema(spec: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in s:
        s = spec["components"]["schemas"][s["$ref"].rsplit("/", 1)[-1]]
    return s


def _kind(spec: dict[str, Any], s: dict[str, Any]) -> str | None:
    """"number" for numeric fields, "string" for other text, None for the rest."""
    s = _schema(spec, s)
    for option in s.get("anyOf", []):
        found = _kind(spec, option)
        if found:
            return found
    if s.get("type") in ("integer", "number") or DECIMAL_PATTERN in s.get("pattern", ""):
        return "number"
    if s.get("type") == "string" and "enum" not in s and s.get("format") != "password":
        return "string"
    return None


def fields(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    """(method, path, where, name, kind) of every top-level field of every operation."""
    for path, ops in spec["paths"].items():
        if not path.startswith("/api") or path.startswith("/api/auth"):
            continue  # signing in and out belongs to tests/security/test_auth_http.py
        for method, op in ops.items():
            if (method.upper(), path) in SKIP:
                continue
            for p in op.get("parameters", []):
                kind = _kind(spec, p.get("schema", {}))
                if kind and p["in"] != "path":
                    yield method.upper(), path, p["in"], p["name"], kind
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for name, s in _schema(spec, body["schema"]).get("properties", {}).items():
                    kind = _kind(spec, s)
                    if kind:
                        yield method.upper(), path, "body", name, kind


async def _send(http: httpx.AsyncClient, spec: dict[str, Any], method: str, path: str, account_id: str,
                where: str, name: str, value: str) -> tuple[int, str]:
    op = spec["paths"][path][method.lower()]
    url = path.format(account_id=account_id, order_id="1", symbol="BTCUSDT", exchange="bitmart")
    params = {p["name"]: VALID_QUERY.get(p["name"], "1") for p in op.get("parameters", [])
              if p["in"] == "query" and p.get("required")}
    body = dict(BODIES.get((method, path)) or EXTRA_BODIES.get((method, path)) or {})
    if where == "query":
        params[name] = value
    else:
        body[name] = value
    kw: dict[str, Any] = {"params": params}
    if "requestBody" in op:
        kw["json"] = body
    async with http.stream(method, url, **kw) as r:  # a stream that opens is closed at once
        text = (await r.aread()).decode() if r.status_code >= 400 else ""
        return r.status_code, text


def _echoes(text: str, value: str) -> bool:
    return value in text or json.dumps(value)[1:-1] in text


async def _connected(
    make_api_user: Any, sandbox: SandboxServer, kind: str
) -> tuple[Any, str, Any, list[Any]]:
    """A user with a connected account, the OpenAPI, and its fields of one kind."""
    user = await make_api_user()
    account_id, _ = await user.connect(sandbox)
    spec = (await user.http.get("/api/openapi.json")).json()
    return user, account_id, spec, [f for f in fields(spec) if f[4] == kind]


async def test_every_numeric_field_refuses_hostile_numbers_by_name(
    make_api_user: Any, sandbox: SandboxServer
) -> None:
    user, account_id, spec, numeric = await _connected(make_api_user, sandbox, "number")
    assert len(numeric) >= 25, numeric  # prices, sizes, leverage, percent, limits, the threshold...
    for method, path, where, name, _kind in numeric:
        for value in HOSTILE_NUMBERS:
            status, text = await _send(user.http, spec, method, path, account_id, where, name, value)
            assert status == 422, (method, path, name, value, status, text[:300])
            error = json.loads(text)["error"]
            assert name in (error["field"] or ""), (method, path, name, error)
            assert not _echoes(text, value), (method, path, name, value, text[:300])
    settings = await user.http.get("/api/notifications/settings")
    assert len(settings.content) < 200 and settings.json()["liquidation_pct"] is None  # nothing stored


async def test_no_error_of_any_field_repeats_what_was_sent(
    make_api_user: Any, sandbox: SandboxServer
) -> None:
    user, account_id, spec, text_fields = await _connected(make_api_user, sandbox, "string")
    assert len(text_fields) >= 40, text_fields
    refused = 0
    for method, path, where, name, _kind in text_fields:
        status, text = await _send(user.http, spec, method, path, account_id, where, name, CANARY)
        assert status < 500, (method, path, name, status, text[:300])
        assert not _echoes(text, "canary"), (method, path, name, text[:300])
        refused += status >= 400
    assert refused >= 30
