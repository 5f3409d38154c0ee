"""Hostile input to the sandbox's pages, OAuth server and admin API: never a server error."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_fuzz.hostile import HUGE_DIGITS, JSON_VALUES, RAW_QUERIES

BIG = "a" * (2 * 1024 * 1024)  # 2 MB: over any form field a page accepts

AUTHORIZE_QUERIES = [
    *RAW_QUERIES,
    "client_id=%ff&redirect_uri=%fe&response_type=code",
    "response_type=code&client_id=x&redirect_uri=http://[::1",
    "response_type=code&client_id=x&redirect_uri=" + "h" * 30_000,
    "response_type=code&response_type=token&client_id=x",
    "response_type=code&client_id=x&redirect_uri=http://127.0.0.1/cb&scope=%00&state=%ff%ff",
    "code_challenge=" + "x" * 10_000 + "&code_challenge_method=S256&response_type=code&client_id=x",
    "ip_whitelist=" + "1." * 5000,
]


def _answer_ok(r: httpx.Response, what: str, problems: list[str]) -> None:
    if r.status_code >= 500:
        problems.append(f"{what}: HTTP {r.status_code} {r.text[:120]!r}")


def test_pages_and_oauth_refuse_hostile_input_without_server_errors(sandbox: SandboxServer) -> None:
    problems: list[str] = []
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as client:
        for query in AUTHORIZE_QUERIES:
            _answer_ok(client.get("/oauth/authorize?" + query), f"authorize {query[:60]!r}", problems)
        for path in ("/sign-in", "/sign-up", "/oauth/token", "/sign-in/verify", "/oauth/authorize"):
            for form in ({"email": BIG, "password": "x"}, {"password": BIG}, {"csrf_token": BIG},
                         {"grant_type": BIG, "code": BIG}):  # fmt: skip
                r = client.post(path, data=form)
                _answer_ok(r, f"{path} 2 MB form", problems)
                if r.status_code != 413 and path in ("/sign-in", "/oauth/token"):
                    problems.append(f"{path} 2 MB form: HTTP {r.status_code}, want 413")
            r = client.post(path, files={"email": ("e.txt", BIG.encode())})
            _answer_ok(r, f"{path} multipart", problems)
            r = client.post(
                path,
                content=b"\xff\xfe=\xfd&%zz",
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            _answer_ok(r, f"{path} undecodable form", problems)
    assert problems == [], "\n".join(problems)


def test_admin_api_refuses_hostile_values(sandbox: SandboxServer) -> None:
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    user = sandbox.admin.create_user()
    bodies: list[tuple[str, Any]] = []
    for value in [*JSON_VALUES, "1e999999", "-1e999999"]:
        bodies += [
            ("/price", {"symbol": "BTCUSDT", "price": value}),
            ("/deposit", {"email": user["email"], "amount": value}),
            ("/replay-prices", {"prices": [{"symbol": "BTCUSDT", "price": value}]}),
            ("/rate-limits", {"factor": value}),
            ("/freeze-prices", {"frozen": value}),
            ("/users", {"email": value, "password": value, "deposit": {"USDT": value}}),
            ("/keys", {"email": user["email"], "memo": value, "permissions": value, "ip": value}),
            ("/faults", {"kind": "latency", "path": value, "latency_ms": value, "times": value}),
            ("/sub-accounts", {"email": user["email"], "sub_email": value, "password": value}),
            ("/funding", {"symbol": value}),
        ]
    problems: list[str] = []
    before = sandbox.admin.market()  # some values are valid prices: put the market back after
    with httpx.Client(base_url=sandbox.base_url + "/sandbox-admin", timeout=30, headers=headers) as client:
        try:
            for path, body in bodies:
                r = client.post(path, json=body)
                if r.status_code >= 500 or (r.status_code >= 400 and "error" not in r.json()):
                    problems.append(f"{path} {str(body)[:80]}: HTTP {r.status_code} {r.text[:100]!r}")
            for raw in (b"not json", b"[]", b'{"price": ' + HUGE_DIGITS.encode() + b"}"):
                r = client.post("/price", content=raw, headers={"content-type": "application/json"})
                if r.status_code != 400:
                    problems.append(f"/price {raw[:20]!r}: HTTP {r.status_code}")
            assert float(sandbox.admin.market()["marks"]["BTCUSDT"]) <= 1e12  # nothing absurd got in
        finally:
            client.post("/faults/clear", json={})
            client.post("/rate-limits", json={"factor": 1, "reset": True})
            client.post("/replay-prices", json={"prices": [], "clear": True})
            for symbol, mark in before["marks"].items():
                client.post("/price", json={"symbol": symbol, "price": mark})
            client.post("/freeze-prices", json={"frozen": not before["price_walk"]})
    assert problems == [], "\n".join(problems)
