"""Binance's market streams as the platform's MarketStream: one reconnecting `/ws` connection,
channels (un)subscribed live with SUBSCRIBE / UNSUBSCRIBE.

Channel → streams: ticker = `<s>@ticker` (last, 24 h change and volume) with `<s>@markPrice@1s`
(mark, index) and `<s>@bookTicker` (best bid and ask) folded in; depth = `<s>@depth20@100ms`
(the whole top 20); kline = `<s>@kline_<i>`; funding = `<s>@markPrice@1s`. Binance has no mark
price k-line stream: a MARK_KLINE channel is refused. After every reconnection each wanted stream
is subscribed again and StreamStatus(connected=True) is emitted; a drop emits
StreamStatus(connected=False) at once.
"""

from __future__ import annotations

import contextlib
import itertools
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
from perpdesk.exchanges.binance.parse import d0, integer
from perpdesk.exchanges.binance.user_stream import ws_base
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.exchanges.common.ws_link import DROPS, open_ws, reconnecting

DEPTH_LEVELS = 20
MAX_PARAMS = 100  # streams per SUBSCRIBE message
_ZERO = Decimal(0)


def _now_ms() -> int:
    return int(time.time() * 1000)


def streams_of(ch: MarketChannel) -> tuple[str, ...]:
    s = ch.symbol.lower()
    if ch.kind is MarketKind.TICKER:
        return (f"{s}@ticker", f"{s}@markPrice@1s", f"{s}@bookTicker")
    if ch.kind is MarketKind.DEPTH:
        return (f"{s}@depth{DEPTH_LEVELS}@100ms",)
    if ch.kind is MarketKind.KLINE:
        return (f"{s}@kline_{ch.interval.lower()}",)
    if ch.kind is MarketKind.FUNDING:
        return (f"{s}@markPrice@1s",)
    raise ValueError("Binance has no mark-price k-line stream; use last-price k-lines")


def _levels(rows: Any) -> tuple[tuple[Decimal, Decimal], ...]:
    return tuple((d0(r[0]), d0(r[1])) for r in (rows if isinstance(rows, list) else []) if len(r) > 1)


