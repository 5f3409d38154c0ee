"""Hostile values for every parameter of every endpoint the Binance dialect serves: each gets a
Binance error (HTTP 4xx, `{"code", "msg"}`) or an answer, never a server error, and a message
never repeats the value. Rate limits are off on this instance (the test sends thousands)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from perpdesk.sandbox.binance.call import NONE, USER_STREAM
from perpdesk.sandbox.binance.endpoints import ENDPOINTS
from tests.fixtures.binance import BinanceSandbox, start_binance_sandbox

REFERENCE = {
    (r["method"], r["path"]): r
    for r in json.loads((Path(__file__).parent / "binance_reference.json").read_text())
}
HOSTILE = ["9" * 5000, "1e309", "NaN", "-1", "١٢٣", "x" * 5000, "\u0000💥", '[{"a":', "0.0000000000000000001"]


@pytest.fixture(scope="module")
def unlimited() -> Iterator[BinanceSandbox]:
    sandbox = start_binance_sandbox(["--rate-limit-factor", "0"])
    sandbox.server.admin.freeze_prices(True)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def test_hostile_values_never_make_a_server_error(unlimited: BinanceSandbox) -> None:
    client = unlimited.client()
    problems: list[str] = []
    sent = 0
    for endpoint in ENDPOINTS:
        if endpoint.security == USER_STREAM:
            continue
        names = [p["name"] for p in REFERENCE[(endpoint.method, endpoint.path)]["params"]] or ["symbol"]
        for name in names:
            for value in HOSTILE:
                params = {"symbol": "BTCUSDT", name: value}
                if endpoint.security == NONE:
                    r = client.http.request(endpoint.method, client.url + endpoint.path, params=params)
                else:
                    r = client.signed(
                        endpoint.method, endpoint.path, params, in_body=endpoint.method != "GET"
                    )
                sent += 1
                what = f"{endpoint.method} {endpoint.path} {name}={value[:12]!r}"
                if r.status_code >= 500:
                    problems.append(f"{what}: HTTP {r.status_code} {r.text[:160]}")
                elif r.status_code != 200:
                    body = r.json()
                    if set(body) != {"code", "msg"} or body["code"] >= 0:
                        problems.append(f"{what}: {r.text[:160]}")
                    elif len(value) > 3 and value in body["msg"]:
                        problems.append(f"{what}: the message repeats the value")
    assert sent > 1000
    assert not problems, "\n".join(problems[:30])
