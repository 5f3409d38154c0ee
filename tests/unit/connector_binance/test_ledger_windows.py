"""Binance answers userTrades for at most 7 days between startTime and endTime: a longer range
(the portfolio's fills, 30 days by default) is asked in adjoining windows of at most 7 days that
cover it exactly, and the fills of all of them are returned."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qsl, urlsplit

import orjson

from perpdesk.core.models import Credentials
from perpdesk.exchanges.binance.ledger import TRADES_SPAN_MS, Ledger
from perpdesk.exchanges.binance.rest import BinanceRest
from perpdesk.http import HttpRequest, HttpResponse, InMemoryTransport
from perpdesk.http.transport import response
from tests.unit.connector_binance.test_rest import fresh_clock

DAY = 86_400_000
START = 1_700_000_000_000


def trade(time_ms: int) -> dict[str, object]:
    return {"symbol": "ETHUSDT", "id": time_ms, "orderId": 1, "side": "BUY", "price": "3000", "qty": "0.1",
            "realizedPnl": "0", "quoteQty": "300", "commission": "0.12", "commissionAsset": "USDT",
            "time": time_ms, "positionSide": "LONG", "buyer": True, "maker": False}


async def test_a_thirty_day_range_is_asked_in_seven_day_windows() -> None:
    asked: list[tuple[int, int]] = []

    def handler(req: HttpRequest) -> HttpResponse:
        q = dict(parse_qsl(urlsplit(req.target).query))
        start, end = int(q["startTime"]), int(q["endTime"])
        asked.append((start, end))
        return response(200, orjson.dumps([trade(start)]))

    ledger = Ledger(BinanceRest("https://fapi.example", InMemoryTransport(handler), clock=fresh_clock()))
    end = START + 30 * DAY - 1
    fills = await ledger.fills(Credentials("k" * 64, "s" * 64), "ETHUSDT", start_ms=START, end_ms=end)
    asked.sort()
    assert all(e - s <= TRADES_SPAN_MS for s, e in asked) and len(asked) == 5
    assert asked[0][0] == START and asked[-1][1] == end
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(asked))  # adjoining, no gap
    assert sorted(f.time_ms for f in fills) == [s for s, _e in asked]

    asked.clear()
    await ledger.fills(Credentials("k" * 64, "s" * 64), "ETHUSDT", start_ms=START, end_ms=START + 7 * DAY)
    assert asked == [(START, START + 7 * DAY)]  # 7 days exactly: one call
