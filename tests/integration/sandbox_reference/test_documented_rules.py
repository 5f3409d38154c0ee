"""Documented behaviours beyond the response shapes: cancel-order by symbol, the transfer
endpoints' recvWindow default, timestamp format, assets rows, sub-accounts."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_api.helpers import new_trader, signed_post
from tests.integration.sandbox_reference.client import RawClient

SUB = "/account/contract/sub-account/"


def _client(sandbox: SandboxServer, key: dict[str, Any]) -> RawClient:
    return RawClient(sandbox.base_url, key)


def test_cancel_order_with_only_symbol_cancels_all_of_the_symbol(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    c = _client(sandbox, key)
    try:
        for symbol, price in (("BTCUSDT", "1000"), ("BTCUSDT", "1001"), ("ETHUSDT", "100")):
            c.ok(
                "POST",
                "/contract/private/submit-order",
                {
                    "symbol": symbol,
                    "side": 1,
                    "type": "limit",
                    "price": price,
                    "size": 1,
                    "leverage": "5",
                    "open_type": "cross",
                },
            )
        assert c.ok("POST", "/contract/private/cancel-order", {"symbol": "BTCUSDT"}) == {}
        left = c.ok("GET", "/contract/private/get-open-orders", {})
        assert [o["symbol"] for o in left] == ["ETHUSDT"]
    finally:
        c.close()


def test_transfer_endpoints_default_recv_window_is_5000_ms(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    ten_s_ago = int(time.time() * 1000) - 10_000
    r = signed_post(
        sandbox, key, "/account/v1/transfer-contract-list", {"page": 1, "limit": 10}, timestamp=ten_s_ago
    )
    assert (r.status_code, r.json()["code"]) == (401, 30007) and "recvWindow" in r.json()["message"]
    body = {"currency": "USDT", "amount": "1", "type": "contract_to_spot"}
    r = signed_post(sandbox, key, "/account/v1/transfer-contract", body, timestamp=ten_s_ago)
    assert (r.status_code, r.json()["code"]) == (401, 30007)
    # an explicit recvWindow widens it; futures endpoints keep the general one-minute window
    r = signed_post(
        sandbox, key, "/account/v1/transfer-contract", {**body, "recvWindow": 20_000}, timestamp=ten_s_ago
    )
    assert r.json()["code"] == 1000, r.text
    r = signed_post(
        sandbox,
        key,
        "/contract/private/submit-leverage",
        {"symbol": "BTCUSDT", "leverage": "5", "open_type": "cross"},
        timestamp=ten_s_ago,
    )
    assert r.json()["code"] == 1000, r.text


def test_timestamp_format_and_huge_recv_window(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    for bad in ("soon", "12.5", "-5", "9" * 5000):
        r = signed_post(
            sandbox,
            key,
            "/contract/private/submit-leverage",
            {"symbol": "BTCUSDT", "leverage": "5", "open_type": "cross"},
            timestamp=bad,
        )  # type: ignore[arg-type]
        assert (r.status_code, r.json()["code"]) == (401, 30008), (bad[:10], r.text)
    for window in ("9" * 5000, 10**30, "²"):
        r = signed_post(
            sandbox, key, "/account/v1/transfer-contract-list", {"page": 1, "limit": 10, "recvWindow": window}
        )
        assert r.status_code < 500 and r.json()["code"] in (30007, 40007, 60000), r.text


def test_assets_detail_lists_usdt_btc_eth(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    c = _client(sandbox, key)
    try:
        rows = c.ok("GET", "/contract/private/assets-detail")
        assert [r["currency"] for r in rows] == ["USDT", "BTC", "ETH"]
        assert rows[0]["equity"] != "0" and rows[1]["equity"] == "0"
    finally:
        c.close()


def test_sub_account_transfers_move_futures_balances(sandbox: SandboxServer) -> None:
    main_user, main_key = new_trader(sandbox)
    sub_user = sandbox.admin.create_sub_account(main_user["email"])
    stranger, _ = new_trader(sandbox)
    sub_key = sandbox.admin.create_key(sub_user["email"], memo="sub-memo")
    main, sub = _client(sandbox, main_key), _client(sandbox, sub_key)
    try:

        def usdt(c: RawClient) -> str:
            return str(c.ok("GET", "/contract/private/assets-detail")[0]["available_balance"])

        assert usdt(sub) == "0"
        assert main.ok("GET", SUB + "main/v1/wallet", {"subAccount": sub_user["email"]}) == {"wallet": []}
        request_no = str(uuid.uuid4())
        main.ok(
            "POST",
            SUB + "main/v1/main-to-sub",
            {"requestNo": request_no, "amount": "25", "currency": "USDT", "subAccount": sub_user["email"]},
        )
        assert usdt(sub) == "25"
        wallet = main.ok("GET", SUB + "main/v1/wallet", {"subAccount": sub_user["email"]})["wallet"]
        assert wallet == [{"currency": "USDT", "name": "USDT", "available": "25", "frozen": "0"}]
        sub.ok(
            "POST",
            SUB + "sub/v1/sub-to-main",
            {"requestNo": str(uuid.uuid4()), "amount": "5", "currency": "USDT"},
        )
        main.ok(
            "POST",
            SUB + "main/v1/sub-to-main",
            {
                "requestNo": str(uuid.uuid4()),
                "amount": "5",
                "currency": "USDT",
                "subAccount": sub_user["email"],
            },
        )
        assert usdt(sub) == "15"
        history = sub.ok("GET", SUB + "v1/transfer-history", {"limit": 10})
        assert [(h["fromAccount"], h["toAccount"], h["amount"]) for h in history] == [
            (sub_user["email"], main_user["email"], "5"),
            (sub_user["email"], main_user["email"], "5"),
            (main_user["email"], sub_user["email"], "25"),
        ]
        listed = main.ok("GET", SUB + "main/v1/transfer-list", {"subAccount": sub_user["email"], "limit": 1})
        assert len(listed) == 1 and listed[0]["submissionTime"] < 10**11  # seconds
        # a used requestNo, a stranger's account, more than the sub holds, non-USDT: refused, nothing moves
        for body in (
            {"requestNo": request_no, "amount": "1", "currency": "USDT", "subAccount": sub_user["email"]},
            {
                "requestNo": str(uuid.uuid4()),
                "amount": "1",
                "currency": "USDT",
                "subAccount": stranger["email"],
            },
            {
                "requestNo": str(uuid.uuid4()),
                "amount": "1",
                "currency": "BTC",
                "subAccount": sub_user["email"],
            },
        ):
            status, doc = main.call("POST", SUB + "main/v1/main-to-sub", body)
            assert status == 400 and doc["code"] in (60000, 60002), doc
        status, doc = main.call(
            "POST",
            SUB + "main/v1/sub-to-main",
            {
                "requestNo": str(uuid.uuid4()),
                "amount": "1000",
                "currency": "USDT",
                "subAccount": sub_user["email"],
            },
        )
        assert status == 400 and doc["code"] == 40027
        status, doc = main.call(
            "POST",
            SUB + "sub/v1/sub-to-main",
            {"requestNo": str(uuid.uuid4()), "amount": "1", "currency": "USDT"},
        )
        assert status == 400 and "main account" in doc["message"]
        assert usdt(sub) == "15"
        assert sub.ok("GET", "/uapi-key/v1/account/info")["account_type"] == "sub"
        assert main.ok("GET", "/uapi-key/v1/account/info")["account_type"] == "main"
    finally:
        main.close()
        sub.close()


def test_account_parameter(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    c = _client(sandbox, key)
    try:
        c.ok(
            "POST",
            "/contract/private/submit-order",
            {
                "symbol": "BTCUSDT",
                "side": 1,
                "type": "market",
                "size": 1,
                "leverage": "5",
                "open_type": "cross",
            },
        )
        assert c.ok("GET", "/contract/private/position", {"symbol": "BTCUSDT", "account": "futures"})
        assert (
            c.ok("GET", "/contract/private/position", {"symbol": "BTCUSDT", "account": "copy_trading"}) == []
        )
        assert (
            c.ok("GET", "/contract/private/order-history", {"symbol": "BTCUSDT", "account": "copy_trading"})
            == []
        )
        status, doc = c.call("GET", "/contract/private/trades", {"symbol": "BTCUSDT", "account": "spot"})
        assert status == 400 and doc["code"] == 40011 and "'account'" in doc["message"]
    finally:
        c.close()
