"""Connectors are keyed by venue: each account's stored URLs get their own connector (shared by
every account at that venue); the configured venue is only where new keys connect."""

from __future__ import annotations

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
