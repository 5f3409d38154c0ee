"""Issue 3 follow-ups in the engine: close-all-position by side, trailing orders, plan-order and
preset edits, the modify push, the price-walk RNG across restarts and atomic price replays."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from perpdesk.sandbox.engine import Engine, EngineError, EngineEvent
from perpdesk.sandbox.persist import Persist
from tests.unit.sandbox_engine.conftest import Clock, fund

SYM = "BTCUSDT"


def code_of(call: Any, *args: Any, **kwargs: Any) -> int:
    with pytest.raises(EngineError) as exc:
        call(*args, **kwargs)
    return exc.value.code


def sides(engine: Engine, uid: str) -> dict[str, str]:
    return {"long" if p["position_type"] == 1 else "short": p["current_amount"] for p in engine.position(uid)}


# ---- close-all-position with position_side ------------------------------------------------------
def test_close_all_position_one_side_keeps_the_other(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, SYM, side=1, size=10, type="market")
    engine.submit_order(alice, SYM, side=4, size=6, type="market")
    engine.submit_order(alice, "ETHUSDT", side=1, size=5, type="market")
    close_long = engine.submit_order(alice, SYM, side=3, size=4, price=D("99000"))
    open_short = engine.submit_order(alice, SYM, side=4, size=2, price=D("99000"))
    close_short = engine.submit_order(alice, SYM, side=2, size=1, price=D("90000"))
    assert sides(engine, alice) == {"long": "5", "short": "6"}  # ETH's long (5) merges in the map

    assert engine.close_all_position(alice, SYM, "long") == {}
    btc = {("long" if p["position_type"] == 1 else "short") for p in engine.position(alice, SYM)}
    assert btc == {"short"}
    assert engine.position(alice, SYM)[0]["current_amount"] == "6"
    assert engine.position(alice, "ETHUSDT")[0]["current_amount"] == "5"  # other symbol untouched
    still_open = {o["order_id"] for o in engine.open_orders(alice)}
    assert str(close_long["order_id"]) not in still_open  # it held the long's volume
    assert {str(open_short["order_id"]), str(close_short["order_id"])} <= still_open

    engine.close_all_position(alice, None, "short")  # every symbol's shorts; ETH long stays
    assert [(p["symbol"], p["position_type"]) for p in engine.position(alice)] == [("ETHUSDT", 1)]
    assert str(close_short["order_id"]) not in {o["order_id"] for o in engine.open_orders(alice)}
    assert code_of(engine.close_all_position, alice, SYM, "both") == 40011


def test_close_all_position_one_way_mode_by_side(engine: Engine, alice: str) -> None:
    engine.set_position_mode(alice, "one_way_mode")
    engine.submit_order(alice, SYM, side=1, size=8, type="market")
    reducing_sell = engine.submit_order(alice, SYM, side=4, size=3, price=D("99000"))  # reduces the long
    engine.close_all_position(alice, SYM, "short")  # nothing short: no-op
    assert engine.position(alice)[0]["current_amount"] == "8"
    engine.close_all_position(alice, SYM, "long")
    assert engine.position(alice) == []
    assert engine.order(alice, SYM, order_id=str(reducing_sell["order_id"]))["state"] == 4


# ---- trailing orders ------------------------------------------------------------------------------
def test_trailing_sell_activates_follows_the_high_and_closes(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, SYM, side=1, size=10, type="market", leverage=D(5))
    out = engine.submit_trail_order(
        alice, SYM, side=3, leverage=D(5), open_type="cross", size=10,
        activation_price=D("96000"), callback_rate=D("1"), activation_price_type=2,
    )  # fmt: skip
    tid = str(out["order_id"])
    listed = engine.open_orders(alice, SYM, type="trailing")
    assert [o["order_id"] for o in listed] == [tid]
    assert (listed[0]["type"], listed[0]["activation_price"], listed[0]["callback_rate"]) == (
        "trailing", "96000", "1",
    )  # fmt: skip
    assert engine.current_plan_orders(alice) == []  # trailing orders are not plan orders

    engine.set_price(SYM, D("95900"))  # below activation: nothing
    engine.set_price(SYM, D("94000"))  # a fall before activation does not fire it
    assert engine.position(alice)[0]["current_amount"] == "10"
    engine.set_price(SYM, D("96000"))  # activates, high 96000
    engine.set_price(SYM, D("97000"))  # new high
    engine.set_price(SYM, D("96100"))  # 0.93% off the high: not yet (needs <= 96030)
    assert engine.position(alice)[0]["current_amount"] == "10"
    engine.set_price(SYM, D("96030"))  # exactly 1% below 97000: fires a market close
    assert engine.position(alice) == []
    done = engine.order(alice, SYM, order_id=tid)
    assert done["state"] == 4 and done["executive_order_id"]
    fired = engine.order(alice, SYM, order_id=done["executive_order_id"])
    assert (fired["type"], fired["side"], fired["deal_size"]) == ("market", 3, "10")
    assert engine.open_orders(alice) == []


def test_trailing_buy_opens_a_long_on_the_rebound(engine: Engine, alice: str) -> None:
    out = engine.submit_trail_order(
        alice, SYM, side=1, leverage=D(4), open_type="isolated", size=20,
        activation_price=D("94000"), callback_rate=D("0.5"), activation_price_type=1,
    )  # fmt: skip
    engine.set_price(SYM, D("94000"))  # activates (last price reached it from above)
    engine.set_price(SYM, D("93000"))  # new low
    engine.set_price(SYM, D("93460"))  # +0.49%: not yet (needs >= 93465)
    assert engine.position(alice) == []
    engine.set_price(SYM, D("93465"))
    pos = engine.position(alice)
    assert [(p["position_type"], p["current_amount"], p["leverage"], p["margin_type"]) for p in pos] == [
        (1, "20", "4", "Isolated")
    ]
    assert engine.order(alice, SYM, order_id=str(out["order_id"]))["state"] == 4


def test_trailing_validation_and_cancel(engine: Engine, alice: str) -> None:
    kw: dict[str, Any] = dict(
        leverage=D(5), open_type="cross", size=5, activation_price=D("96000"),
        callback_rate=D("1"), activation_price_type=1,
    )  # fmt: skip
    def submit(**over: Any) -> int:
        return code_of(engine.submit_trail_order, alice, SYM, **{**kw, "side": 4, **over})

    assert submit(side=3) == 40021  # no long to close
    assert submit(side=5) == 40041
    assert submit(callback_rate=D("6")) == 40011
    assert submit(callback_rate=D("0.05")) == 40011
    assert submit(activation_price=D("96000.05")) == 40043
    assert submit(open_type="x") == 40045
    assert submit(leverage=D(500)) == 40029
    assert submit(activation_price_type=3) == 40011
    engine.submit_order(alice, SYM, side=1, size=3, type="market")
    assert code_of(engine.submit_trail_order, alice, SYM, **{**kw, "side": 3}) == 40020  # 5 > 3

    tid = str(engine.submit_trail_order(alice, SYM, **{**kw, "side": 4})["order_id"])
    assert code_of(engine.cancel_plan_order, alice, SYM, order_id=tid) == 40037
    assert code_of(engine.cancel_trail_order, alice, "ETHUSDT", order_id=tid) == 40037
    assert code_of(engine.cancel_trail_order, "bob", SYM, order_id=tid) == 40037
    assert engine.cancel_trail_order(alice, SYM, order_id=tid) == {}
    assert code_of(engine.cancel_trail_order, alice, SYM, order_id=tid) == 40036
    assert engine.open_orders(alice, type="trailing") == []
    engine.set_price(SYM, D("97000"))
    engine.set_price(SYM, D("90000"))  # a cancelled trailing order never fires
    assert [p["position_type"] for p in engine.position(alice)] == [1]


def test_closing_trailing_order_ends_with_its_position(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, SYM, side=1, size=5, type="market")
    tid = engine.submit_trail_order(
        alice, SYM, side=3, leverage=D(10), open_type="cross", size=5,
        activation_price=D("97000"), callback_rate=D("2"), activation_price_type=1,
    )["order_id"]  # fmt: skip
    engine.submit_order(alice, SYM, side=3, size=5, type="market")
    assert engine.order(alice, SYM, order_id=str(tid))["state"] == 4


def test_trailing_state_survives_a_restart(tmp_path: Any, clock: Clock) -> None:
    path = str(tmp_path / "s.sqlite")
    persist = Persist(path)
    engine = Engine(persist, seed=3, now_ms=clock)
    engine.price_walk = False
    fund(engine, "u")
    engine.submit_order("u", SYM, side=1, size=10, type="market")
    tid = str(engine.submit_trail_order(
        "u", SYM, side=3, leverage=D(10), open_type="cross", size=10,
        activation_price=D("96000"), callback_rate=D("1"), activation_price_type=2,
    )["order_id"])  # fmt: skip
    engine.set_price(SYM, D("96500"))
    engine.set_price(SYM, D("98000"))  # activated, high 98000
    persist.close()

    persist2 = Persist(path)
    again = Engine(persist2, seed=3, now_ms=clock)
    again.price_walk = False
    assert again.open_orders("u", type="trailing")[0]["order_id"] == tid
    again.set_price(SYM, D("97100"))  # 0.92% off the remembered high: holds
    assert again.position("u")[0]["current_amount"] == "10"
    again.set_price(SYM, D("97020"))  # 1% off 98000: fires
    assert again.position("u") == []
    persist2.close()


# ---- modify-plan-order / modify-preset-plan-order -------------------------------------------------
def test_modify_plan_order_changes_trigger_and_order_type(engine: Engine, alice: str) -> None:
    out = engine.submit_plan_order(
        alice, SYM, side=1, size=4, trigger_price=D("97000"), price_way=1, price_type=1,
        type="limit", executive_price=D("97100"), client_order_id="p1",
    )  # fmt: skip
    pid = str(out["order_id"])
    res = engine.modify_plan_order(alice, SYM, trigger_price=D("96500"), price_type=2, type="market",
                                   client_order_id="p1")
    assert res == {"order_id": pid}
    plan = engine.current_plan_orders(alice)[0]
    assert (plan["trigger_price"], plan["price_type"], plan["executive_price"]) == ("96500", 2, "")
    assert code_of(engine.modify_plan_order, alice, SYM, trigger_price=D("96500"), price_type=1,
                   type="limit", order_id=pid) == 40011  # limit needs executive_price
    assert code_of(engine.modify_plan_order, alice, SYM, trigger_price=D("96500"), price_type=1,
                   type="stop", order_id=pid) == 40042
    assert code_of(engine.modify_plan_order, alice, SYM, trigger_price=D("10"), price_type=1,
                   type="market", order_id=pid) == 40031
    assert code_of(engine.modify_plan_order, alice, "ETHUSDT", trigger_price=D("3000"), price_type=1,
                   type="market", order_id=pid) == 40037
    engine.set_price(SYM, D("96500"))  # fires at the new trigger as a market order
    assert engine.position(alice)[0]["current_amount"] == "4"
    assert code_of(engine.modify_plan_order, alice, SYM, trigger_price=D("96000"), price_type=1,
                   type="market", order_id=pid) == 40036


def test_modify_plan_order_refuses_tp_sl_orders(engine: Engine, alice: str) -> None:
    engine.submit_order(alice, SYM, side=1, size=4, type="market")
    tp = engine.submit_tp_sl_order(alice, SYM, type="take_profit", side=3, trigger_price=D("99000"),
                                   price_type=1)
    assert code_of(engine.modify_plan_order, alice, SYM, trigger_price=D("98000"), price_type=1,
                   type="market", order_id=tp["order_id"]) == 40037


def test_modify_preset_plan_order_on_plans_and_open_orders(engine: Engine, alice: str) -> None:
    plan = str(engine.submit_plan_order(
        alice, SYM, side=1, size=2, trigger_price=D("96000"), price_way=1, price_type=1, type="market",
        preset_take_profit_price=D("99000"),
    )["order_id"])  # fmt: skip
    engine.modify_preset_plan_order(alice, SYM, order_id=plan, preset_take_profit_price=D("99500"),
                                    preset_stop_loss_price=D("93000"), preset_stop_loss_price_type=2)
    view = engine.current_plan_orders(alice)[0]
    assert (view["preset_take_profit_price"], view["preset_take_profit_price_type"]) == ("99500", 1)
    assert (view["preset_stop_loss_price"], view["preset_stop_loss_price_type"]) == ("93000", 2)

    resting = str(engine.submit_order(alice, SYM, side=1, size=3, price=D("94000"),
                                      preset_stop_loss_price=D("92000"))["order_id"])
    engine.modify_preset_plan_order(alice, SYM, order_id=resting, preset_stop_loss_price=D("91000"))
    assert engine.order(alice, SYM, order_id=resting)["preset_stop_loss_price"] == "91000"
    engine.set_price(SYM, D("94000"))  # fills; the modified preset becomes the position SL
    sl = [p for p in engine.current_plan_orders(alice, plan_type="profit_loss")]
    assert [(p["type"], p["trigger_price"]) for p in sl] == [("stop_loss", "91000")]
    assert code_of(engine.modify_preset_plan_order, alice, SYM, order_id=resting,
                   preset_stop_loss_price=D("90000")) == 40036
    assert code_of(engine.modify_preset_plan_order, alice, SYM, order_id=plan) == 40011
    assert code_of(engine.modify_preset_plan_order, alice, SYM, order_id=plan,
                   preset_stop_loss_price=D("93000.05")) == 40043
    assert code_of(engine.modify_preset_plan_order, alice, SYM, order_id="999",
                   preset_stop_loss_price=D("93000")) == 40037


# ---- modify-limit-order push ----------------------------------------------------------------------
def test_modify_limit_order_pushes_the_amended_order(
    engine: Engine, alice: str, events: list[EngineEvent]
) -> None:
    oid = str(engine.submit_order(alice, SYM, side=1, size=3, price=D("90000"))["order_id"])
    events.clear()
    engine.modify_limit_order(alice, SYM, order_id=oid, price=D("90500"), size=4)
    pushes = [e for e in events if e.channel == "futures/order"]
    assert len(pushes) == 1 and pushes[0].uid == alice
    assert isinstance(pushes[0].data, list)
    item = pushes[0].data[0]
    assert (item["action"], item["order"]["order_id"], item["order"]["price"], item["order"]["size"]) == (
        2, oid, "90500", "4",
    )  # fmt: skip


# ---- the price walk across restarts -------------------------------------------------------------
def test_restart_continues_the_random_sequence(tmp_path: Any, clock: Clock) -> None:
    start = clock.now

    def marks(engine: Engine, c: Clock, n: int) -> list[D]:
        out = []
        for _ in range(n):
            engine.tick(c.advance(1))
            out.append(engine.mark_price(SYM))
        return out

    straight = marks(Engine(None, seed=4, now_ms=Clock(start)), Clock(start), 12)

    path = str(tmp_path / "rng.sqlite")
    c = Clock(start)
    persist = Persist(path)
    first = marks(Engine(persist, seed=4, now_ms=c), c, 5)
    persist.close()
    persist = Persist(path)
    second = marks(Engine(persist, seed=4, now_ms=c), c, 7)
    persist.close()
    assert first + second == straight

    # another seed over the same file starts its own sequence from the saved price
    persist = Persist(path)
    other = Engine(persist, seed=5, now_ms=c)
    assert other.mark_price(SYM) == second[-1]
    persist.close()


def test_price_lines_are_checked_before_anything_is_queued(engine: Engine) -> None:
    with pytest.raises(ValueError, match="prices:2: unknown symbol 'NOPE'"):
        engine.queue_price_lines("BTCUSDT,95000\nNOPE,1\n")
    with pytest.raises(ValueError, match="prices:1: price '-3' must be positive"):
        engine.queue_price_lines("BTCUSDT,-3\n")
    assert engine.queued_prices() == {}
    assert engine.queue_price_lines("BTCUSDT,95000\nBTCUSDT,95100\nETHUSDT,3500") == 3
    assert engine.queued_prices() == {"BTCUSDT": 2, "ETHUSDT": 1}
    assert engine.clear_replay() == 3 and engine.queued_prices() == {}


def test_trailing_order_keeps_a_client_order_id(engine: Engine, alice: str) -> None:
    """The Binance dialect's clientAlgoId: found again by it, refused while a live one holds it."""
    kw: dict[str, Any] = dict(
        side=1, leverage=D(4), open_type="cross", size=2, activation_price=D("94000"), callback_rate=D("1"),
        activation_price_type=1,
    )  # fmt: skip
    tid = str(engine.submit_trail_order(alice, SYM, client_order_id="trail1", **kw)["order_id"])
    assert engine.state.plan_coid[alice]["trail1"] == tid
    assert engine.state.plans[tid].client_order_id == "trail1"
    assert code_of(engine.submit_trail_order, alice, SYM, client_order_id="trail1", **kw) == 40050
    plain = str(engine.submit_trail_order(alice, SYM, **kw)["order_id"])
    assert engine.state.plans[plain].client_order_id == ""
