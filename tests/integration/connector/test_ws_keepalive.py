"""BitMart's keep-alive (`pinging`) on real loopback WebSockets: standard Ping frames answered
inside the protocol, no text message for the server to parse, and a link that stops answering is
dropped so the stream reconnects instead of mirroring silence."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosedError

from perpdesk.exchanges.bitmart import BitmartFuturesConnector
from perpdesk.exchanges.bitmart.stream import PrivateStream
from perpdesk.exchanges.bitmart.ws_link import pinging
from tests.integration.connector.conftest import MakeCreds


async def _server(handler: Any) -> tuple[Any, str]:
    server = await serve(handler, "127.0.0.1", 0, ping_interval=None)
    port = next(iter(server.sockets)).getsockname()[1]
    return server, f"ws://127.0.0.1:{port}"


async def test_pings_are_frames_answered_without_waking_the_reader() -> None:
    received: list[Any] = []

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            received.append(message)

    server, url = await _server(handler)
    pings = 0

    def counted() -> None:
        nonlocal pings
        pings += 1

    try:
        async with connect(url, ping_interval=None) as ws:
            reader_woken = 0

            async def read() -> None:
                nonlocal reader_woken
                async for _raw in ws:
                    reader_woken += 1

            with pinging(ws, 0.05, counted):
                reading = asyncio.create_task(read())
                await asyncio.sleep(0.6)
                assert pings >= 8
                # every Pong came back (websockets acknowledges them as it reads) ...
                assert len(ws.pending_pings) <= 1
                assert ws.latency > 0
                # ... and none of it reached the stream's reader or the server as a message
                assert reader_woken == 0 and received == []
                assert ws.protocol.state.name == "OPEN"
                reading.cancel()
    finally:
        server.close()
        await server.wait_closed()


async def test_a_link_that_stops_answering_is_dropped() -> None:
    done = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        ws.transport.pause_reading()  # alive at TCP, but never reads the Pings: no Pong
        await done.wait()

    server, url = await _server(handler)
    try:
        async with connect(url, ping_interval=None, close_timeout=0.1) as ws:
            started = time.monotonic()
            with pinging(ws, 0.1), pytest.raises(ConnectionClosedError):
                async for _raw in ws:
                    pass
            # the oldest Ping gets two intervals, then the connection goes
            assert 0.15 < time.monotonic() - started < 2.0
    finally:
        done.set()
        server.close()
        await server.wait_closed()


async def test_private_stream_session_survives_many_heartbeats(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    """Against the sandbox: the private stream keeps one session through many heartbeats."""
    stream = PrivateStream(connector, make_creds(), ["BTCUSDT"], ping_interval_s=0.05)
    events = stream.events()
    try:
        async with asyncio.timeout(5):
            first = await anext(events)
        assert first.kind == "resync"
        pending = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.8)
        assert not pending.done()  # no event: a heartbeat is not a message
        assert stream.pings_sent >= 10 and stream.connections == 1
        assert stream._ws is not None and len(stream._ws.pending_pings) <= 1
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pending
    finally:
        await events.aclose()