class BinanceMarketStream:
    def __init__(
        self,
        ws_url: str,
        *,
        proxy: str | None = None,
        source_address: str | None = None,
        sources: SourceAddresses | None = None,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 30.0,
        open_timeout_s: float = 10.0,
    ) -> None:
        self.url = ws_base(ws_url) + "/ws"
        self.proxy = proxy
        self.source_address = source_address
        self.sources = sources
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.open_timeout_s = open_timeout_s
        self._channels: set[MarketChannel] = set()
        self._ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        # what the ticker folds in from the other streams, per symbol: mark, index, bid, ask
        self._marks: dict[str, tuple[Decimal, Decimal]] = {}
        self._books: dict[str, tuple[Decimal, Decimal]] = {}
        self._days: dict[str, tuple[Decimal, Decimal, Decimal]] = {}  # last, 24 h change, volume
        self.connections = 0

    @property
    def channels(self) -> set[MarketChannel]:
        return set(self._channels)

    def _streams(self, channels: Iterable[MarketChannel]) -> set[str]:
        return {s for ch in channels for s in streams_of(ch)}

    async def subscribe(self, channels: Iterable[MarketChannel]) -> None:
        new = [c for c in channels if c not in self._channels]
        wanted = self._streams(new) - self._streams(self._channels)
        self._channels.update(new)
        await self._send("SUBSCRIBE", wanted)

    async def unsubscribe(self, channels: Iterable[MarketChannel]) -> None:
        gone = [c for c in channels if c in self._channels]
        self._channels.difference_update(gone)
        await self._send("UNSUBSCRIBE", self._streams(gone) - self._streams(self._channels))

    async def _send(self, method: str, streams: Iterable[str]) -> None:
        ws = self._ws
        names = sorted(streams)
        if ws is None or not names:
            return  # subscribed on (re)connection
        with contextlib.suppress(ConnectionClosed):
            for i in range(0, len(names), MAX_PARAMS):
                body = {"method": method, "params": names[i : i + MAX_PARAMS], "id": next(self._ids)}
                await ws.send(orjson.dumps(body).decode())

    def _connect(self) -> Any:
        return open_ws(
            self.url, open_timeout_s=self.open_timeout_s, proxy=self.proxy,
            source_address=self.source_address, sources=self.sources,
        )

    def events(self) -> AsyncIterator[MarketEvent]:
        return reconnecting(
            self._connect,
            self._session,
            self._dropped,
            drops=DROPS,
            backoff_initial_s=self.backoff_initial_s,
            backoff_max_s=self.backoff_max_s,
        )

    async def _session(self, ws: ClientConnection) -> AsyncGenerator[MarketEvent, None]:
        self._ws = ws
        try:
            await self._send("SUBSCRIBE", self._streams(self._channels))
            self.connections += 1
            yield StreamStatus(True, _now_ms())
            async for raw in ws:
                for event in self._events(raw):
                    yield event
        finally:
            self._ws = None

    def _dropped(self, reason: str) -> MarketEvent:
        return StreamStatus(False, _now_ms(), reason)

    def _wants(self, kind: MarketKind, symbol: str, interval: str = "") -> bool:
        return MarketChannel(kind, symbol, interval) in self._channels

    def _events(self, raw: str | bytes) -> list[MarketEvent]:
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return []
        if isinstance(msg, dict) and "stream" in msg and isinstance(msg.get("data"), dict):
            msg = msg["data"]  # a combined stream's envelope
        if not isinstance(msg, dict):
            return []
        kind, symbol = msg.get("e"), str(msg.get("s", ""))
        out: list[MarketEvent] = []
        if kind == "markPriceUpdate":
            self._marks[symbol] = (d0(msg.get("p")), d0(msg.get("i")))
            if self._wants(MarketKind.FUNDING, symbol):
                at = integer(msg.get("E")) or _now_ms()
                out.append(FundingRate(symbol, d0(msg.get("r")), integer(msg.get("T")), None, None, at))
        elif kind == "bookTicker":
            self._books[symbol] = (d0(msg.get("b")), d0(msg.get("a")))
        elif kind == "24hrTicker":
            self._days[symbol] = (d0(msg.get("c")), d0(msg.get("P")) / 100, d0(msg.get("v")))
        if kind in ("markPriceUpdate", "bookTicker", "24hrTicker"):
            ticker = self._ticker(symbol, integer(msg.get("E")) or _now_ms())
            return out + ([ticker] if ticker is not None else [])
        if kind == "depthUpdate" and self._wants(MarketKind.DEPTH, symbol):
            return [
                Depth(
                    symbol,
                    _levels(msg.get("b")),
                    _levels(msg.get("a")),
                    integer(msg.get("E")) or _now_ms(),
                    integer(msg.get("u")) or None,
                )
            ]
        if kind == "kline" and isinstance(msg.get("k"), dict):
            return self._candle(symbol, msg["k"])
        return []

    def _ticker(self, symbol: str, at_ms: int) -> Ticker | None:
        """A ticker once the 24 h figures and the mark are both known, on each update of either."""
        day, marks = self._days.get(symbol), self._marks.get(symbol)
        if day is None or marks is None or not self._wants(MarketKind.TICKER, symbol):
            return None
        bid, ask = self._books.get(symbol, (_ZERO, _ZERO))
        return Ticker(symbol, day[0], marks[0], marks[1], day[1], day[2], bid, ask, at_ms)

    def _candle(self, symbol: str, k: dict[str, Any]) -> list[MarketEvent]:
        interval = next(
            (
                c.interval
                for c in self._channels
                if c.kind is MarketKind.KLINE
                and c.symbol == symbol
                and c.interval.lower() == str(k.get("i", ""))
            ),
            None,
        )
        if interval is None:
            return []
        return [
            Candle(
                symbol,
                interval,
                False,
                integer(k.get("t")) // 1000,
                d0(k.get("o")),
                d0(k.get("h")),
                d0(k.get("l")),
                d0(k.get("c")),
                d0(k.get("v")),
            )
        ]

    async def close(self) -> None:
        ws = self._ws
        if ws is not None:
            await ws.close()
