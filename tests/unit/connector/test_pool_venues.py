"""Connectors are keyed by venue: each account's stored URLs get their own connector (shared by
every account at that venue); the configured venue is only where new keys connect."""

from __future__ import annotations

import pytest

from perpdesk.core.errors import InputError
from perpdesk.exchanges import registry
from perpdesk.exchanges.pool import ConnectorPool
from perpdesk.exchanges.registry import Egress, Endpoints, Venue


async def test_one_connector_per_venue() -> None:
    pool = ConnectorPool(
        {"bitmart": Endpoints(api_url="https://api.example.com", web_url="https://www.example.com",
                              ws_url="wss://ws.example.com/user", timeout_s=3.0)},
        Egress(),
    )  # fmt: skip
    try:
        configured = pool.venue("bitmart")
        assert configured == Venue("bitmart", "https://api.example.com", "wss://ws.example.com/user")
        sandbox = Venue("bitmart", "http://127.0.0.1:8810", "ws://127.0.0.1:8810/user?protocol=1.1")
        same = Venue(sandbox.exchange, sandbox.api_url, sandbox.ws_url)  # equal, not identical
        a, b = pool.connector(sandbox), pool.connector(same)
        assert a is b and a.base_url == "http://127.0.0.1:8810"  # type: ignore[attr-defined]
        assert a.rest.timeout_s == 3.0  # type: ignore[attr-defined]  (the platform's timings)
        live = pool.connector(configured)
        assert live is not a and live.base_url == "https://api.example.com"  # type: ignore[attr-defined]
        assert pool.market_connector("bitmart") is live
        assert pool.configured() == ["bitmart"]
    finally:
        await pool.aclose()


async def test_fast_connect_is_none_where_it_cannot_be_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.EXCHANGES, "binance", registry.BINANCE)  # registered, no Fast Connect
    bitmart = Endpoints(api_url="https://api.example.com", web_url="https://www.example.com",
                        client_id="client-1", client_secret="client-secret-1")
    pool = ConnectorPool({"binance": Endpoints(api_url="https://fapi.example.com", web_url="https://b.example")},
                         Egress())
    try:
        assert pool.fast_connect("binance") is None  # the exchange offers none
        assert pool.fast_connect("bitmart") is None  # registered, but no endpoints configured here
        with pytest.raises(InputError):
            pool.fast_connect("nowhere")
    finally:
        await pool.aclose()
    configured = ConnectorPool({"bitmart": bitmart}, Egress())
    try:
        assert configured.fast_connect("bitmart") is not None
        assert configured.fast_connect("bitmart") is configured.fast_connect("bitmart")
        assert configured.fast_connect("binance") is None  # neither Fast Connect nor endpoints
    finally:
        await configured.aclose()
