"""The BitMart call objects built alone over the in-memory transport (no connector, no server):
each is given the rest client, the contract rules, the clock and the calls it depends on."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from perpdesk.core.models import Credentials, MarginMode, OrderSide, PlacementStatus, PositionSide
from perpdesk.core.terminal import TrailRequest
from perpdesk.exchanges.bitmart import BitmartFuturesConnector, parse
from perpdesk.exchanges.bitmart.account_calls import AccountCalls
from perpdesk.exchanges.bitmart.contracts import Contracts
from perpdesk.exchanges.bitmart.order_calls import OrderCalls
from perpdesk.exchanges.bitmart.rest import BitmartRest, Settling
from perpdesk.exchanges.bitmart.terminal_calls import TerminalCalls
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.shared_reads import SharedReads
from perpdesk.http import ConnectionLost, HttpRequest, HttpResponse, InMemoryTransport
from perpdesk.http.transport import response

CREDS = Credentials("key-1", "secret-1", "memo-1")
NOW_MS = 1_700_000_000_000
BTC = {"symbol": "BTCUSDT", "contract_size": "0.001", "price_precision": "0.1", "vol_precision": "1",
       "min_volume": "1", "max_volume": "100000", "min_leverage": "1", "max_leverage": "100",
       "last_price": "95000"}
Route = Callable[[HttpRequest], Any]


def _ok(data: object) -> HttpResponse:
    return response(200, orjson.dumps({"code": 1000, "message": "Ok", "data": data}))


def _calls(routes: dict[str, Route]) -> tuple[InMemoryTransport, OrderCalls, TerminalCalls]:
    """The call objects wired as the connector wires them; `routes` answers by path."""

    def answer(req: HttpRequest) -> HttpResponse:
        path = urlsplit(req.target).path
        if path == "/contract/public/details":
            return _ok({"symbols": [BTC]})
        if path == "/contract/public/leverage-bracket":
            return _ok({"rules": []})
        return _ok(routes[path](req))

    transport = InMemoryTransport(answer)
    clock = ExchangeClock(wall_ms=lambda: NOW_MS)
    clock.record(NOW_MS, NOW_MS, NOW_MS)  # fresh: no /system/time call
    rest = BitmartRest("https://api.example", transport, clock=clock)
    contracts = Contracts(rest)
    account = AccountCalls(rest, contracts)
    settling = Settling(attempts=2, delay_s=0)
    orders = OrderCalls(rest, contracts, clock, account, settling)
    terminal = TerminalCalls(rest, contracts, clock, account, settling, SharedReads())
    return transport, orders, terminal


def _sent(transport: InMemoryTransport, path: str) -> list[dict[str, Any]]:
    out = []
    for req in transport.requests:
        split = urlsplit(req.target)
        if split.path == path:
            out.append(orjson.loads(req.body) if req.body else dict(parse_qsl(split.query)))
    return out


async def test_closing_a_position_reads_it_through_the_account_calls() -> None:
    long_5 = {"symbol": "BTCUSDT", "position_side": "long", "current_amount": "5", "open_type": "isolated",
              "leverage": "10"}
    transport, orders, _ = _calls({
        "/contract/private/position-v2": lambda req: [long_5],
        "/contract/private/submit-order": lambda req: {"order_id": "77"},
    })
    result = await orders.close_position(CREDS, "BTCUSDT", PositionSide.LONG)
    assert (result.status, result.order_id) == (PlacementStatus.PLACED, "77")
    [submit] = _sent(transport, "/contract/private/submit-order")
    assert (submit["side"], submit["size"], submit["type"]) == (3, 5, "market")  # sell_close_long
    assert submit["open_type"] == "isolated"
    refused = await orders.close_position(CREDS, "BTCUSDT", PositionSide.SHORT)
    assert refused.status is PlacementStatus.REJECTED and refused.error is not None
    assert refused.error.field == "position"  # type: ignore[attr-defined]


async def test_a_lost_trailing_order_is_settled_from_the_account_s_waiting_orders() -> None:
    def lost(req: HttpRequest) -> Any:
        raise ConnectionLost("connection closed before the response", maybe_sent=True)

    trail = {"symbol": "BTCUSDT", "order_id": "t-9", "type": "trailing", "side": 1, "size": "3",
             "activation_price": "96000", "activation_price_type": 1, "callback_rate": "1",
             "create_time": NOW_MS}
    transport, _, terminal = _calls({
        "/contract/private/submit-trail-order": lost,
        "/contract/private/current-plan-order": lambda req: [],
        "/contract/private/get-open-orders": lambda req: [trail],
    })
    request = TrailRequest(symbol="BTCUSDT", side=OrderSide.BUY_OPEN_LONG, size=Decimal(3),
                           activation_price=Decimal(96000), callback_rate=Decimal(1), leverage=Decimal(10),
                           margin_mode=MarginMode.CROSS)
    result = await terminal.place_trail(CREDS, request)
    assert (result.status, result.order_id) == (PlacementStatus.PLACED, "t-9")
    assert len(_sent(transport, "/contract/private/submit-trail-order")) == 1  # looked up, never resent


async def test_connectors_may_share_the_contract_rules() -> None:
    first, second = BitmartFuturesConnector("http://127.0.0.1:1"), BitmartFuturesConnector("http://127.0.0.1:1")
    try:
        second.markets = first.markets  # as bench_live does: the rules are read once
        first.markets.replace([parse.instrument(BTC)])
        assert second.order_calls.markets.cache is first.markets
        assert [i.symbol for i in await second.instruments()] == ["BTCUSDT"]  # no request: fresh
    finally:
        await first.aclose()
        await second.aclose()
