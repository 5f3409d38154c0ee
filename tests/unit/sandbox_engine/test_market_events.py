"""Public market data, WebSocket events, plan and TP/SL triggers, wallets and transfers."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from perpdesk.sandbox.engine import Engine, EngineError, EngineEvent
from perpdesk.sandbox.engine.feeds import MarketFeeds
from tests.unit.sandbox_engine.conftest import T0, Clock


def payload(e: EngineEvent) -> Any:
    return e.data


def test_contract_details_and_brackets(engine: Engine) -> None:
    rows = {r["symbol"]: r for r in engine.contract_details()["symbols"]}
    assert set(rows) == set(engine.symbols()) and len(rows) >= 50
    btc = rows["BTCUSDT"]
    assert (btc["contract_size"], btc["price_precision"], btc["vol_precision"]) == ("0.001", "0.1", "1")
    assert (btc["last_price"], btc["index_price"], btc["max_leverage"]) == ("95000", "95000", "100")
    assert rows["ETHUSDT"]["contract_size"] == "0.01" and rows["ETHUSDT"]["price_precision"] == "0.01"
    assert engine.contract_details("SOLUSDT")["symbols"][0]["last_price"] == "180"
    assert [r["symbol"] for r in engine.leverage_bracket()["rules"]] == engine.symbols()


def test_events_for_an_order_and_a_tick(engine: Engine, alice: str, events: list[EngineEvent]) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=10, type="market", client_order_id="e1")
    channels = [(e.channel, e.uid) for e in events]
    assert ("futures/order", alice) in channels
    assert ("futures/position", alice) in channels
    assert ("futures/asset:USDT", alice) in channels
    assert ("futures/trade:BTCUSDT", None) in channels
    orders = [payload(e)[0] for e in events if e.channel == "futures/order"]
    assert [o["action"] for o in orders] == [2, 1]
    done = orders[-1]["order"]
    assert (done["client_order_id"], done["state"], done["deal_size"]) == ("e1", 4, "10")
    assert done["last_trade"]["fillPrice"] == "95000.5"
    pos = payload(next(e for e in events if e.channel == "futures/position"))[0]
    assert (pos["symbol"], pos["hold_volume"], pos["position_type"]) == ("BTCUSDT", "10", 1)
    asset = next(e for e in events if e.channel == "futures/asset:USDT").data
    assert set(asset) == {"currency", "available_balance", "position_deposit", "frozen_balance"}

    events.clear()
    engine.tick()
    tickers = [payload(e) for e in events if e.channel == "futures/ticker"]
    assert sorted(t["symbol"] for t in tickers) == sorted(engine.symbols())  # one per symbol and tick
    btc = next(t for t in tickers if t["symbol"] == "BTCUSDT")
    assert (btc["mark_price"], btc["ask_price"], btc["bid_price"]) == ("95000", "95000.5", "94999.5")
    depth = MarketFeeds(engine).depth_all("BTCUSDT", 20, engine.now())
    assert len(depth["asks"]) == 20 and depth["bids"][0] == {"price": "94999.5", "vol": "2000"}


def test_a_failing_subscriber_does_not_break_trading(engine: Engine, alice: str) -> None:
    def boom(_: EngineEvent) -> None:
        raise RuntimeError("subscriber bug")

    unsubscribe = engine.subscribe(boom)
    engine.submit_order(alice, "BTCUSDT", side=1, size=1, type="market")
    unsubscribe()
    assert engine.position(alice, "BTCUSDT")[0]["current_amount"] == "1"


def test_plan_order_triggers_on_the_mark(engine: Engine, alice: str) -> None:
    out = engine.submit_plan_order(alice, "BTCUSDT", side=1, size=20, trigger_price=D("96000"),
                                   price_way=1, price_type=2, type="market", leverage=D(10),
                                   client_order_id="p1")
    plan = engine.current_plan_orders(alice, "BTCUSDT")[0]
    assert (plan["order_id"], plan["type"], plan["trigger_price"]) == (str(out["order_id"]), "plan", "96000")
    engine.set_price("BTCUSDT", D("95999.9"))
    assert engine.position(alice) == []
    engine.set_price("BTCUSDT", D("96000"))
    assert engine.current_plan_orders(alice) == []
    assert engine.position(alice, "BTCUSDT")[0]["current_amount"] == "20"
    with pytest.raises(EngineError) as exc:
        engine.cancel_plan_order(alice, "BTCUSDT", client_order_id="p1")
    assert exc.value.code == 40036
    with pytest.raises(EngineError) as exc:  # trigger far from the mark
        engine.submit_plan_order(alice, "BTCUSDT", side=1, size=1, trigger_price=D("1000"),
                                 price_way=2, price_type=1, type="market")
    assert exc.value.code == 40031


def test_stop_loss_and_preset_take_profit(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=30, type="market", leverage=D(10),
                        preset_take_profit_price=D("97000"))
    plans = engine.current_plan_orders(alice, plan_type="profit_loss")
    assert [(p["type"], p["plan_category"], p["trigger_price"]) for p in plans] == [
        ("take_profit", 2, "97000")]
    out = engine.submit_tp_sl_order(alice, "BTCUSDT", type="stop_loss", side=3, trigger_price=D("94000"),
                                    price_type=2, size=10, client_order_id="sl1")
    assert out["client_order_id"] == "sl1"
    engine.modify_tp_sl_order(alice, "BTCUSDT", client_order_id="sl1", trigger_price=D("94500"), price_type=2)
    engine.set_price("BTCUSDT", D("94500"))  # the stop fires: 10 of 30 closed at the bid
    assert engine.position(alice, "BTCUSDT")[0]["current_amount"] == "20"
    engine.set_price("BTCUSDT", D("97000"))  # the position TP closes whatever is left
    assert engine.position(alice) == []
    assert engine.current_plan_orders(alice) == []


def test_tp_sl_needs_a_position(engine: Engine, alice: str) -> None:
    with pytest.raises(EngineError) as exc:
        engine.submit_tp_sl_order(alice, "BTCUSDT", type="take_profit", side=3, trigger_price=D("97000"),
                                  price_type=1)
    assert exc.value.code == 40021


def test_klines_from_recorded_prices(clock: Clock) -> None:
    engine = Engine(None, seed=1, now_ms=clock)
    engine.price_walk = False
    start = T0 + 60_000
    for minute, price in enumerate(["95010", "95100", "94900", "95050"]):
        clock.now = start + minute * 20_000  # two minutes' worth of 20 s steps
        engine.set_price("BTCUSDT", D(price))
    bars = engine.kline("BTCUSDT", 1, start // 1000, (start + 120_000) // 1000)
    assert bars[0] == {"timestamp": start // 1000, "open_price": "95010", "close_price": "94900",
                       "high_price": "95100", "low_price": "94900", "volume": "0"}
    assert bars[1]["open_price"] == "95050"
    three = engine.markprice_kline("BTCUSDT", 3, start // 1000, (start + 120_000) // 1000)
    assert three[0]["high_price"] == "95100"
    with pytest.raises(EngineError) as exc:
        engine.kline("BTCUSDT", 2, 0, 1)
    assert exc.value.code == 40038


def test_market_trades_and_open_interest(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=7, type="market")
    trade = engine.market_trades("BTCUSDT")[0]
    assert (trade["price"], trade["qty"], trade["quote_qty"]) == ("95000.5", "7", "665.0035")
    assert engine.open_interest("BTCUSDT")["open_interest"] == "7"


def test_wallets_and_transfers(engine: Engine) -> None:
    engine.ensure_account("w")
    with pytest.raises(EngineError) as exc:
        engine.deposit("w", "XYZ", D("1"))
    assert exc.value.code == 60002
    engine.deposit("w", "USDT", D("100.5"))
    assert engine.spot_wallet("w") == {"wallet": [{"id": "USDT", "name": "Tether USD",
                                                   "available": "100.5", "frozen": "0"}]}
    with pytest.raises(EngineError) as exc:
        engine.transfer_contract("w", "USDT", D("200"), "spot_to_contract")
    assert exc.value.code == 60008
    with pytest.raises(EngineError) as exc:
        engine.transfer_contract("w", "USDT", D("0.001"), "spot_to_contract")
    assert exc.value.code == 60000
    assert engine.transfer_contract("w", "USDT", D("60"), "spot_to_contract") == {
        "currency": "USDT", "amount": "60"}
    engine.transfer_contract("w", "USDT", D("10"), "contract_to_spot")
    assert engine.account_wallet("w", "USDT")["wallet"][0]["available"] == "50.5"
    assert engine.assets_detail("w")[0]["available_balance"] == "50"
    recs = engine.transfer_contract_list("w", 1, 10)["records"]
    assert [(r["type"], r["amount"], r["state"]) for r in recs] == [
        ("contract_to_spot", "10", "FINISHED"), ("spot_to_contract", "60", "FINISHED")]
    assert engine.transfer_contract_list("w", 2, 10)["records"] == []


def test_close_all_position(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=10, type="market")
    engine.submit_order(alice, "BTCUSDT", side=4, size=5, type="market")
    engine.submit_order(alice, "ETHUSDT", side=4, size=5, type="market")
    engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("90000"))
    assert engine.close_all_position(alice, "BTCUSDT") == {}
    assert [p["symbol"] for p in engine.position(alice)] == ["ETHUSDT"]
    assert engine.open_orders(alice) == []
    engine.close_all_position(alice)
    assert engine.position(alice) == []
