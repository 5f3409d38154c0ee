"""PKCE helpers and the authorize URL of the Fast Connect client."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from perpdesk.core.errors import InputError
from perpdesk.core.models import Permission
from perpdesk.core.pkce import pkce_challenge, pkce_verifier
from perpdesk.exchanges.bitmart.fast_connect import BitmartFastConnect, FastConnectFailed, issued_key
from perpdesk.exchanges.registry import Egress, Endpoints, all_info, entry, exchange_ids


def test_pkce_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_is_long_and_random() -> None:
    a, b = pkce_verifier(), pkce_verifier()
    assert a != b and 43 <= len(a) <= 128
    digest = base64.urlsafe_b64decode(pkce_challenge(a) + "=")
    assert digest == hashlib.sha256(a.encode()).digest()


def test_authorize_url_carries_every_parameter() -> None:
    client = BitmartFastConnect("http://127.0.0.1:9/oauth/authorize", "http://t", "http://r", "cid",
                                "csecret")
    url = client.authorize_url(state="st", code_challenge="ch", redirect_uri="http://p/cb",
                               ip_whitelist=["203.0.113.10", "203.0.113.11"], label="perpdesk")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {"response_type": "code", "client_id": "cid", "redirect_uri": "http://p/cb",
                     "scope": "future_trade", "state": "st", "code_challenge": "ch",
                     "code_challenge_method": "S256", "ip_whitelist": "203.0.113.10,203.0.113.11",
                     "label": "perpdesk"}
    assert "csecret" not in url and "csecret" not in repr(client)


def test_token_answer_becomes_an_issued_key() -> None:
    key = issued_key({"api_key": "k", "secret_key": "s", "memo": "m", "permissions": ["read", "future_trade"],
                      "ip_whitelist": ["1.2.3.4"], "key_label": "L"})
    assert key.credentials.secret == "s" and key.credentials.passphrase == "m"
    assert key.permissions == {Permission.READ, Permission.FUTURE_TRADE}
    assert key.ip_whitelist == ("1.2.3.4",) and key.label == "L"
    with pytest.raises(FastConnectFailed, match="secret_key"):
        issued_key({"api_key": "k", "memo": "m"})


def test_registry_knows_bitmart() -> None:
    assert "bitmart" in exchange_ids()
    bitmart = entry("bitmart")
    assert bitmart.info.supports_fast_connect and bitmart.fast_connect is not None
    where = Endpoints("http://t", "http://a", client_id="c", client_secret="s")
    provider = bitmart.fast_connect(where, Egress())
    assert provider.authorize_url(state="s", code_challenge="c", redirect_uri="http://x", ip_whitelist=[])
    with pytest.raises(InputError, match="not supported") as refused:
        entry("kraken-spot")
    assert "kraken" not in str(refused.value.to_dict())  # the submitted value is never echoed


async def test_pool_builds_from_platform_settings(tmp_path: Path) -> None:
    from perpdesk.bootstrap import bootstrap
    from perpdesk.settings import Settings

    def services(**kw: Any) -> Any:
        return bootstrap(Settings(
            data_dir=tmp_path, master_key=base64.b64encode(bytes(32)).decode(),
            bitmart_api_url="http://127.0.0.1:1", bitmart_ws_url="ws://127.0.0.1:1/user?protocol=1.1",
            bitmart_web_url="http://127.0.0.1:2", egress_source_address="127.0.0.2",
            binance_api_url="http://127.0.0.1:3", **kw))

    s = services(fast_connect_client_id="cid", fast_connect_client_secret="sec", exchange_timeout_s=7.0,
                 exchange_window_s=30.0, order_settle_margin_s=1.5)
    try:
        conn = s.connectors.connector(s.accounts.venue_for("bitmart"))
        assert conn.base_url == "http://127.0.0.1:1"  # type: ignore[attr-defined]
        assert conn.info.id == "bitmart" and conn.http.source_address == "127.0.0.2"  # type: ignore[attr-defined]
        rest = conn.rest  # type: ignore[attr-defined]
        assert (rest.timeout_s, rest.window_ms, rest.settle_margin_ms) == (7.0, 30_000, 1_500)
        provider = s.accounts.fast_connect_for("bitmart")
        assert provider is not None
        url = provider.authorize_url(state="s", code_challenge="c", redirect_uri="r", ip_whitelist=[])
        assert url.startswith("http://127.0.0.1:2/oauth/authorize?")
        assert [i.id for i in all_info()] == ["binance", "bitmart"]
        binance = s.connectors.connector(s.accounts.venue_for("binance"))
        assert binance.info.id == "binance" and binance.base_url == "http://127.0.0.1:3"  # type: ignore[attr-defined]
        assert s.accounts.fast_connect_for("binance") is None  # Binance offers none
    finally:
        await s.aclose()
    unregistered = services()
    try:
        assert unregistered.accounts.fast_connect_for("bitmart") is None
    finally:
        await unregistered.aclose()


def test_private_ws_url_forms() -> None:
    from perpdesk.exchanges.bitmart.stream import private_ws_url

    assert private_ws_url("ws://127.0.0.1:5") == "ws://127.0.0.1:5/user?protocol=1.1"
    assert private_ws_url("wss://openapi-ws-v2.bitmart.com/api?protocol=1.1") == (
        "wss://openapi-ws-v2.bitmart.com/user?protocol=1.1")
    assert private_ws_url("wss://h/user?protocol=1.1") == "wss://h/user?protocol=1.1"
