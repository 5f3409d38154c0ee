"""Binance's REST envelope through the in-memory transport: the signature over the exact query
string, the clock resynchronised once on -1021, the weight and order-count headers followed,
429/418 stopping every request until Retry-After, Binance's codes as typed errors, and a lost
order answer becoming `unknown` with the recvWindow deadline (never resent)."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest

from perpdesk.core import errors as E
from perpdesk.core.models import (
    Credentials,
    MarginMode,
    OrderRequest,
    OrderSide,
    PlacementStatus,
    new_client_order_id,
)
from perpdesk.core.terminal import PlanRequest
from perpdesk.exchanges.base import FuturesConnector, TerminalConnector
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.exchanges.binance.codes import UnknownKey, to_error
from perpdesk.exchanges.binance.rest import BinanceRest
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.registry import BINANCE, Egress, Endpoints
from perpdesk.http import ConnectionLost, HttpRequest, HttpResponse, InMemoryTransport
from perpdesk.http.transport import response

CREDS = Credentials("k" * 64, "s" * 64)
NOW = 1_700_000_000_000


def ok(data: object, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    return response(200, orjson.dumps(data), headers)


def fail(status: int, code: int, msg: str, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    return response(status, orjson.dumps({"code": code, "msg": msg}), headers)


def fresh_clock(offset_ms: int = 0) -> ExchangeClock:
    clock = ExchangeClock(wall_ms=lambda: NOW)
    clock.record(NOW + offset_ms, NOW, NOW)  # measured: no /fapi/v1/time call
    return clock


RULES = {
    "symbols": [
        {
            "symbol": "BTCUSDT",
            "baseAsset": "BTC",
            "quoteAsset": "USDT",
            "filters": [
                {"filterType": "PRICE_FILTER", "tickSize": "0.1"},
                {"filterType": "LOT_SIZE", "stepSize": "0.001", "minQty": "0.001", "maxQty": "100"},
            ],
        }
    ]
}


def account_setup(req: HttpRequest, *, hedge: bool) -> HttpResponse | None:
    """The symbol's rules and the account's position mode, as an order needs them first."""
    if req.target.startswith("/fapi/v1/exchangeInfo"):
        return ok(RULES)
    if req.target.startswith("/fapi/v1/positionSide/dual"):
        return ok({"dualSidePosition": hedge})
    return None


def query(req: HttpRequest) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(req.target).query))


def test_the_connector_is_a_terminal_connector_without_fast_connect() -> None:
    conn = BinanceFuturesConnector("https://fapi.example")
    assert isinstance(conn, FuturesConnector) and isinstance(conn, TerminalConnector)
    assert conn.info.credential_fields == ("api_key", "secret") and not conn.info.supports_fast_connect
    built = BINANCE.connector(Endpoints("https://fapi.binance.com", "https://www.binance.com"), Egress())
    assert isinstance(built, BinanceFuturesConnector) and BINANCE.fast_connect is None
    assert built.sapi.origin.host == "api.binance.com"  # the key's restrictions live on the spot host
    # Binance's default recvWindow; a shorter exchange window (a test sandbox's) caps it
    assert built.rest.recv_window_ms == 5000
    short = BINANCE.connector(Endpoints("http://127.0.0.1:1", "http://127.0.0.1:1", window_s=2.0), Egress())
    assert isinstance(short, BinanceFuturesConnector) and short.rest.recv_window_ms == 2000


async def test_a_signed_call_signs_its_exact_query_string() -> None:
    transport = InMemoryTransport(lambda req: ok({"orderId": 7}))
    rest = BinanceRest("https://fapi.example", transport, clock=fresh_clock(1234), recv_window_ms=4000)
    await rest.call(
        "POST", "/fapi/v1/order", {"symbol": "BTCUSDT", "quantity": "0.010", "reduceOnly": True}, CREDS
    )
    [req] = transport.requests
    path, qs = req.target.split("?")
    signed, signature = qs.rsplit("&signature=", 1)
    assert path == "/fapi/v1/order" and req.body == b""
    assert signed == f"symbol=BTCUSDT&quantity=0.010&reduceOnly=true&recvWindow=4000&timestamp={NOW + 1234}"
    assert signature == hmac.new(b"s" * 64, signed.encode(), hashlib.sha256).hexdigest()
    assert dict(req.headers)["X-MBX-APIKEY"] == "k" * 64
    assert "s" * 64 not in req.target and all("s" * 64 not in v for _, v in req.headers)


async def test_timestamp_refusal_resynchronises_once_then_is_typed() -> None:
    served = {"time": 0, "refusals": 1}

    def handler(req: HttpRequest) -> HttpResponse:
        if req.target == "/fapi/v1/time":
            served["time"] += 1
            return ok({"serverTime": NOW + 300_000})
        if served["refusals"] > 0:
            served["refusals"] -= 1
            return fail(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        return ok([])

    clock = fresh_clock()
    rest = BinanceRest("https://fapi.example", InMemoryTransport(handler), clock=clock)
    assert await rest.call("GET", "/fapi/v2/balance", None, CREDS) == []
    assert served["time"] == 1 and clock.offset_ms == 300_000
    served["refusals"] = 2  # refused again after the resync: the clock itself is wrong
    with pytest.raises(E.TimestampOutOfWindow) as refused:
        await rest.call("GET", "/fapi/v2/balance", None, CREDS)
    assert refused.value.exchange_code == -1021 and "NTP" in refused.value.next_step


async def test_weight_and_order_counts_are_followed_and_a_429_stops_sending() -> None:
    answers = [
        ok(
            {"orderId": 1},
            [
                ("X-MBX-USED-WEIGHT-1M", "2300"),
                ("X-MBX-ORDER-COUNT-10S", "299"),
                ("X-MBX-ORDER-COUNT-1M", "400"),
            ],
        ),
        fail(429, -1003, "Too many requests", [("Retry-After", "30"), ("X-MBX-USED-WEIGHT-1M", "2401")]),
    ]
    transport = InMemoryTransport(lambda req: answers.pop(0))
    rest = BinanceRest("https://fapi.example", transport, clock=fresh_clock())
    await rest.call("POST", "/fapi/v1/order", {"symbol": "BTCUSDT"}, CREDS, orders=1)
    ten, minute = rest.limiter.orders(CREDS.api_key)
    assert (rest.limiter.weight.used, ten.used, minute.used) == (2300, 299, 400)
    assert not rest.limiter.try_acquire("/fapi/v1/order", CREDS.api_key, 2)  # 301 > 300 in 10 s
    with pytest.raises(E.RateLimited) as limited:
        await rest.call("GET", "/fapi/v1/openOrders", None, CREDS)
    assert limited.value.retry_after == 30
    with pytest.raises(E.RateLimited, match="was not sent"):  # nothing leaves until Retry-After
        await rest.call("GET", "/fapi/v1/openOrders", None, CREDS)
    assert len(transport.requests) == 2


@pytest.mark.parametrize(
    ("header", "wait_s"),
    [("0", 0.0), ("2", 2.0), (None, 60.0), ("soon", 60.0), ("-5", 60.0), ("nan", 60.0),
     ("999999999", 259_200.0)],
)
def test_retry_after_zero_means_now_and_a_missing_one_a_minute(header: str | None, wait_s: float) -> None:
    from perpdesk.exchanges.binance.rest import retry_after_s

    assert retry_after_s(header) == wait_s


@pytest.mark.parametrize(
    ("status", "code", "msg", "kind"),
    [
        (400, -1022, "Signature for this request is not valid.", E.InvalidSignature),
        (401, -2014, "API-key format invalid.", UnknownKey),
        (
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action. — this key is restricted to other IP addresses",
            E.IpNotAllowed,
        ),
        (
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action. — enable Futures on this API key",
            E.PermissionMissing,
        ),
        (
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action, request ip: 1.2.3.4",
            E.AuthenticationFailed,
        ),
        (418, -1003, "Way too many requests; IP banned until 1700000000000.", E.RateLimited),
        (400, -2019, "Margin is insufficient.", E.InsufficientMargin),
        (400, -2011, "Unknown order sent.", E.OrderNotFound),
        (400, -4164, "Order's notional must be no smaller than the minimum", E.InvalidOrder),
        (503, -1001, "Internal error", E.ExchangeUnavailable),
    ],
)
def test_binance_codes_are_typed(status: int, code: int, msg: str, kind: type[E.ExchangeError]) -> None:
    err = to_error(status, code, msg, order_endpoint=True)
    assert type(err) is kind and err.exchange_code == code and err.headline and err.next_step is not None


async def test_a_lost_order_answer_is_unknown_with_the_recv_window_deadline() -> None:
    def handler(req: HttpRequest) -> HttpResponse:
        setup = account_setup(req, hedge=True)
        if setup is not None:
            return setup
        if req.method == "POST":
            raise ConnectionLost("reset after the request was sent", maybe_sent=True)
        return fail(400, -2013, "Order does not exist.")

    transport = InMemoryTransport(handler)
    conn = BinanceFuturesConnector(
        "https://fapi.example",
        clock=fresh_clock(-500),
        settle_attempts=2,
        settle_delay_s=0,
        recv_window_ms=5000,
        settle_margin_s=2,
    )
    conn.rest.http = conn.sapi.http = transport
    order = OrderRequest(
        "BTCUSDT", OrderSide.BUY_OPEN_LONG, Decimal("0.01"), new_client_order_id(), price=Decimal(100)
    )
    result = await conn.place_order(CREDS, order)
    assert result.status is PlacementStatus.UNKNOWN and isinstance(result.error, E.UnknownOutcome)
    assert result.sent_timestamp_ms == NOW - 500
    assert result.decided_after_ms == NOW - 500 + 5000 + 500 + 2000  # its window closed, on our clock
    posts = [r for r in transport.requests if r.method == "POST"]
    assert len(posts) == 1  # never resent
    lookups = [query(r) for r in transport.requests if r.target.startswith("/fapi/v1/order?")]
    assert [q.get("origClientOrderId") for q in lookups[1:]] == [order.client_order_id] * 2


async def test_a_lost_algo_order_answer_is_settled_by_its_client_algo_id() -> None:
    tries = {"look-ups": 0}

    def handler(req: HttpRequest) -> HttpResponse:
        setup = account_setup(req, hedge=False)
        if setup is not None:
            return setup
        if req.method == "POST":
            raise ConnectionLost("reset after the request was sent", maybe_sent=True)
        tries["look-ups"] += 1
        if tries["look-ups"] == 1:  # not visible yet on the first look
            return fail(400, -2013, "Order does not exist.")
        return ok({"algoId": 9, "clientAlgoId": query(req)["clientAlgoId"]})

    transport = InMemoryTransport(handler)
    conn = BinanceFuturesConnector(
        "https://fapi.example", clock=fresh_clock(), settle_attempts=3, settle_delay_s=0
    )
    conn.rest.http = transport
    plan = PlanRequest(
        "BTCUSDT",
        OrderSide.SELL_CLOSE_LONG,
        Decimal("0.01"),
        Decimal(90),
        new_client_order_id(),
        Decimal(5),
        MarginMode.CROSS,
        rising=False,
    )
    conn.modes.remember(CREDS.api_key, [{"symbol": "BTCUSDT", "leverage": "5", "marginType": "cross"}])
    result = await conn.place_plan(CREDS, plan)
    assert (result.status, result.order_id) == (PlacementStatus.PLACED, "9")
    [post] = [query(r) for r in transport.requests if r.method == "POST"]
    assert (post["type"], post["side"], post["reduceOnly"]) == (
        "STOP_MARKET",
        "SELL",
        "true",
    )  # one-way close
    assert post["clientAlgoId"] == plan.client_order_id and tries["look-ups"] == 2
