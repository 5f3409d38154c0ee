"""The WebSocket market-data payloads built from the engine: k-lines, incremental depth, trade way."""

from __future__ import annotations

from decimal import Decimal as D

from perpdesk.sandbox.engine import Engine
from perpdesk.sandbox.engine.feeds import MarketFeeds
from perpdesk.sandbox.engine.user_pushes import plan_fields, trade_way
from tests.unit.sandbox_engine.conftest import Clock


def test_forming_kline_of_every_interval_equals_the_rest_aggregate(engine: Engine, clock: Clock) -> None:
    feeds = MarketFeeds(engine)
    sim = engine.state.markets["ETHUSDT"]
    for i in range(40):  # 40 prices over 20 minutes; the cached closed part must stay right
        engine.set_price("ETHUSDT", D("3000") + (i * 7) % 13)
        for minutes in (1, 5, 15, 30, 60, 1440, 10080):
            pushed = feeds.kline("ETHUSDT", "last", minutes, clock.now)
            now_s = clock.now // 1000
            rest = sim.klines("last", minutes, now_s, now_s)[-1]
            assert pushed is not None
            assert (pushed["o"], pushed["h"], pushed["l"], pushed["c"], pushed["v"], pushed["ts"]) == (
                rest["open_price"], rest["high_price"], rest["low_price"], rest["close_price"],
                rest["volume"], rest["timestamp"]), (i, minutes)
        clock.advance(30)


def test_depth_increase_updates_rebuild_the_book(engine: Engine, clock: Clock) -> None:
    feeds = MarketFeeds(engine)
    snap = feeds.increase_snapshot("BTCUSDT", 5, clock.now)
    local = {side: {r["price"]: r["vol"] for r in snap[side]} for side in ("bids", "asks")}
    version = snap["version"]
    assert feeds.increase_update("BTCUSDT", 5, clock.now) is None  # nothing changed: no push
    for price in ("95000.4", "94990", "95010"):
        engine.set_price("BTCUSDT", D(price))
        update = feeds.increase_update("BTCUSDT", 5, clock.now)
        assert update is not None and update["version"] == version + 1 and update["type"] == "update"
        version = update["version"]
        for side in ("bids", "asks"):
            for row in update[side]:
                if row["vol"] == "0":
                    del local[side][row["price"]]
                else:
                    local[side][row["price"]] = row["vol"]
        full = feeds.depth_all("BTCUSDT", 5, clock.now)
        assert local == {side: {r["price"]: r["vol"] for r in full[side]} for side in ("bids", "asks")}
    feeds.drop_increase("BTCUSDT", 5)
    assert feeds.increase_snapshot("BTCUSDT", 5, clock.now)["version"] > version  # never back


def test_trade_way_and_plan_fields() -> None:
    # taker buy-open against the book's opening seller: 1; taker sell-close: 7; maker sell-open: 1
    assert (trade_way(1, maker=False), trade_way(3, maker=False), trade_way(4, maker=True)) == (1, 7, 1)
    assert plan_fields(None)["trigger_price"] == "-" and set(plan_fields(None).values()) == {"-"}
