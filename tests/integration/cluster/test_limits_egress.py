"""Egress addresses against the real sandbox on loopback (every 127.x address is this machine):
exchange WebSockets spread over the configured source addresses, the least-used first, never
more than the cap on one; beyond it a new one is refused clearly and the stream retries. The
whitelist shown to users lists every address, and a key restricted to it streams from any."""

from __future__ import annotations

import asyncio
import contextlib
import re
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from perpdesk.bootstrap import egress_of
from perpdesk.core.models import Credentials
from perpdesk.exchanges.bitmart import BitmartFuturesConnector
from perpdesk.exchanges.bitmart.market_stream import public_ws_url
from perpdesk.exchanges.bitmart.stream import PrivateStream
from perpdesk.exchanges.common.egress import EgressFull, SourceAddresses
from perpdesk.exchanges.common.ws_link import open_ws
from perpdesk.metrics import METRICS
from perpdesk.settings import Settings

ADDRESSES = ["127.0.0.2", "127.0.0.3"]


def restricted_key(sandbox: Any) -> Credentials:
    """A key whose IP whitelist is what the connect dialog shows: both addresses."""
    user = sandbox.admin.create_user(whitelisted=True, futures_deposit={"USDT": "1000"})
    key = sandbox.admin.create_key(user["email"], ip=ADDRESSES)
    return Credentials(key["api_key"], key["secret_key"], key["memo"])


def open_from(pool: SourceAddresses, url: str) -> Any:
    return open_ws(url, open_timeout_s=10, proxy=None, source_address=None, sources=pool)


def gauge(source: str) -> float:
    line = rf'^perpdesk_ws_connections\{{source="{re.escape(source)}"\}} (\S+)$'
    found = re.search(line, METRICS.render(), re.M)
    return float(found.group(1)) if found else 0.0


async def test_websockets_spread_over_the_addresses_under_the_cap(sandbox: Any) -> None:
    pool = SourceAddresses(ADDRESSES, per_address_max=2)
    url = public_ws_url(sandbox.ws_url)
    async with AsyncExitStack() as stack:
        links = [await stack.enter_async_context(open_from(pool, url)) for _ in range(4)]
        # the sandbox's view of each connection: its peer is the address we bound
        peers = [ws.local_address[0] for ws in links]
        assert peers == ["127.0.0.2", "127.0.0.3", "127.0.0.2", "127.0.0.3"]
        assert pool.open_counts() == {"127.0.0.2": 2, "127.0.0.3": 2}
        assert gauge("127.0.0.2") >= 2 and gauge("127.0.0.3") >= 2
        with pytest.raises(EgressFull) as full:
            await stack.enter_async_context(open_from(pool, url))
        said = str(full.value)
        assert "127.0.0.2 (2 of 2), 127.0.0.3 (2 of 2)" in said and "PERPDESK_EGRESS_SOURCE_ADDRESSES" in said
        assert pool.open_counts() == {"127.0.0.2": 2, "127.0.0.3": 2}  # the refused one took nothing
        await links[1].close()  # a connection from 127.0.0.3 ends
    assert pool.open_counts() == {"127.0.0.2": 0, "127.0.0.3": 0}  # every address given back


async def test_a_closed_connection_frees_its_address_for_the_next(sandbox: Any) -> None:
    pool = SourceAddresses(ADDRESSES, per_address_max=1)
    url = public_ws_url(sandbox.ws_url)
    async with open_from(pool, url) as first, open_from(pool, url) as second:
        assert {first.local_address[0], second.local_address[0]} == set(ADDRESSES)
        held = second.local_address[0]
    async with open_from(pool, url) as third:
        assert third.local_address[0] == "127.0.0.2"  # least used again, the first on a tie
    assert held == "127.0.0.3"


async def test_a_failed_open_gives_its_address_back() -> None:
    pool = SourceAddresses(["127.0.0.2"], per_address_max=1)
    with contextlib.suppress(OSError):
        async with open_from(pool, "ws://127.0.0.1:9/"):  # nothing listens on the discard port
            pass
    assert pool.open_counts() == {"127.0.0.2": 0}


def test_the_whitelist_shown_lists_every_source_address(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, egress_source_addresses="127.0.0.2, 127.0.0.3",
                        ws_per_address_max=7)
    assert settings.shown_egress_ips() == ADDRESSES
    egress = egress_of(settings)
    assert egress.source_address == "127.0.0.2" and egress.ws_sources is not None
    assert egress.ws_sources.addresses == ("127.0.0.2", "127.0.0.3")
    assert egress.ws_sources.per_address_max == 7
    chosen = Settings(data_dir=tmp_path, egress_source_addresses="10.0.0.5", egress_ips="203.0.113.9")
    assert chosen.shown_egress_ips() == ["203.0.113.9"]  # behind NAT: the public address set
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(data_dir=tmp_path, egress_source_addresses="127.0.0.2,nonsense")


async def test_private_streams_of_a_key_restricted_to_the_shown_ips_open_from_both(
    sandbox: Any,
) -> None:
    pool = SourceAddresses(ADDRESSES, per_address_max=1)
    connector = BitmartFuturesConnector(sandbox.base_url, ws_url=sandbox.ws_url, ws_sources=pool,
                                        source_address=ADDRESSES[0])  # REST from the first (egress_of)
    streams = [PrivateStream(connector, restricted_key(sandbox), ["BTCUSDT"]) for _ in range(3)]
    events = [s.events() for s in streams]
    try:
        for ev in events[:2]:  # each logs in from its own address: the sandbox accepts both
            async with asyncio.timeout(10):
                while (await anext(ev)).kind != "resync":
                    pass
        assert pool.open_counts() == {"127.0.0.2": 1, "127.0.0.3": 1}
        async with asyncio.timeout(10):  # the third finds every address full: reported, retried
            dropped = await anext(events[2])
        assert dropped.kind == "disconnected" and "EgressFull" in str(dropped.payload)
    finally:
        for ev in events:
            await ev.aclose()
        await connector.aclose()
    assert pool.open_counts() == {"127.0.0.2": 0, "127.0.0.3": 0}
