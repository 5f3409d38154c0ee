"""The sandbox's injected faults on the Binance port, in Binance's shapes, hand-signed against the
real server: 429 -1003, 500 -1000, 503 -1001 (nothing executed), 504 = the backend timeout
(executed, then 408 -1007), drop and execute-then-drop, latency past the recvWindow (-1021).
Every fault here is confined to the test's own key."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.binance import BinanceClient, BinanceSandbox

ORDER = "/fapi/v1/order"


def limit(cid: str) -> dict[str, str]:
    return {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.1", "price": "3000", "newClientOrderId": cid,
            "positionSide": "LONG"}  # a new sandbox user is in hedge mode


@pytest.fixture
def faulty(binance_sandbox: BinanceSandbox) -> Iterator[tuple[BinanceClient, BinanceSandbox]]:
    binance_sandbox.server.admin.set_price("ETHUSDT", "3500")
    client = binance_sandbox.client()
    try:
        yield client, binance_sandbox
    finally:
        binance_sandbox.server.admin.clear_faults(ORDER)


def exists(client: BinanceClient, cid: str) -> bool:
    r = client.signed("GET", ORDER, {"symbol": "ETHUSDT", "origClientOrderId": cid})
    assert r.status_code in (200, 400), r.text
    return r.status_code == 200


@pytest.mark.parametrize(
    ("status", "http", "code", "executed"),
    [(500, 500, -1000, False), (503, 503, -1001, False), (504, 408, -1007, True)],
)
def test_server_errors_in_binance_shapes(
    faulty: tuple[BinanceClient, BinanceSandbox], status: int, http: int, code: int, executed: bool
) -> None:
    client, sandbox = faulty
    key = client.api_key
    sandbox.server.admin.fault("http_error", ORDER, method="POST", status=status, times=1, api_key=key)
    r = client.signed("POST", ORDER, limit(f"f{status}"))
    assert (r.status_code, r.json()["code"]) == (http, code), r.text
    if code == -1007:
        assert r.json()["msg"] == (
            "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
        )
    assert exists(client, f"f{status}") is executed


def test_rate_limit_fault_is_429_minus_1003_with_retry_after(
    faulty: tuple[BinanceClient, BinanceSandbox],
) -> None:
    client, sandbox = faulty
    sandbox.server.admin.fault("rate_limit", ORDER, method="POST", times=1, api_key=client.api_key)
    r = client.signed("POST", ORDER, limit("rl"))
    assert (r.status_code, r.json()["code"], r.headers["retry-after"]) == (429, -1003, "1"), r.text
    assert not exists(client, "rl")


@pytest.mark.parametrize(("kind", "executed"), [("drop", False), ("execute_then_drop", True)])
def test_dropped_connections(faulty: tuple[BinanceClient, BinanceSandbox], kind: str, executed: bool) -> None:
    client, sandbox = faulty
    sandbox.server.admin.fault(kind, ORDER, method="POST", times=1, api_key=client.api_key)
    with pytest.raises(httpx.TransportError):
        client.signed("POST", ORDER, limit(kind.replace("_", "")))
    assert exists(client, kind.replace("_", "")) is executed
    assert f"fault injection: {kind} on {ORDER}" in sandbox.server.log_tail(20_000)  # logged as such


def test_latency_past_the_recv_window_is_refused_when_it_arrives(
    faulty: tuple[BinanceClient, BinanceSandbox],
) -> None:
    client, sandbox = faulty
    key = client.api_key
    sandbox.server.admin.fault("latency", ORDER, method="POST", latency_ms=700, times=2, api_key=key)
    t0 = time.monotonic()
    late = client.signed("POST", ORDER, limit("late"), recv_window=500)
    assert time.monotonic() - t0 >= 0.7
    assert (late.status_code, late.json()["code"]) == (400, -1021), late.text
    in_time = client.signed("POST", ORDER, limit("intime"), recv_window=5000)
    assert in_time.status_code == 200, in_time.text
    assert not exists(client, "late") and exists(client, "intime")


def test_a_faults_method_confines_it(faulty: tuple[BinanceClient, BinanceSandbox]) -> None:
    client, sandbox = faulty
    placed = client.ok("POST", ORDER, limit("m"))
    sandbox.server.admin.fault("http_error", ORDER, method="DELETE", status=500, api_key=client.api_key)
    assert client.signed("GET", ORDER, {"symbol": "ETHUSDT", "orderId": placed["orderId"]}).status_code == 200
    gone = client.signed("DELETE", ORDER, {"symbol": "ETHUSDT", "orderId": placed["orderId"]})
    assert (gone.status_code, gone.json()["code"]) == (500, -1000)
