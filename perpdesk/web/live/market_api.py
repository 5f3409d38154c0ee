"""Server-sent market data for open pages (the terminal's chart, book and funding line).

`GET /api/live/market/{exchange}/{symbol}?depth=true&kline=1m&mark_kline=1m&funding=true`: the
ticker always, plus the channels asked for. The channels are held in the shared MarketHub for as
long as the stream is open (reference-counted with every other user of the symbol), so a hundred
pages on BTCUSDT cost one exchange subscription. The latest value of each channel the hub already
has is sent first; then `ticker`, `depth`, `candle`, `funding` events (Decimal strings) and
`status` when the exchange connection drops or comes back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from perpdesk.core.errors import InputError
from perpdesk.core.market import INTERVALS, MarketChannel, MarketKind
from perpdesk.exchanges.registry import exchange_ids
from perpdesk.live.bus import market_topic
from perpdesk.live.runtime import LiveRuntime
from perpdesk.live.views import jsonable
from perpdesk.web.deps import CurrentUser, CurrentUserDep
from perpdesk.web.live.common import SSE_RESPONSE, live_runtime, sse_frame, unavailable
from perpdesk.web.live.session_stream import SessionStream

router = APIRouter(prefix="/api", tags=["live"])


def _channels(symbol: str, depth: bool, kline: str | None, mark_kline: str | None,
              funding: bool) -> list[MarketChannel]:
    chans = [MarketChannel(MarketKind.TICKER, symbol)]
    if depth:
        chans.append(MarketChannel(MarketKind.DEPTH, symbol))
    for field, kind, interval in (("kline", MarketKind.KLINE, kline),
                                  ("mark_kline", MarketKind.MARK_KLINE, mark_kline)):
        if interval:
            if interval not in INTERVALS:
                raise InputError(field, "is not an interval",
                                 f"Use one of {', '.join(INTERVALS)}.")
            chans.append(MarketChannel(kind, symbol, interval))
    if funding:
        chans.append(MarketChannel(MarketKind.FUNDING, symbol))
    return chans


def _current(runtime: LiveRuntime, exchange: str, chans: list[MarketChannel]) -> list[tuple[str, Any]]:
    hub = runtime.hub
    out: list[tuple[str, Any]] = []
    for ch in chans:
        key = (exchange, ch.symbol)
        if ch.kind is MarketKind.TICKER and key in hub.tickers:
            out.append(("ticker", hub.tickers[key]))
        elif ch.kind is MarketKind.DEPTH and key in hub.books:
            out.append(("depth", hub.books[key]))
        elif ch.kind is MarketKind.FUNDING and key in hub.funding:
            out.append(("funding", hub.funding[key]))
        elif ch.kind in (MarketKind.KLINE, MarketKind.MARK_KLINE):
            candle = hub.candles.get((exchange, ch.symbol, ch.interval, ch.kind is MarketKind.MARK_KLINE))
            if candle is not None:
                out.append(("candle", candle))
    return out


async def _events(request: Request, runtime: LiveRuntime, user: CurrentUser, exchange: str,
                  chans: list[MarketChannel]) -> AsyncIterator[bytes]:
    symbol = chans[0].symbol
    wanted = {(c.kind, c.interval) for c in chans}
    sub = runtime.bus.subscribe([market_topic(exchange, symbol)])
    stream = SessionStream(request, runtime, user, sub)
    await runtime.hub.acquire(exchange, chans)
    try:
        yield b"retry: 2000\n\n"
        for kind, value in _current(runtime, exchange, chans):
            yield sse_frame(kind, jsonable(value))
        async for event in stream.events():
            if event is None:
                yield b": heartbeat\n\n"
                continue
            if event.kind == "candle":  # only the intervals this page asked for
                kind = MarketKind.MARK_KLINE if event.data.get("mark") else MarketKind.KLINE
                if (kind, event.data.get("interval")) not in wanted:
                    continue
            elif event.kind == "depth" and (MarketKind.DEPTH, "") not in wanted:
                continue
            elif event.kind == "funding" and (MarketKind.FUNDING, "") not in wanted:
                continue
            yield sse_frame(event.kind, event.data, event.seq)
    finally:
        stream.close()
        sub.close()
        await runtime.hub.release(exchange, chans)


@router.get("/live/market/{exchange}/{symbol}", summary="Server-sent market data of one symbol",
            response_class=StreamingResponse, responses=SSE_RESPONSE)
async def market_stream(request: Request, user: CurrentUserDep, exchange: str, symbol: str,
                        depth: bool = False, kline: str | None = None, mark_kline: str | None = None,
                        funding: bool = False) -> Any:
    runtime = live_runtime(request)
    if runtime is None:
        return unavailable("Live market data is off on this platform (PERPDESK_LIVE_ENABLED).")
    symbol = symbol.strip().upper()
    try:
        connector = runtime.hub.connector_for(exchange)
    except Exception as exc:
        raise InputError(
            "exchange", "is not a supported exchange", f"Use one of: {', '.join(exchange_ids())}."
        ) from exc
    if symbol not in {i.symbol for i in await connector.instruments()}:
        raise InputError("symbol", "is not listed on this exchange",
                         "Use a symbol from /api/accounts/{id}/instruments, e.g. BTCUSDT.")
    chans = _channels(symbol, depth, kline, mark_kline, funding)
    return StreamingResponse(_events(request, runtime, user, exchange, chans), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
