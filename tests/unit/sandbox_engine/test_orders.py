"""Order semantics: resting limits and maker fills, FOK / IOC / maker-only, client order ids,
cancel and modify, and the depth that shows resting orders."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from perpdesk.sandbox.engine import Engine, EngineError
from tests.unit.sandbox_engine.conftest import Clock, fund


def test_limit_rests_freezes_margin_then_fills_as_maker(engine: Engine, alice: str) -> None:
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=100, price=D("94990.2"), leverage=D(10),
                              client_order_id="abc123")
    assert out["price"] == "94990.2"
    oid = str(out["order_id"])
    o = engine.order(alice, "BTCUSDT", order_id=oid)
    assert (o["state"], o["deal_size"], o["client_order_id"], o["type"]) == (2, "0", "abc123", "limit")
    # frozen: 0.1 * 94990.2 = 9499.02 -> margin /10 = 949.902, fee estimate 0.06% = 5.699412
    a = engine.assets_detail(alice)[0]
    assert a["frozen_balance"] == "955.601412"
    assert a["available_balance"] == "9044.398588"
    # the resting bid shows in the depth at its price, between the synthetic levels
    bids = engine.depth("BTCUSDT")["bids"]
    assert ["94990.2", "100"] in [row[:2] for row in bids]
    assert engine.open_orders(alice, "BTCUSDT")[0]["order_id"] == oid

    engine.set_price("BTCUSDT", D("94995"))  # not reached yet
    assert engine.order(alice, "BTCUSDT", order_id=oid)["state"] == 2
    engine.set_price("BTCUSDT", D("94990.1"))  # the mark crosses the bid: maker fill at its price
    o = engine.order(alice, "BTCUSDT", order_id=oid)
    assert (o["state"], o["deal_size"], o["deal_avg_price"]) == (4, "100", "94990.2")
    t = engine.trades(alice, "BTCUSDT")[0]
    assert t["exec_type"] == "Maker"
    assert t["paid_fees"] == "1.899804"  # 9499.02 * 0.0002
    a = engine.assets_detail(alice)[0]
    assert a["frozen_balance"] == "0"
    assert a["position_deposit"] == "949.902"
    assert engine.open_orders(alice) == []
    assert "94990.2" not in [row[0] for row in engine.depth("BTCUSDT")["bids"]]


@pytest.fixture
def whale(engine: Engine) -> str:
    fund(engine, "whale", "1000000")
    engine.submit_leverage("whale", "BTCUSDT", "cross", D(20))
    return "whale"


def test_crossing_limit_takes_then_rests_the_rest(engine: Engine, whale: str) -> None:
    # asks at 95000.5 (2000) and 95001 (3000): a buy of 6000 at 95001 takes 5000 and rests 1000
    alice = whale
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=6000, price=D("95001"))
    o = engine.order(alice, "BTCUSDT", order_id=str(out["order_id"]))
    assert (o["state"], o["deal_size"]) == (2, "5000")
    avg = (D("95000.5") * 2000 + D("95001") * 3000) / 5000
    assert D(o["deal_avg_price"]) == avg
    assert engine.trades(alice)[0]["exec_type"] == "Taker"
    assert engine.position(alice, "BTCUSDT")[0]["current_amount"] == "5000"
    assert engine.open_orders(alice, "BTCUSDT", order_state="partially_filled")[0]["deal_size"] == "5000"


def test_fok_is_all_or_nothing(engine: Engine, whale: str) -> None:
    alice = whale
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=6000, price=D("95001"), mode=2)
    o = engine.order(alice, "BTCUSDT", order_id=str(out["order_id"]))
    assert (o["state"], o["deal_size"]) == (4, "0")
    assert engine.position(alice) == []
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=5000, price=D("95001"), mode=2)
    o = engine.order(alice, "BTCUSDT", order_id=str(out["order_id"]))
    assert (o["state"], o["deal_size"]) == (4, "5000")


def test_ioc_fills_what_it_can_and_cancels_the_rest(engine: Engine, whale: str) -> None:
    alice = whale
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=6000, price=D("95001"), mode=3)
    o = engine.order(alice, "BTCUSDT", order_id=str(out["order_id"]))
    assert (o["state"], o["deal_size"], o["size"]) == (4, "5000", "6000")
    assert engine.open_orders(alice) == []
    assert engine.assets_detail(alice)[0]["frozen_balance"] == "0"
    # an IOC that does not cross is simply cancelled
    out = engine.submit_order(alice, "BTCUSDT", side=4, size=10, price=D("96000"), mode=3)
    assert engine.order(alice, "BTCUSDT", order_id=str(out["order_id"]))["deal_size"] == "0"


def test_maker_only_refuses_to_take(engine: Engine, alice: str) -> None:
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("95000.5"), mode=4)
    assert exc.value.code == 40044
    assert engine.open_orders(alice) == []
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("95000"), mode=4)
    assert engine.order(alice, "BTCUSDT", order_id=str(out["order_id"]))["state"] == 2


def test_client_order_id_unique_among_live_and_findable_after(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("90000"), client_order_id="k1")
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("90000"), client_order_id="k1")
    assert (exc.value.code, exc.value.http_status) == (40050, 403)
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("9e4"), client_order_id="bad-id")
    assert exc.value.code == 40048
    with pytest.raises(EngineError) as exc:
        engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("9e4"), client_order_id="x" * 33)
    assert exc.value.code == 40049
    # another user may use the same id
    engine.ensure_account("bob")
    engine.deposit("bob", "USDT", D("1000"))
    engine.transfer_contract("bob", "USDT", D("1000"), "spot_to_contract")
    engine.submit_order("bob", "BTCUSDT", side=1, size=1, price=D("90000"), client_order_id="k1")

    assert engine.cancel_order(alice, "BTCUSDT", client_order_id="k1") == {}
    o = engine.order(alice, "BTCUSDT", client_order_id="k1")
    assert (o["state"], o["deal_size"]) == (4, "0")
    with pytest.raises(EngineError) as exc:
        engine.cancel_order(alice, "BTCUSDT", client_order_id="k1")
    assert exc.value.code == 40036
    # once finished, the id can be used again; lookups then find the newest order
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=2, type="market", client_order_id="k1")
    assert engine.order(alice, "BTCUSDT", client_order_id="k1")["order_id"] == str(out["order_id"])


def test_unknown_orders(engine: Engine, alice: str) -> None:
    with pytest.raises(EngineError) as exc:
        engine.cancel_order(alice, "BTCUSDT", client_order_id="nope")
    assert exc.value.code == 40037
    with pytest.raises(EngineError) as exc:
        engine.order(alice, "BTCUSDT", order_id="123")
    assert exc.value.code == 40035
    # another user's order is unknown to alice
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("90000"))
    engine.ensure_account("bob")
    with pytest.raises(EngineError):
        engine.cancel_order("bob", "BTCUSDT", order_id=str(out["order_id"]))


def test_modify_and_cancel_all(engine: Engine, alice: str) -> None:
    out = engine.submit_order(alice, "BTCUSDT", side=1, size=10, price=D("90000"), leverage=D(10),
                              client_order_id="m1")
    oid = str(out["order_id"])
    res = engine.modify_limit_order(alice, "BTCUSDT", order_id=oid, price=D("91000"), size=20)
    assert res == {"order_id": int(oid), "client_order_id": "m1"}
    o = engine.order(alice, "BTCUSDT", order_id=oid)
    assert (o["price"], o["size"], o["state"]) == ("91000", "20", 2)
    # 0.02 BTC * 91000 = 1820: margin 182 + fee estimate 1.092
    assert engine.assets_detail(alice)[0]["frozen_balance"] == "183.092"
    with pytest.raises(EngineError) as exc:
        engine.modify_limit_order(alice, "BTCUSDT", order_id=oid, price=D("91000.05"))
    assert exc.value.code == 40043
    engine.submit_order(alice, "BTCUSDT", side=4, size=5, price=D("99000"))
    assert len(engine.open_orders(alice, "BTCUSDT")) == 2
    assert engine.cancel_orders(alice, "BTCUSDT") == {}
    assert engine.open_orders(alice) == []
    assert engine.assets_detail(alice)[0]["frozen_balance"] == "0"
    assert engine.depth("BTCUSDT")["bids"][0][:2] == ["94999.5", "2000"]


def test_cancel_all_after(engine: Engine, alice: str, clock: Clock) -> None:
    engine.submit_order(alice, "BTCUSDT", side=1, size=1, price=D("90000"))
    res = engine.cancel_all_after(alice, "BTCUSDT", 10)
    assert res["result"] is True and res["cancel_time"] - res["set_time"] == 10
    engine.tick(clock.advance(5))
    assert len(engine.open_orders(alice)) == 1
    engine.tick(clock.advance(6))
    assert engine.open_orders(alice) == []


def test_size_and_price_validation(engine: Engine, alice: str) -> None:
    cases: list[tuple[dict[str, Any], int]] = [
        (dict(side=5, size=1, price=D("90000")), 40041),
        (dict(side=1, size=1, price=D("90000"), type="stop"), 40042),
        (dict(side=1, size=1, price=D("90000.05")), 40043),
        (dict(side=1, size=0, price=D("90000")), 40044),
        (dict(side=1, size=500001, price=D("90000")), 40044),
        (dict(side=1, size=1, price=D("90000"), open_type="both"), 40045),
        (dict(side=3, size=1, type="market"), 40021),
    ]
    for kwargs, code in cases:
        with pytest.raises(EngineError) as exc:
            engine.submit_order(alice, "BTCUSDT", **kwargs)
        assert exc.value.code == code, kwargs


def test_history_and_trades_filter_by_symbol_order_and_window(
    engine: Engine, alice: str, clock: Clock
) -> None:
    def market(symbol: str, coid: str) -> str:
        clock.advance(10)
        out = engine.submit_order(alice, symbol, side=1, size=10, type="market", leverage=D(10),
                                  client_order_id=coid)
        return str(out["order_id"])

    first = market("BTCUSDT", "b1")
    second = market("BTCUSDT", "b2")
    eth = market("ETHUSDT", "e1")
    resting = engine.submit_order(alice, "BTCUSDT", side=1, size=10, price=D("90000"), leverage=D(10))

    def ids(rows: list[dict[str, Any]]) -> list[str]:
        return [str(r["order_id"]) for r in rows]

    # finished orders only (not the resting one), newest first
    assert ids(engine.order_history(alice)) == [eth, second, first]
    assert str(resting["order_id"]) not in ids(engine.order_history(alice))
    assert ids(engine.order_history(alice, "BTCUSDT")) == [second, first]
    assert ids(engine.order_history(alice, order_id=first)) == [first]
    assert ids(engine.order_history(alice, client_order_id="b2")) == [second]
    assert engine.order_history(alice, client_order_id="nope") == []
    # fills: by symbol, by order, by client order id (an unknown one matches nothing)
    assert set(ids(engine.trades(alice))) == {eth, second, first}
    assert set(ids(engine.trades(alice, "ETHUSDT"))) == {eth}
    assert set(ids(engine.trades(alice, order_id=second))) == {second}
    assert set(ids(engine.trades(alice, client_order_id="b1"))) == {first}
    assert engine.trades(alice, client_order_id="nope") == []
    # the window is in seconds, both ends inclusive: only the last order falls after `second`
    after_second = (clock.now - 5_000) // 1000
    assert ids(engine.order_history(alice, start_time=after_second)) == [eth]
    assert set(ids(engine.trades(alice, start_time=after_second))) == {eth}
    before_second = (clock.now - 15_000) // 1000
    assert ids(engine.order_history(alice, end_time=before_second)) == [first]
    with pytest.raises(EngineError):
        engine.order_history(alice, start_time=after_second, end_time=before_second)
