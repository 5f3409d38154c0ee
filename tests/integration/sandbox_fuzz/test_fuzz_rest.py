"""Fuzz every REST endpoint the sandbox serves with hostile values, one parameter at a time,
plus missing and extra fields and bodies that are not JSON. Every answer must be a documented
code with its documented HTTP status (or one of the account API's 600xx codes): never a 5xx.
Bounded to a few thousand requests on one keep-alive connection (well under a minute)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from perpdesk.sandbox.api.endpoints import ENDPOINTS, NONE, SIGNED
from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_api.helpers import new_trader
from tests.integration.sandbox_fuzz.hostile import JSON_VALUES, QUERY_VALUES, RAW_BODIES, RAW_QUERIES
from tests.integration.sandbox_reference.reference_docs import error_codes, rest_endpoints

# The account host's own codes (its docs are not in the futures reference): status per code.
ACCOUNT_CODES = {60000: 400, 60002: 400, 60008: 400, 60030: 405}
# Plausible values per parameter name: the fuzzer breaks one at a time, the rest stay sane.
BASE_VALUES: dict[str, Any] = {
    "symbol": "BTCUSDT", "side": 1, "type": "limit", "size": 1, "price": "100", "leverage": "5",
    "open_type": "cross", "mode": 1, "order_id": "1", "client_order_id": "abc1", "timeout": 10,
    "trigger_price": "90000", "executive_price": "89000", "price_way": 1, "price_type": 1,
    "plan_category": 1, "category": "limit", "position_mode": "hedge_mode", "currency": "USDT",
    "amount": "1", "page": 1, "limit": 10, "step": 1, "start_time": 1, "end_time": 2,
    "activation_price": "99000", "callback_rate": "1", "activation_price_type": 1,
    "requestNo": "fuzz", "subAccount": "nobody@example.com", "recvWindow": 5000, "user_id": 1,
    "flow_type": 0, "page_size": 10, "time_start": 1, "time_end": 2, "coin_code": "USDT",
    "from_coin_code": "USDT",
}  # fmt: skip
EXTRA_PARAMS = {
    "/contract/private/close-all-position": ["symbol", "position_side", "contractType"],
    "/contract/private/account/v1/transfer": ["currency", "amount", "type"],
    "/contract/private/auto_repayment": ["start_time", "end_time", "page", "size", "from_coin_code", "type"],
    "/contract/private/cross_collateral/interest_log": ["start_time", "end_time", "page", "coin_code"],
}


def _params_by_path() -> dict[str, list[str]]:
    documented = {e.path: list(e.params) for e in rest_endpoints()}
    out = {}
    for ep in ENDPOINTS:
        out[ep.path] = documented.get(ep.path) or EXTRA_PARAMS.get(ep.path) or ["symbol", "currency", "limit"]
    return out


class Fuzzer:
    def __init__(self, sandbox: SandboxServer, key: dict[str, Any]) -> None:
        self.http = httpx.Client(base_url=sandbox.base_url, timeout=20)
        self.key = key
        self.documented = error_codes() | ACCOUNT_CODES | {1000: 200}
        self.problems: list[str] = []
        self.seen: Counter[tuple[int, int]] = Counter()

    def _headers(self, payload: bytes) -> dict[str, str]:
        ts = str(int(time.time() * 1000))
        msg = ts.encode() + b"#" + self.key["memo"].encode() + b"#" + payload
        sign = hmac.new(self.key["secret_key"].encode(), msg, hashlib.sha256).hexdigest()
        return {"X-BM-KEY": self.key["api_key"], "X-BM-TIMESTAMP": ts, "X-BM-SIGN": sign,
                "Content-Type": "application/json"}  # fmt: skip

    def post(self, path: str, body: bytes, auth: str) -> None:
        headers = self._headers(body) if auth != NONE else {}
        self._check(path, body[:80], self.http.post(path, content=body, headers=headers))

    def get(self, path: str, query: str, auth: str) -> None:
        headers = self._headers(query.encode()) if auth != NONE else {}
        self._check(path, query[:80], self.http.get(path + ("?" + query if query else ""), headers=headers))

    def _check(self, path: str, sent: Any, r: httpx.Response) -> None:
        try:
            doc = r.json()
            code = int(doc["code"])
        except (ValueError, KeyError, TypeError):
            self.problems.append(f"{path} {sent!r}: HTTP {r.status_code}, not an envelope: {r.text[:120]}")
            return
        self.seen[(code, r.status_code)] += 1
        expected = self.documented.get(code)
        if r.status_code >= 500 or expected is None or expected != r.status_code:
            self.problems.append(f"{path} {sent!r}: HTTP {r.status_code} code {code} {doc.get('message')!r}")


def _leave_nothing_behind(fuzz: Fuzzer) -> None:
    """The session's sandbox is shared: cancel what the fuzzer left resting or waiting."""
    for symbol in ("BTCUSDT", "ETHUSDT"):
        body = json.dumps({"symbol": symbol}).encode()
        fuzz.http.post("/contract/private/cancel-orders", content=body, headers=fuzz._headers(body))
        query = "symbol=" + symbol
        plans = fuzz.http.get(
            "/contract/private/current-plan-order?" + query, headers=fuzz._headers(query.encode())
        )
        for plan in plans.json().get("data") or []:
            body = json.dumps({"symbol": symbol, "order_id": str(plan["order_id"])}).encode()
            fuzz.http.post("/contract/private/cancel-plan-order", content=body, headers=fuzz._headers(body))
        trails = fuzz.http.get(
            "/contract/private/get-open-orders?" + query, headers=fuzz._headers(query.encode())
        )
        for order in trails.json().get("data") or []:
            body = json.dumps({"symbol": symbol, "order_id": str(order["order_id"])}).encode()
            fuzz.http.post("/contract/private/cancel-trail-order", content=body, headers=fuzz._headers(body))
        body = json.dumps({"symbol": symbol}).encode()
        fuzz.http.post("/contract/private/close-all-position", content=body, headers=fuzz._headers(body))


