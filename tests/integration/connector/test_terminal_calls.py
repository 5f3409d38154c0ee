"""The terminal's connector calls against the real sandbox: market data, plan, TP/SL and trailing
orders (placed, listed, modified, cancelled, fired), fills and the position-mode refusal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from perpdesk.core import errors as E
from perpdesk.core.market import PlanKind
from perpdesk.core.models import (
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderType,
    PlacementStatus,
    PositionMode,
    PositionSide,
)
from perpdesk.core.terminal import PlanRequest, PriceType, TrailRequest
from perpdesk.exchanges.bitmart import BitmartFuturesConnector, new_client_order_id
from tests.fixtures.sandbox import SandboxServer, prices_frozen
from tests.integration.connector.conftest import MakeCreds

SYMBOL = "SOLUSDT"


@pytest.fixture
def frozen(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    with prices_frozen(sandbox, SYMBOL, "180"):
        yield sandbox


async def open_long(connector: BitmartFuturesConnector, creds: object, size: str = "10") -> None:
    req = OrderRequest(
        SYMBOL,
        OrderSide.BUY_OPEN_LONG,
        Decimal(size),
        new_client_order_id(),
        type=OrderType.MARKET,
        leverage=Decimal(5),
        margin_mode=MarginMode.CROSS,
    )
    placed = await connector.place_order(creds, req)  # type: ignore[arg-type]
    assert placed.status is PlacementStatus.PLACED, placed


async def test_market_data(connector: BitmartFuturesConnector, frozen: SandboxServer) -> None:
    t = await connector.ticker(SYMBOL)
    assert t.symbol == SYMBOL and t.last_price == Decimal("180") and t.mark_price > 0
    assert t.next_funding_ms > time.time() * 1000
    now = int(time.time())
    candles = await connector.candles(SYMBOL, 1, now - 3600, now)
    assert candles and all(c.high >= c.low for c in candles)
    assert [c.time_s for c in candles] == sorted(c.time_s for c in candles)
    book = await connector.order_book(SYMBOL, depth=5)
    assert len(book.bids) == 5 and len(book.asks) == 5
    assert book.bids[0].price < book.asks[0].price
    assert book.bids[1].total == book.bids[0].size + book.bids[1].size
    with pytest.raises(E.ExchangeError):
        await connector.ticker("NOPEUSDT")


async def test_public_reads_are_shared_by_every_caller_for_a_moment(
    sandbox: SandboxServer, frozen: SandboxServer
) -> None:
    conn = BitmartFuturesConnector(sandbox.base_url, timeout_s=5)
    try:
        await conn.instruments()
        before = sandbox.admin.requests()["public"]
        now = int(time.time())
        reads = await asyncio.gather(
            *(conn.ticker(SYMBOL) for _ in range(10)),
            *(conn.order_book(SYMBOL) for _ in range(10)),
            *(conn.candles(SYMBOL, 1, now - 600, now) for _ in range(10)),
        )
        assert len({r.last_price for r in reads[:10]}) == 1  # type: ignore[union-attr]
        # ten pages opening one symbol: the ticker's three reads, one book, one k-line read
        assert sandbox.admin.requests()["public"] - before == 5
        frozen.admin.set_price(SYMBOL, "181")
        await asyncio.sleep(1.1)  # past the moment: read again, the new price
        assert (await conn.ticker(SYMBOL)).last_price == Decimal("181")
        with pytest.raises(E.ExchangeError):  # a failure is not kept
            await conn.ticker("NOPEUSDT")
        with pytest.raises(E.ExchangeError):
            await conn.ticker("NOPEUSDT")
        assert conn.shared_reads.requests == 3 + 1 + 2  # ticker, book, k-lines; again; both failures
    finally:
        await conn.aclose()


async def test_tp_sl_placed_listed_modified_cancelled(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, frozen: SandboxServer
) -> None:
    creds = make_creds()
    await open_long(connector, creds)
    await connector.set_tp_sl(creds, SYMBOL, PositionSide.LONG, stop_loss=Decimal("170"))
    (sl,) = await connector.plan_orders(creds, SYMBOL)
    assert sl.kind is PlanKind.STOP_LOSS and sl.trigger_price == Decimal("170")
    assert sl.side is OrderSide.SELL_CLOSE_LONG
    await connector.modify_tp_sl(creds, SYMBOL, sl.order_id, Decimal("171.5"))
    (sl2,) = await connector.plan_orders(creds, SYMBOL)
    assert sl2.trigger_price == Decimal("171.5")
    await connector.cancel_plan(creds, SYMBOL, sl.order_id)
    assert await connector.plan_orders(creds, SYMBOL) == []


async def test_plan_order_fires_when_the_trigger_is_crossed(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, frozen: SandboxServer
) -> None:
    creds = make_creds()
    req = PlanRequest(
        SYMBOL,
        OrderSide.BUY_OPEN_LONG,
        Decimal(4),
        Decimal("185"),
        new_client_order_id(),
        Decimal(5),
        MarginMode.CROSS,
        rising=True,
    )
    placed = await connector.place_plan(creds, req)
    assert placed.status is PlacementStatus.PLACED, placed
    (plan,) = await connector.plan_orders(creds, SYMBOL)
    assert plan.kind is PlanKind.PLAN and plan.size == Decimal(4)
    assert plan.client_order_id == req.client_order_id and plan.execution_price is None
    frozen.admin.set_price(SYMBOL, "186")
    assert await connector.plan_orders(creds, SYMBOL) == []
    (pos,) = await connector.positions(creds, SYMBOL)
    assert pos.side is PositionSide.LONG and pos.size == Decimal(4)
    fills = await connector.fills(creds, SYMBOL)
    assert fills and fills[0].size == Decimal(4) and fills[0].side == OrderSide.BUY_OPEN_LONG


async def test_bad_plan_is_rejected_locally(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    req = PlanRequest(
        SYMBOL,
        OrderSide.BUY_OPEN_LONG,
        Decimal(0),
        Decimal("185"),
        new_client_order_id(),
        Decimal(5),
        MarginMode.CROSS,
    )
    result = await connector.place_plan(make_creds(), req)
    assert result.status is PlacementStatus.REJECTED and "size" in str(result.error)


async def test_trailing_stop_fires_after_the_callback(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, frozen: SandboxServer
) -> None:
    creds = make_creds()
    await open_long(connector, creds)
    req = TrailRequest(
        SYMBOL,
        OrderSide.SELL_CLOSE_LONG,
        Decimal(10),
        Decimal("182"),
        Decimal(1),
        Decimal(5),
        MarginMode.CROSS,
        PriceType.LAST,
    )
    placed = await connector.place_trail(creds, req)
    assert placed.status is PlacementStatus.PLACED and placed.order_id
    (trail,) = await connector.plan_orders(creds, SYMBOL)
    assert trail.kind is PlanKind.TRAILING and trail.callback_rate == Decimal(1)
    assert await connector.open_orders(creds, SYMBOL) == []  # not listed as a plain order
    for price in ("183", "190", "188.5"):  # activates, runs up, falls back less than 1 %
        frozen.admin.set_price(SYMBOL, price)
    assert len(await connector.plan_orders(creds, SYMBOL)) == 1
    frozen.admin.set_price(SYMBOL, "188")  # 1.05 % below the high of 190: fires
    assert await connector.plan_orders(creds, SYMBOL) == []
    assert await connector.positions(creds, SYMBOL) == []


async def test_trailing_order_cancelled(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, frozen: SandboxServer
) -> None:
    creds = make_creds()
    req = TrailRequest(
        SYMBOL,
        OrderSide.BUY_OPEN_LONG,
        Decimal(3),
        Decimal("170"),
        Decimal("0.5"),
        Decimal(5),
        MarginMode.ISOLATED,
    )
    placed = await connector.place_trail(creds, req)
    assert placed.order_id
    await connector.cancel_trail(creds, SYMBOL, placed.order_id)
    assert await connector.plan_orders(creds, SYMBOL) == []


async def test_position_mode_switch_refused_while_a_position_is_open(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, frozen: SandboxServer
) -> None:
    creds = make_creds()
    await connector.set_position_mode(creds, PositionMode.ONE_WAY)
    assert await connector.position_mode(creds) is PositionMode.ONE_WAY
    await connector.set_position_mode(creds, PositionMode.HEDGE)
    await open_long(connector, creds, "2")
    with pytest.raises(E.ExchangeError):
        await connector.set_position_mode(creds, PositionMode.ONE_WAY)
    assert await connector.position_mode(creds) is PositionMode.HEDGE


async def test_unanswered_plan_order_is_settled_by_its_client_id_not_resent(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, frozen: SandboxServer
) -> None:
    creds = make_creds()
    frozen.admin.fault(
        "execute_then_drop", "/contract/private/submit-plan-order", times=1, api_key=creds.api_key
    )
    try:
        req = PlanRequest(
            SYMBOL,
            OrderSide.BUY_OPEN_LONG,
            Decimal(2),
            Decimal("190"),
            new_client_order_id(),
            Decimal(5),
            MarginMode.CROSS,
        )
        result = await connector.place_plan(creds, req)
    finally:
        frozen.admin.clear_faults()
    assert result.status is PlacementStatus.PLACED and result.order_id, result
    (plan,) = await connector.plan_orders(creds, SYMBOL)  # exactly one: never sent twice
    assert plan.client_order_id == req.client_order_id and plan.order_id == result.order_id


def trail_request(size: str = "10") -> TrailRequest:
    return TrailRequest(
        SYMBOL, OrderSide.SELL_CLOSE_LONG, Decimal(size), Decimal("182"), Decimal(1), Decimal(5),
        MarginMode.CROSS,
    )


async def test_unanswered_trailing_order_is_found_by_its_terms_never_resent(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, frozen: SandboxServer
) -> None:
    creds = make_creds()
    await open_long(connector, creds)
    other = await connector.place_trail(creds, trail_request("4"))  # another, with other terms
    assert other.status is PlacementStatus.PLACED, other
    frozen.admin.fault(
        "execute_then_drop", "/contract/private/submit-trail-order", times=1, api_key=creds.api_key
    )
    try:
        result = await connector.place_trail(creds, trail_request())
    finally:
        frozen.admin.clear_faults()
    trails = await connector.plan_orders(creds, SYMBOL)
    assert len(trails) == 2  # it was placed, once
    (mine,) = [t for t in trails if t.size == 10]
    assert result.status is PlacementStatus.PLACED and result.order_id == mine.order_id, result


async def test_trailing_order_not_listed_or_ambiguous_stays_unknown_never_rejected(
    connector: BitmartFuturesConnector, make_creds: MakeCreds, frozen: SandboxServer
) -> None:
    creds = make_creds()
    await open_long(connector, creds)
    path = "/contract/private/submit-trail-order"
    frozen.admin.fault("drop", path, times=1, api_key=creds.api_key)  # never reached the exchange
    try:
        lost = await connector.place_trail(creds, trail_request())
    finally:
        frozen.admin.clear_faults()
    assert lost.status is PlacementStatus.UNKNOWN and isinstance(lost.error, E.UnknownOutcome)
    assert "does not list it" in lost.error.message
    assert await connector.plan_orders(creds, SYMBOL) == []
    # two with the same terms: either could be the unanswered one, so it is not guessed
    assert (await connector.place_trail(creds, trail_request("5"))).status is PlacementStatus.PLACED
    frozen.admin.fault("execute_then_drop", path, times=1, api_key=creds.api_key)
    try:
        twin = await connector.place_trail(creds, trail_request("5"))
    finally:
        frozen.admin.clear_faults()
    assert twin.status is PlacementStatus.UNKNOWN and isinstance(twin.error, E.UnknownOutcome)
    assert "more than one" in twin.error.message
    assert len(await connector.plan_orders(creds, SYMBOL)) == 2
