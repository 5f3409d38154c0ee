"""BitMart Futures public WebSocket: ticker, depth, k-lines (last and mark), funding rate.

One connection carries any number of channels; `subscribe`/`unsubscribe` may be called at any
time from other tasks. After every reconnection every wanted channel is subscribed again and a
`StreamStatus(connected=True)` is emitted; a drop emits `StreamStatus(connected=False)` at once,
so the consumer shows the data as stale rather than current.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from decimal import Decimal
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from perpdesk.core.market import (
    Candle,
    Depth,
    FundingRate,
    MarketChannel,
    MarketEvent,
    MarketKind,
    StreamStatus,
    Ticker,
)
from perpdesk.exchanges.bitmart.parse import _int, d0, dec
from perpdesk.exchanges.bitmart.ws_link import endpoint_url, pinging
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.exchanges.common.ws_link import DROPS, open_ws, reconnecting

DEPTH_LEVELS = 20
MAX_ARGS_BYTES = 4000  # BitMart: the topics of one message total at most 4096 bytes


def public_ws_url(ws_url: str) -> str:
    """The public endpoint from the configured URL (.../user or .../api, with or without query)."""
    return endpoint_url(ws_url, "/api")


def group_of(ch: MarketChannel) -> str:
    if ch.kind is MarketKind.TICKER:
        return f"futures/ticker:{ch.symbol}"
    if ch.kind is MarketKind.DEPTH:
        return f"futures/depthAll{DEPTH_LEVELS}:{ch.symbol}"
    if ch.kind is MarketKind.KLINE:
        return f"futures/klineBin{ch.interval}:{ch.symbol}"
    if ch.kind is MarketKind.MARK_KLINE:
        return f"futures/markPriceKlineBin{ch.interval}:{ch.symbol}"
    return f"futures/fundingRate:{ch.symbol}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _levels(rows: Any) -> tuple[tuple[Decimal, Decimal], ...]:
    out = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict):
            out.append((d0(row.get("price")), d0(row.get("vol"))))
    return tuple(out)


def parse_push(ch: MarketChannel, data: dict[str, Any]) -> MarketEvent | None:
    """A push's `data` for channel `ch` as a typed event (Decimal from the wire strings)."""
    if ch.kind is MarketKind.TICKER:
        return Ticker(ch.symbol, d0(data.get("last_price")), d0(data.get("mark_price")),
                      d0(data.get("index_price")), d0(data.get("range")), d0(data.get("volume_24")),
                      d0(data.get("bid_price")), d0(data.get("ask_price")), _now_ms())
    if ch.kind is MarketKind.DEPTH:
        return Depth(ch.symbol, _levels(data.get("bids")), _levels(data.get("asks")),
                     _int(data.get("ms_t")) or _now_ms())
    if ch.kind in (MarketKind.KLINE, MarketKind.MARK_KLINE):
        return Candle(ch.symbol, ch.interval, ch.kind is MarketKind.MARK_KLINE, _int(data.get("ts")),
                      d0(data.get("o")), d0(data.get("h")), d0(data.get("l")), d0(data.get("c")),
                      d0(data.get("v")))
    if ch.kind is MarketKind.FUNDING:
        return FundingRate(ch.symbol, d0(data.get("fundingRate")), _int(data.get("fundingTime")),
                           dec(data.get("nextFundingRate"), None), _int(data.get("nextFundingTime")) or None,
                           _int(data.get("ts")) or _now_ms())
    return None


def _batches(groups: Iterable[str]) -> list[list[str]]:
    out: list[list[str]] = []
    size = MAX_ARGS_BYTES
    for g in sorted(groups):
        if size + len(g) + 3 > MAX_ARGS_BYTES:
            out.append([])
            size = 0
        out[-1].append(g)
        size += len(g) + 3
    return out


class PublicStream:
    """A reconnecting public connection; `events()` runs it (one consumer)."""

    def __init__(self, ws_url: str, *, proxy: str | None = None, source_address: str | None = None,
                 sources: SourceAddresses | None = None, ping_interval_s: float = 15.0,
                 backoff_initial_s: float = 0.2, backoff_max_s: float = 30.0,
                 open_timeout_s: float = 10.0) -> None:
        self.url = public_ws_url(ws_url)
        self.proxy = proxy
        self.source_address = source_address
        self.sources = sources
        self.ping_interval_s = ping_interval_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.open_timeout_s = open_timeout_s
        self._by_group: dict[str, MarketChannel] = {}
        self._ws: ClientConnection | None = None
        self.connections = 0

    @property
    def channels(self) -> set[MarketChannel]:
        return set(self._by_group.values())

    async def subscribe(self, channels: Iterable[MarketChannel]) -> None:
        new = {group_of(c): c for c in channels if group_of(c) not in self._by_group}
        self._by_group.update(new)
        await self._send("subscribe", new)

    async def unsubscribe(self, channels: Iterable[MarketChannel]) -> None:
        gone = [group_of(c) for c in channels]
        gone = [g for g in gone if self._by_group.pop(g, None) is not None]
        await self._send("unsubscribe", gone)

    async def _send(self, action: str, groups: Iterable[str]) -> None:
        ws = self._ws
        if ws is None:
            return  # sent on (re)connection
        with contextlib.suppress(ConnectionClosed):
            for batch in _batches(groups):
                await ws.send(orjson.dumps({"action": action, "args": batch}).decode())

    def _connect(self) -> Any:
        return open_ws(self.url, open_timeout_s=self.open_timeout_s, proxy=self.proxy,
                       source_address=self.source_address, sources=self.sources)

    def events(self) -> AsyncIterator[MarketEvent]:
        return reconnecting(self._connect, self._session, self._dropped, drops=DROPS,
                            backoff_initial_s=self.backoff_initial_s, backoff_max_s=self.backoff_max_s)

    async def _session(self, ws: ClientConnection) -> AsyncGenerator[MarketEvent, None]:
        self._ws = ws
        try:
            await self._send("subscribe", list(self._by_group))
            self.connections += 1
            yield StreamStatus(True, _now_ms())
            with pinging(ws, self.ping_interval_s):
                async for raw in ws:
                    event = self._event(raw)
                    if event is not None:
                        yield event
        finally:
            self._ws = None

    def _dropped(self, reason: str) -> MarketEvent:
        return StreamStatus(False, _now_ms(), reason)

    def _event(self, raw: str | bytes) -> MarketEvent | None:
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(msg, dict):
            return None
        ch = self._by_group.get(str(msg.get("group")))
        data = msg.get("data")
        if ch is None or not isinstance(data, dict):
            return None  # acknowledgements, pongs, pushes of a channel just unsubscribed
        return parse_push(ch, data)

    async def close(self) -> None:
        ws = self._ws
        if ws is not None:
            await ws.close()
