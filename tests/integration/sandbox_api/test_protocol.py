"""BitMart's wire protocol at the sandbox: envelope, auth kinds, signature, timestamp window, IP
whitelist, permissions, futures whitelisting, rate limits, unknown paths. Against the real server,
mostly through BitMart's official Python SDK."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_api.helpers import account, contract, new_trader, sdk_error, signed_post

TRANSFER_LIST = "/account/v1/transfer-contract-list"


def test_system_time_envelope(sandbox: SandboxServer) -> None:
    r = httpx.get(sandbox.base_url + "/system/time")
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == 1000 and body["message"] == "Ok"
    assert set(body) == {"code", "message", "data", "trace"}
    assert abs(body["data"]["server_time"] - time.time() * 1000) < 5000
    assert len(body["trace"]) == 36
    assert r.headers["X-BM-RateLimit-Mode"] == "IP"
    service = httpx.get(sandbox.base_url + "/system/service").json()["data"]["service"]
    assert {s["service_type"] for s in service} >= {"spot", "contract"}


def test_unknown_path_is_bitmart_404(sandbox: SandboxServer) -> None:
    r = httpx.get(sandbox.base_url + "/contract/private/no-such-thing")
    assert r.status_code == 404 and r.json()["code"] == 30000
    r = httpx.get(sandbox.base_url + "/definitely/not/here")
    assert r.status_code == 404 and r.json()["code"] == 30000


def test_missing_and_unknown_key(sandbox: SandboxServer) -> None:
    r = httpx.get(sandbox.base_url + "/contract/private/assets-detail")
    assert (r.status_code, r.json()["code"], r.json()["message"]) == (401, 30001, "Header X-BM-KEY is empty")
    fake = {"api_key": "0" * 40, "secret_key": "1" * 64, "memo": "x"}
    status, body = sdk_error(contract(sandbox, fake).get_assets_detail)
    assert (status, body["code"], body["message"]) == (401, 30002, "Header X-BM-KEY not found")


def test_wrong_secret_and_wrong_memo_are_both_wrong_signature(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    status, body = sdk_error(contract(sandbox, key, secret="f" * 64).get_transfer_list, page=1, limit=10)
    assert (status, body["code"], body["message"]) == (401, 30005, "Header X-BM-SIGN is wrong")
    status, body = sdk_error(contract(sandbox, key, memo="not-the-memo").get_transfer_list, page=1, limit=10)
    assert (status, body["code"]) == (401, 30005)
    # the right secret and memo pass the same check
    result, _ = contract(sandbox, key).get_transfer_list(page=1, limit=10)
    assert result["code"] == 1000


def test_keyed_reads_need_no_signature_and_tolerate_one(sandbox: SandboxServer) -> None:
    """The SDK signs none of its GETs; other clients sign every request. Neither is refused,
    and a KEYED read proves only the key id (a wrong secret still reads)."""
    _, key = new_trader(sandbox)
    url = sandbox.base_url + "/uapi-key/v1/account/info"
    bare = httpx.get(url, headers={"X-BM-KEY": key["api_key"]})
    assert bare.status_code == 200 and bare.json()["data"]["api_key"] == key["api_key"]
    signed = httpx.get(
        url, headers={"X-BM-KEY": key["api_key"], "X-BM-TIMESTAMP": "1", "X-BM-SIGN": "00" * 32}
    )
    assert signed.status_code == 200
    info = signed.json()["data"]
    assert "secret_key" not in info and "memo" not in info
    assert info["permissions"] == ["future_trade", "read"] and info["ip_whitelist"] == ["127.0.0.1"]


def test_signed_request_header_errors(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    url = sandbox.base_url + TRANSFER_LIST
    body = '{"page": 1, "limit": 10}'
    r = httpx.post(url, content=body, headers={"X-BM-KEY": key["api_key"]})
    assert (r.status_code, r.json()["code"]) == (401, 30004)
    r = httpx.post(url, content=body, headers={"X-BM-KEY": key["api_key"], "X-BM-SIGN": "ab"})
    assert (r.status_code, r.json()["code"], r.json()["message"]) == (
        401,
        30006,
        "Header X-BM-TIMESTAMP is empty",
    )
    r = httpx.post(
        url, content=body, headers={"X-BM-KEY": key["api_key"], "X-BM-SIGN": "ab", "X-BM-TIMESTAMP": "soon"}
    )
    assert (r.status_code, r.json()["code"]) == (401, 30008)  # "Header X-BM-TIMESTAMP invalid format"


def test_expired_and_future_timestamp(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    old = int(time.time() * 1000) - 61_000
    r = signed_post(sandbox, key, TRANSFER_LIST, {"page": 1, "limit": 10}, timestamp=old)
    assert r.status_code == 401
    assert r.json()["code"] == 30007
    assert r.json()["message"] == "Header X-BM-TIMESTAMP range. Within a minute"
    ahead = int(time.time() * 1000) + 61_000
    r = signed_post(sandbox, key, TRANSFER_LIST, {"page": 1, "limit": 10}, timestamp=ahead)
    assert (r.status_code, r.json()["code"]) == (401, 30007)
    # within the window: fine
    ok = signed_post(
        sandbox, key, TRANSFER_LIST, {"page": 1, "limit": 10}, timestamp=int(time.time() * 1000) - 2000
    )
    assert ok.status_code == 200, ok.text


def test_recv_window(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    stale = int(time.time() * 1000) - 3000
    r = signed_post(
        sandbox, key, TRANSFER_LIST, {"page": 1, "limit": 10, "recvWindow": 1000}, timestamp=stale
    )
    assert r.json()["code"] == 30007 and "recvWindow" in r.json()["message"]
    r = signed_post(sandbox, key, TRANSFER_LIST, {"page": 1, "limit": 10, "recvWindow": 70000})
    assert r.json() == r.json() | {
        "code": 30007,
        "message": "Param recvWindow must be less than 60000 and greater than 0",
    }


def test_ip_whitelist_enforced_against_peer_address(sandbox: SandboxServer) -> None:
    user, key = new_trader(sandbox, ip=["127.0.0.2"])
    # the SDK connects from 127.0.0.1: refused, on KEYED and SIGNED endpoints alike
    status, body = sdk_error(contract(sandbox, key).get_assets_detail)
    assert (status, body["code"]) == (403, 30010)
    assert body["message"].startswith("IP is forbidden")
    status, body = sdk_error(contract(sandbox, key).get_transfer_list, page=1, limit=10)
    assert (status, body["code"]) == (403, 30010)
    # a forwarded-for header does not change the peer address
    spoofed = httpx.get(
        sandbox.base_url + "/uapi-key/v1/account/info",
        headers={"X-BM-KEY": key["api_key"], "X-Forwarded-For": "127.0.0.2", "X-Real-IP": "127.0.0.2"},
    )
    assert (spoofed.status_code, spoofed.json()["code"]) == (403, 30010)
    # from 127.0.0.2 the same key works
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10) as c:
        r = c.get(sandbox.base_url + "/uapi-key/v1/account/info", headers={"X-BM-KEY": key["api_key"]})
        assert r.status_code == 200, r.text
        r = signed_post(sandbox, key, TRANSFER_LIST, {"page": 1, "limit": 10}, client=c)
        assert r.status_code == 200, r.text
    # a key without an IP list works from anywhere
    open_key = sandbox.admin.create_key(user["email"], memo="anyip", ip=())
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3"), timeout=10) as c:
        r = c.get(sandbox.base_url + "/uapi-key/v1/account/info", headers={"X-BM-KEY": open_key["api_key"]})
        assert r.status_code == 200


def test_missing_future_trade_permission(sandbox: SandboxServer) -> None:
    user = sandbox.admin.create_user()
    spot_key = sandbox.admin.create_key(user["email"], memo="spotonly", permissions=("spot_trade",))
    sdk = contract(sandbox, spot_key)
    status, body = sdk_error(sdk.post_submit_order, contract_symbol="BTCUSDT", side=1, type="market", size=1)
    assert (status, body["code"], body["message"]) == (
        403,
        30012,
        "Header X-BM-KEY is forbidden to request it",
    )
    status, body = sdk_error(sdk.post_cancel_order, contract_symbol="BTCUSDT", client_order_id="nope1")
    assert (status, body["code"]) == (403, 30012)
    # it is a valid key: its signature checks out on a read-only SIGNED call
    result, _ = sdk.get_transfer_list(page=1, limit=10)
    assert result["code"] == 1000
    # a read-only key gets the same refusal on futures writes
    ro_key = sandbox.admin.create_key(user["email"], memo="readonly", permissions=())
    status, body = sdk_error(contract(sandbox, ro_key).post_submit_leverage, "BTCUSDT", "cross", "5")
    assert (status, body["code"]) == (403, 30012)


def test_account_not_whitelisted_for_futures(sandbox: SandboxServer) -> None:
    user = sandbox.admin.create_user(whitelisted=False, futures_deposit={})
    key = sandbox.admin.create_key(user["email"], memo="notyet")
    sdk = contract(sandbox, key)
    result, _ = sdk.get_assets_detail()
    assert result["code"] == 30019 and "contact customer service or BD" in result["message"]
    result, _ = sdk.post_submit_order(contract_symbol="BTCUSDT", side=1, type="market", size=1)
    assert result["code"] == 30019
    # non-futures endpoints still work (the key itself is fine)
    info, _ = account(sandbox, key).get_account_info()
    assert info["code"] == 1000 and info["data"]["uid"] == user["uid"]
    sandbox.admin.whitelist(user["email"])
    assert sandbox.admin.user(user["email"])["futures_whitelisted"] is True
    assert any("whitelist" in m["subject"].lower() for m in sandbox.admin.outbox(user["email"]))


def test_rate_limit_per_key_with_headers(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    _, other = new_trader(sandbox)
    url = sandbox.base_url + "/uapi-key/v1/account/info"  # 12 requests / 2 s per key
    with httpx.Client(timeout=10) as c:
        seen = []
        for _ in range(12):
            r = c.get(url, headers={"X-BM-KEY": key["api_key"]})
            assert r.status_code == 200
            seen.append(int(r.headers["X-BM-RateLimit-Remaining"]))
            assert r.headers["X-BM-RateLimit-Limit"] == "12" and r.headers["X-BM-RateLimit-Reset"] == "2"
        assert seen == list(range(1, 13))  # BitMart's -Remaining counts the requests used
        r = c.get(url, headers={"X-BM-KEY": key["api_key"]})
        assert r.status_code == 429
        assert (r.json()["code"], r.json()["message"]) == (30013, "Request too many requests")
        assert r.headers["X-BM-RateLimit-Remaining"] == "12"
        # another key is counted on its own
        assert c.get(url, headers={"X-BM-KEY": other["api_key"]}).status_code == 200
        time.sleep(2.05)
        assert c.get(url, headers={"X-BM-KEY": key["api_key"]}).status_code == 200


def test_rate_limit_through_sdk(sandbox: SandboxServer) -> None:
    """The official SDK sees BitMart's 429 on the transfer list (1 request / 2 s per key)."""
    _, key = new_trader(sandbox)
    sdk = contract(sandbox, key)
    sdk.get_transfer_list(page=1, limit=10)
    status, body = sdk_error(sdk.get_transfer_list, page=1, limit=10)
    assert (status, body["code"]) == (429, 30013)


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        ("not json", 60000, "JSON object"),
        ('{"page": "x", "limit": 10}', 60000, "'page'"),
        ('{"limit": 10}', 60000, "'page' is required"),
        ('{"page": 1, "limit": 5}', 60000, "'limit' must be at least 10"),
    ],
)
def test_bad_parameters_name_the_field(sandbox: SandboxServer, body: str, code: int, needle: str) -> None:
    from tests.integration.sandbox_api.helpers import sign

    _, key = new_trader(sandbox)
    ts = str(int(time.time() * 1000))
    headers = {
        "X-BM-KEY": key["api_key"],
        "X-BM-TIMESTAMP": ts,
        "X-BM-SIGN": sign(key["secret_key"], "memo1", ts, body),
    }
    r = httpx.post(sandbox.base_url + TRANSFER_LIST, content=body, headers=headers)
    assert r.json()["code"] == code, r.text
    assert needle in r.json()["message"]
