"""The Binance dialect's wire protocol, by hand-signed requests against the real sandbox:
signing, the timestamp/recvWindow rule, keys, permissions, the error envelope and the weight
headers."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx
import pytest

from tests.fixtures.binance import BinanceClient, BinanceSandbox, sign


@pytest.fixture(scope="module")
def client(binance_sandbox: BinanceSandbox) -> BinanceClient:
    return binance_sandbox.client()


def test_public_ping_and_time_carry_the_weight_header(client: BinanceClient) -> None:
    r = client.public("/fapi/v1/ping")
    assert r.status_code == 200 and r.json() == {}
    used = int(r.headers["x-mbx-used-weight-1m"])
    r = client.public("/fapi/v1/time")
    assert abs(r.json()["serverTime"] - time.time() * 1000) < 5000
    assert int(r.headers["x-mbx-used-weight-1m"]) >= used + 1


def test_signed_in_query_and_in_body_both_work(client: BinanceClient) -> None:
    assert client.ok("GET", "/fapi/v2/balance")[0]["balance"] == "10000.00000000"
    r = client.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 7}, in_body=True)
    assert r.status_code == 200, r.text
    assert r.json() == {"leverage": 7, "maxNotionalValue": "5000000.00000000", "symbol": "BTCUSDT"}


def test_wrong_signature_is_1022(client: BinanceClient) -> None:
    query = urlencode({"timestamp": int(time.time() * 1000)})
    bad = sign("not-the-secret", query)
    r = client.http.get(
        f"{client.url}/fapi/v2/balance?{query}&signature={bad}", headers={"X-MBX-APIKEY": client.api_key}
    )
    assert r.status_code == 400
    assert r.json()["code"] == -1022
    assert r.json()["msg"].startswith("Signature for this request is not valid.")


def test_missing_signature_and_timestamp_are_1102(client: BinanceClient) -> None:
    headers = {"X-MBX-APIKEY": client.api_key}
    r = client.http.get(f"{client.url}/fapi/v2/balance?timestamp={int(time.time() * 1000)}", headers=headers)
    assert (r.status_code, r.json()["code"]) == (400, -1102)
    assert "'signature'" in r.json()["msg"]
    r = client.http.get(f"{client.url}/fapi/v2/balance?signature=00", headers=headers)
    assert "'timestamp'" in r.json()["msg"] and r.json()["code"] == -1102


def test_timestamp_outside_recv_window_is_1021(client: BinanceClient) -> None:
    now = int(time.time() * 1000)
    r = client.signed("GET", "/fapi/v2/balance", timestamp=now - 6000)  # default window 5000
    assert (r.status_code, r.json()["code"]) == (400, -1021)
    assert r.json()["msg"].startswith("Timestamp for this request is outside of the recvWindow.")
    assert (
        client.signed("GET", "/fapi/v2/balance", timestamp=now - 6000, recv_window=10000).status_code == 200
    )
    r = client.signed("GET", "/fapi/v2/balance", timestamp=now + 2000)
    assert r.json()["code"] == -1021 and "ahead of the server's time" in r.json()["msg"]


def test_recv_window_over_60000_is_refused(client: BinanceClient) -> None:
    r = client.signed("GET", "/fapi/v2/balance", recv_window=60001)
    assert (r.status_code, r.json()["code"]) == (400, -1131)


def test_keys_format_unknown_and_other_dialect(
    binance_sandbox: BinanceSandbox, client: BinanceClient
) -> None:
    def balance(api_key: str) -> httpx.Response:
        return BinanceClient(client.url, api_key, client.secret, http=client.http).signed(
            "GET", "/fapi/v2/balance"
        )

    r = balance("short")
    assert (r.status_code, r.json()["code"]) == (401, -2014)
    r = balance("A" * 64)
    assert (r.status_code, r.json()["code"]) == (401, -2015)
    user = binance_sandbox.server.admin.create_user()
    bitmart_key = binance_sandbox.server.admin.create_key(user["email"], memo="m1")  # a BitMart key
    assert balance(bitmart_key["api_key"]).json()["code"] in (-2014, -2015)
    # and a Binance key is unknown to the BitMart port
    r = client.http.get(
        binance_sandbox.server.base_url + "/contract/private/assets-detail",
        headers={"X-BM-KEY": client.api_key},
    )
    assert r.json()["code"] == 30002


def test_ip_restriction_and_futures_permission(binance_sandbox: BinanceSandbox) -> None:
    elsewhere = binance_sandbox.client(ip=["203.0.113.10"])
    r = elsewhere.signed("GET", "/fapi/v2/balance")
    assert (r.status_code, r.json()["code"]) == (401, -2015)
    read_only = binance_sandbox.client(permissions=())
    assert read_only.signed("GET", "/fapi/v2/balance").status_code == 200  # reading needs no futures
    r = read_only.signed("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 5})
    assert (r.status_code, r.json()["code"]) == (401, -2015)
    assert "enable Futures" in r.json()["msg"]


def test_api_restrictions_tell_the_key_settings(binance_sandbox: BinanceSandbox) -> None:
    c = binance_sandbox.client(permissions=("future_trade", "withdraw"), ip=["127.0.0.1"])
    got = c.ok("GET", "/sapi/v1/account/apiRestrictions")
    assert got["ipRestrict"] is True and got["enableFutures"] is True and got["enableWithdrawals"] is True
    assert got["enableReading"] is True and got["enableSpotAndMarginTrading"] is False
    open_key = binance_sandbox.client(permissions=(), ip=None)
    got = open_key.ok("GET", "/sapi/v1/account/apiRestrictions")
    assert (got["ipRestrict"], got["enableFutures"], got["enableWithdrawals"]) == (False, False, False)


def test_unknown_path_and_bad_parameters(client: BinanceClient) -> None:
    r = client.public("/fapi/v1/nothing")
    assert (r.status_code, r.json()["code"]) == (404, -5000)
    r = client.public("/fapi/v1/depth", symbol="NOPE")
    assert (r.status_code, r.json()["code"]) == (400, -1121)
    assert "NOPE" not in r.json()["msg"]  # the submitted value is never echoed
    r = client.public("/fapi/v1/depth")
    assert r.json() == {"code": -1102, "msg": r.json()["msg"]} and "'symbol'" in r.json()["msg"]
    r = client.public("/fapi/v1/klines", symbol="BTCUSDT", interval="7m")
    assert r.json()["code"] == -1120


def test_binance_key_has_no_memo_and_is_listed_with_its_dialect(binance_sandbox: BinanceSandbox) -> None:
    user = binance_sandbox.server.admin.create_user()
    key = binance_sandbox.key(user["email"])
    assert key["dialect"] == "binance" and key["memo"] == ""
    assert len(key["api_key"]) == 64 and key["api_key"].isalnum() and len(key["secret_key"]) == 64
    listed = binance_sandbox.server.admin.user(user["email"])["keys"]
    assert [k["dialect"] for k in listed] == ["binance"]
    assert all("secret_key" not in k for k in listed)
