"""Market data subscribed once per exchange, symbol and channel, shared by every user.

`acquire`/`release` count references per channel; the first acquire subscribes on one of the
exchange's public connections (a new one once each carries `channels_per_connection`), the last
release unsubscribes. The latest ticker, book, candles and funding rate of each symbol are kept
for the read paths (no exchange request on a page load) and dropped when their connection drops
(after a reconnection only new pushes count as current); every event is published on the bus
(`market:<exchange>:<symbol>`), and listeners (the mirrors holding a position in the symbol) are
called with every new mark price.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from perpdesk.core.background import stop_task
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
from perpdesk.exchanges.base import FuturesConnector, MarketStream
from perpdesk.live.bus import EventBus, market_topic
from perpdesk.live.stream_guard import consume
from perpdesk.live.views import jsonable

log = logging.getLogger(__name__)
MarkListener = Callable[[str, Decimal], None]  # (symbol, mark price)
CHANNELS_PER_CONNECTION = 150  # BitMart serves at most 200 groups per connection


@dataclass(eq=False)
class _Conn:
    """One public connection and the channels it carries."""

    stream: MarketStream
    task: asyncio.Task[None] | None = None
    channels: set[MarketChannel] = field(default_factory=set)
    connected: bool = False
    since_ms: int = 0


@dataclass
class _Exchange:
    refs: dict[MarketChannel, int] = field(default_factory=dict)
    conns: list[_Conn] = field(default_factory=list)
    where: dict[MarketChannel, _Conn] = field(default_factory=dict)


class MarketHub:
    def __init__(self, connector_for: Callable[[str], FuturesConnector], bus: EventBus, *,
                 channels_per_connection: int = CHANNELS_PER_CONNECTION) -> None:
        self.connector_for = connector_for
        self.bus = bus
        self.channels_per_connection = channels_per_connection
        self._ex: dict[str, _Exchange] = {}
        self.tickers: dict[tuple[str, str], Ticker] = {}
        self.books: dict[tuple[str, str], Depth] = {}
        self.funding: dict[tuple[str, str], FundingRate] = {}
        self.candles: dict[tuple[str, str, str, bool], Candle] = {}
        self._listeners: dict[tuple[str, str], set[MarkListener]] = {}
        self._lock = asyncio.Lock()

    # ---- references --------------------------------------------------------------------------
    async def acquire(self, exchange: str, channels: Iterable[MarketChannel]) -> None:
        async with self._lock:
            ex = self._ex.setdefault(exchange, _Exchange())
            placed: dict[_Conn, list[MarketChannel]] = {}
            for ch in channels:
                ex.refs[ch] = ex.refs.get(ch, 0) + 1
                if ex.refs[ch] == 1:
                    conn = self._room(exchange, ex)
                    conn.channels.add(ch)
                    ex.where[ch] = conn
                    placed.setdefault(conn, []).append(ch)
            for conn, chans in placed.items():
                await conn.stream.subscribe(chans)

    async def release(self, exchange: str, channels: Iterable[MarketChannel]) -> None:
        async with self._lock:
            ex = self._ex.get(exchange)
            if ex is None:
                return
            gone: dict[_Conn, list[MarketChannel]] = {}
            for ch in channels:
                n = ex.refs.get(ch, 0) - 1
                if n > 0:
                    ex.refs[ch] = n
                    continue
                if ex.refs.pop(ch, None) is None:
                    continue
                conn = ex.where.pop(ch)
                conn.channels.discard(ch)
                gone.setdefault(conn, []).append(ch)
                self._forget(exchange, ch)
            for conn, chans in gone.items():
                await conn.stream.unsubscribe(chans)

    def _room(self, exchange: str, ex: _Exchange) -> _Conn:
        """A connection with room for one more channel (BitMart: 200 groups per connection)."""
        for conn in ex.conns:
            if len(conn.channels) < self.channels_per_connection:
                return conn
        conn = _Conn(self.connector_for(exchange).market_stream(), since_ms=int(time.time() * 1000))
        conn.task = asyncio.create_task(self._run(exchange, conn), name=f"market:{exchange}:{len(ex.conns)}")
        ex.conns.append(conn)
        return conn

    def refcount(self, exchange: str, channel: MarketChannel) -> int:
        ex = self._ex.get(exchange)
        return ex.refs.get(channel, 0) if ex else 0

    def connections(self, exchange: str) -> int:
        ex = self._ex.get(exchange)
        return len(ex.conns) if ex else 0

    def _forget(self, exchange: str, ch: MarketChannel) -> None:
        key = (exchange, ch.symbol)
        if ch.kind is MarketKind.TICKER:
            self.tickers.pop(key, None)
        elif ch.kind is MarketKind.DEPTH:
            self.books.pop(key, None)
        elif ch.kind is MarketKind.FUNDING:
            self.funding.pop(key, None)
        else:
            self.candles.pop((exchange, ch.symbol, ch.interval, ch.kind is MarketKind.MARK_KLINE), None)

    # ---- mark listeners ------------------------------------------------------------------------
    def listen(self, exchange: str, symbol: str, fn: MarkListener) -> None:
        self._listeners.setdefault((exchange, symbol), set()).add(fn)

    def unlisten(self, exchange: str, symbol: str, fn: MarkListener) -> None:
        fns = self._listeners.get((exchange, symbol))
        if fns is not None:
            fns.discard(fn)
            if not fns:
                del self._listeners[(exchange, symbol)]

    # ---- reads ---------------------------------------------------------------------------------
    def connected(self, exchange: str, channel: MarketChannel | None = None) -> bool:
        """Is the connection carrying `channel` up (without one: are all of the exchange's)?"""
        ex = self._ex.get(exchange)
        if ex is None:
            return False
        if channel is not None:
            conn = ex.where.get(channel)
            return bool(conn and conn.connected)
        return bool(ex.conns) and all(c.connected for c in ex.conns)

    def mark(self, exchange: str, symbol: str) -> Decimal | None:
        """The latest mark price while its stream is up; None when unknown or stale."""
        t = self.tickers.get((exchange, symbol))
        if t is None or not self.connected(exchange, MarketChannel(MarketKind.TICKER, symbol)):
            return None
        return t.mark_price

    # ---- the stream ----------------------------------------------------------------------------
    async def _run(self, exchange: str, conn: _Conn) -> None:
        async def apply(event: MarketEvent) -> None:
            try:
                self._apply(exchange, conn, event)
            except Exception:  # one bad push never stops market data for everyone
                log.exception("market event of %s not applied", exchange)

        def failed(exc: Exception, delay: float) -> bool:
            log.exception("market stream of %s failed; restarting in %.0f s", exchange, delay)
            self._apply(exchange, conn, StreamStatus(False, int(time.time() * 1000), "failed"))
            return True

        await consume(conn.stream.events, apply, failed)

    def _apply(self, exchange: str, conn: _Conn, event: MarketEvent) -> None:
        if isinstance(event, StreamStatus):
            conn.connected, conn.since_ms = event.connected, event.at_ms
            if not event.connected:
                for ch in conn.channels:
                    self._forget(exchange, ch)
            symbols = {ch.symbol for ch in conn.channels}
            for symbol in symbols:
                for fn in list(self._listeners.get((exchange, symbol), ())):
                    fn(symbol, Decimal(0))  # 0: "look again", the mark may be stale now
                self.bus.publish(market_topic(exchange, symbol), "status",
                                 {"connected": event.connected, "at_ms": event.at_ms, "reason": event.reason})
            return
        symbol = event.symbol
        key = (exchange, symbol)
        if isinstance(event, Ticker):
            self.tickers[key] = event
            for fn in list(self._listeners.get(key, ())):
                fn(symbol, event.mark_price)
            kind = "ticker"
        elif isinstance(event, Depth):
            self.books[key] = event
            kind = "depth"
        elif isinstance(event, FundingRate):
            self.funding[key] = event
            kind = "funding"
        else:
            self.candles[(exchange, symbol, event.interval, event.mark)] = event
            kind = "candle"
        topic = market_topic(exchange, symbol)
        if self.bus.subscriber_count(topic):  # build the JSON only for someone
            self.bus.publish(topic, kind, jsonable(event))

    async def aclose(self) -> None:
        for ex in self._ex.values():
            for conn in ex.conns:
                await stop_task(conn.task)
        self._ex.clear()