def test_fuzz_every_endpoint_never_answers_5xx(sandbox: SandboxServer) -> None:
    sandbox.admin.rate_limits(factor=0, reset=True)
    _, key = new_trader(sandbox)
    fuzz = Fuzzer(sandbox, key)
    started = time.monotonic()
    sent = 0
    try:
        for ep in ENDPOINTS:
            names = _params_by_path()[ep.path]
            base = {n: BASE_VALUES[n] for n in names if n in BASE_VALUES}
            variants: list[dict[str, Any]] = [{}, base, {**base, "unexpected": "field"}]
            variants += [{k: v for k, v in base.items() if k != name} for name in base]  # each one missing
            for name in names:
                values = JSON_VALUES if ep.method == "POST" else QUERY_VALUES
                variants += [{**base, name: value} for value in values]
            for params in variants:
                if ep.method == "POST":
                    fuzz.post(ep.path, json.dumps(params).encode(), ep.auth)
                else:
                    query = urlencode(
                        {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
                    )
                    fuzz.get(ep.path, query, ep.auth)
                sent += 1
            if ep.method == "POST":
                for raw in RAW_BODIES:
                    fuzz.post(ep.path, raw, ep.auth)
                    sent += 1
            else:
                for raw_query in RAW_QUERIES:
                    fuzz.get(ep.path, raw_query, ep.auth)
                    sent += 1
            assert time.monotonic() - started < 120, "fuzzing takes too long"
        # a timestamp header nobody can parse, and a huge recvWindow as text
        fuzz.get("/contract/private/assets-detail", "recvWindow=" + quote("9" * 5000), SIGNED)
        # the account still works after all of it (a huge cancel-all-after used to break it)
        body = b'{"symbol":"BTCUSDT","leverage":"5","open_type":"cross"}'
        r = fuzz.http.post("/contract/private/submit-leverage", content=body, headers=fuzz._headers(body))
        assert r.json()["code"] == 1000, r.text
    finally:
        _leave_nothing_behind(fuzz)
        fuzz.http.close()
        sandbox.admin.rate_limits(factor=1, reset=True)
    print(f"\nfuzzed {sent} requests over {len(ENDPOINTS)} endpoints in {time.monotonic() - started:.1f} s; "
          f"answers (code, HTTP): {sorted(fuzz.seen.items())}")  # fmt: skip
    assert sent > 2000
    # nothing of the fuzzer's stays open on the shared sandbox
    left = httpx.get(
        sandbox.base_url + "/contract/private/get-open-orders", headers={"X-BM-KEY": key["api_key"]}
    ).json()["data"]
    assert left == []
    assert fuzz.problems == [], "\n".join(fuzz.problems[:60]) + f"\n... {len(fuzz.problems)} in all"


def test_fuzz_auth_headers_and_methods(sandbox: SandboxServer) -> None:
    """Hostile X-BM-* headers and wrong methods on every signed endpoint: documented refusals only."""
    _, key = new_trader(sandbox)
    fuzz = Fuzzer(sandbox, key)
    body = b'{"symbol":"BTCUSDT"}'
    good = fuzz._headers(body)
    variants: list[dict[str, str | bytes]] = [
        {},
        {"X-BM-KEY": "x" * 10_000},
        {"X-BM-KEY": b"\xff\xfe"},
        {**good, "X-BM-SIGN": "zz" * 32},
        {**good, "X-BM-SIGN": "a" * 100_000},
        {**good, "X-BM-TIMESTAMP": "-1"},
        {**good, "X-BM-TIMESTAMP": "1e12"},
        {**good, "X-BM-TIMESTAMP": "9" * 5000},
        {**good, "X-BM-TIMESTAMP": b"\xd9\xa1\xd9\xa2"},
        {**good, "Content-Type": "text/plain"},
    ]
    try:
        sandbox.admin.rate_limits(factor=0, reset=True)
        for ep in ENDPOINTS:
            if ep.auth == NONE:
                continue
            for headers in variants:
                raw = {k: v if isinstance(v, bytes) else v.encode() for k, v in headers.items()}
                r = fuzz.http.request(
                    ep.method, ep.path, content=body if ep.method == "POST" else None, headers=raw
                )
                fuzz._check(ep.path, sorted(headers)[:3], r)
            other = "GET" if ep.method == "POST" else "POST"
            fuzz._check(ep.path, other, fuzz.http.request(other, ep.path, headers=good))
    finally:
        fuzz.http.close()
        sandbox.admin.rate_limits(factor=1, reset=True)
    assert sum(fuzz.seen.values()) > 300
    assert fuzz.problems == [], "\n".join(fuzz.problems[:40])
