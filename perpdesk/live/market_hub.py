"""Market data subscribed once per exchange, symbol and channel, shared by every user.

`acquire`/`release` count references per channel; the first acquire subscribes on the
exchange's one public connection, the last release unsubscribes. The latest ticker, book and
funding rate of each symbol are kept for the read paths (no exchange request on a page load),
every event is published on the bus (`market:<exchange>:<symbol>`), and listeners (the mirrors
holding a position in the symbol) are called with every new mark price.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

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
from perpdesk.live.views import jsonable

log = logging.getLogger(__name__)
MarkListener = Callable[[str, Decimal], None]  # (symbol, mark price)


@dataclass
class _Exchange:
    stream: MarketStream
    task: asyncio.Task[None] | None = None
    refs: dict[MarketChannel, int] = field(default_factory=dict)
    connected: bool = False
    since_ms: int = 0


class MarketHub:
    def __init__(self, connector_for: Callable[[str], FuturesConnector], bus: EventBus) -> None:
        self.connector_for = connector_for
        self.bus = bus
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
            ex = self._exchange(exchange)
            new = []
            for ch in channels:
                ex.refs[ch] = ex.refs.get(ch, 0) + 1
                if ex.refs[ch] == 1:
                    new.append(ch)
            if new:
                await ex.stream.subscribe(new)

    async def release(self, exchange: str, channels: Iterable[MarketChannel]) -> None:
        async with self._lock:
            ex = self._ex.get(exchange)
            if ex is None:
                return
            gone = []
            for ch in channels:
                n = ex.refs.get(ch, 0) - 1
                if n <= 0:
                    ex.refs.pop(ch, None)
                    gone.append(ch)
                    self._forget(exchange, ch)
                else:
                    ex.refs[ch] = n
            if gone:
                await ex.stream.unsubscribe(gone)

    def refcount(self, exchange: str, channel: MarketChannel) -> int:
        ex = self._ex.get(exchange)
        return ex.refs.get(channel, 0) if ex else 0

    def _exchange(self, exchange: str) -> _Exchange:
        ex = self._ex.get(exchange)
        if ex is None:
            ex = _Exchange(self.connector_for(exchange).market_stream())
            ex.since_ms = int(time.time() * 1000)
            ex.task = asyncio.create_task(self._run(exchange, ex), name=f"market:{exchange}")
            self._ex[exchange] = ex
        return ex

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
    def connected(self, exchange: str) -> bool:
        ex = self._ex.get(exchange)
        return bool(ex and ex.connected)

    def mark(self, exchange: str, symbol: str) -> Decimal | None:
        """The latest mark price while the stream is up; None when unknown or stale."""
        t = self.tickers.get((exchange, symbol))
        return t.mark_price if t is not None and self.connected(exchange) else None

    # ---- the stream ----------------------------------------------------------------------------
    async def _run(self, exchange: str, ex: _Exchange) -> None:
        delay = 1.0
        while True:  # the stream reconnects by itself; this only guards against its failure
            events = ex.stream.events()
            try:
                async for event in events:
                    try:
                        self._apply(exchange, ex, event)
                    except Exception:  # one bad push never stops market data for everyone
                        log.exception("market event of %s not applied", exchange)
                    delay = 1.0
            except Exception:
                log.exception("market stream of %s failed; restarting in %.0f s", exchange, delay)
                self._apply(exchange, ex, StreamStatus(False, int(time.time() * 1000), "failed"))
            finally:
                await events.aclose()  # type: ignore[attr-defined]
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    def _apply(self, exchange: str, ex: _Exchange, event: MarketEvent) -> None:
        if isinstance(event, StreamStatus):
            ex.connected, ex.since_ms = event.connected, event.at_ms
            for (exch, symbol), fns in list(self._listeners.items()):
                if exch == exchange:
                    for fn in list(fns):
                        fn(symbol, Decimal(0))  # 0: "look again", the mark may be stale now
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
            if ex.task is not None:
                ex.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ex.task
        self._ex.clear()
