"""The private WebSocket stream against the sandbox: login, resync snapshot, live order updates,
reconnect with resubscribe and a resync that shows what happened while the socket was down."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core import errors as E
from perpdesk.core.models import MarginMode, OrderRequest, OrderSide, StreamEvent
from perpdesk.exchanges.bitmart import BitmartFuturesConnector, new_client_order_id
from perpdesk.exchanges.bitmart.stream import PrivateStream
from tests.integration.connector.conftest import MakeCreds


def order() -> OrderRequest:
    return OrderRequest("BTCUSDT", OrderSide.BUY_OPEN_LONG, Decimal(1), new_client_order_id(),
                        price=Decimal(1000), leverage=Decimal(5), margin_mode=MarginMode.CROSS)


async def _next(events: Any, kind: str, timeout: float = 5.0) -> StreamEvent:
    async with asyncio.timeout(timeout):
        while True:
            event = await anext(events)
            if event.kind == kind:
                return event


async def test_stream_resyncs_follows_orders_and_reconnects(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    stream = PrivateStream(connector, creds, ["BTCUSDT"], ping_interval_s=0.2, backoff_initial_s=0.05)
    events = stream.events()
    try:
        first = await _next(events, "resync")
        assert first.payload["open_orders"] == [] and first.payload["balances"]
        placed = await connector.place_order(creds, order())
        update = await _next(events, "order")
        assert [o.order_id for o in update.payload["orders"]] == [placed.order_id]  # type: ignore[attr-defined]
        await asyncio.sleep(0.5)  # a few heartbeats go by without disturbing the session
        assert stream.pings_sent >= 2 and stream.connections == 1

        # the connection drops; an order is placed while the stream is away
        ws = stream._ws
        assert ws is not None
        await ws.close()
        while_away = await connector.place_order(creds, order())
        second = await _next(events, "resync")
        assert stream.connections == 2
        assert {o.order_id for o in second.payload["open_orders"]} == {  # type: ignore[attr-defined]
            placed.order_id, while_away.order_id}
        await connector.cancel_order(creds, "BTCUSDT", order_id=while_away.order_id)
        live = await _next(events, "order")  # resubscribed: updates flow again
        assert [o.order_id for o in live.payload["orders"]] == [while_away.order_id]  # type: ignore[attr-defined]
    finally:
        await events.aclose()


async def test_stream_login_with_a_wrong_memo_is_refused(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    from dataclasses import replace

    events = connector.stream(replace(creds, passphrase="wrong"))
    with pytest.raises(E.InvalidSignature):
        await anext(events)
    await events.aclose()


async def test_stream_goes_out_through_the_configured_proxy(sandbox: Any, make_creds: MakeCreds) -> None:
    from tests.integration.http.httpservers import LoopProxy

    creds = make_creds(ip=("127.0.0.6",))
    proxy = await LoopProxy(egress="127.0.0.6").start()
    conn = BitmartFuturesConnector(sandbox.base_url, ws_url=sandbox.ws_url, proxy=proxy.url)
    events = conn.stream(creds)
    try:
        first = await _next(events, "resync")
        assert first.payload["balances"]
        assert any(line.startswith("CONNECT ") for line in proxy.seen)  # the WebSocket tunnelled
        assert any(line.startswith("GET http://") for line in proxy.seen)  # REST by absolute URI
    finally:
        await events.aclose()
        await conn.aclose()
        await proxy.stop()
