"""A new Engine over the same SQLite file has the same state, and carries on from it."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from perpdesk.sandbox.engine import Engine
from perpdesk.sandbox.persist import Persist
from tests.unit.sandbox_engine.conftest import T0, Clock


def snapshot(engine: Engine, uid: str) -> dict[str, Any]:
    return {
        "assets": engine.assets_detail(uid),
        "spot": engine.spot_wallet(uid),
        "mode": engine.get_position_mode(uid),
        "positions": engine.position(uid),
        "positions_v2": engine.position_v2(uid),
        "open": engine.open_orders(uid),
        "history": engine.order_history(uid),
        "trades": engine.trades(uid),
        "txns": engine.transaction_history(uid),
        "transfers": engine.transfer_contract_list(uid),
        "plans": engine.current_plan_orders(uid),
        "depth": engine.depth("BTCUSDT"),
        "funding": engine.funding_rate_history("BTCUSDT"),
        "kline": engine.kline("BTCUSDT", 1, (T0 - 60_000) // 1000, (T0 + 9 * 3600_000) // 1000),
        "mark": [engine.mark_price(s) for s in engine.symbols()],
        "details": engine.contract_details(),
    }


def build(engine: Engine, clock: Clock) -> None:
    engine.ensure_account("u1")
    engine.deposit("u1", "USDT", D("20000"))
    engine.deposit("u1", "BTC", D("0.5"))
    engine.transfer_contract("u1", "USDT", D("15000"), "spot_to_contract")
    engine.submit_order("u1", "BTCUSDT", side=1, size=100, type="market", leverage=D(10),
                        preset_stop_loss_price=D("90000"))
    engine.submit_leverage("u1", "ETHUSDT", "isolated", D(20))
    engine.submit_order("u1", "ETHUSDT", side=4, size=50, type="market")
    engine.submit_order("u1", "BTCUSDT", side=1, size=5, price=D("94995.3"), client_order_id="rest1")
    engine.submit_plan_order("u1", "BTCUSDT", side=1, size=3, trigger_price=D("97000"), price_way=1,
                             price_type=2, type="market", client_order_id="plan1")
    engine.submit_tp_sl_order("u1", "BTCUSDT", type="take_profit", side=3, trigger_price=D("99000"),
                              price_type=1, size=50)
    engine.set_price("BTCUSDT", D("95500"))
    clock.now = T0 + 8 * 3600_000
    engine.tick()


def test_restart_loses_nothing(db_path: str, clock: Clock) -> None:
    persist = Persist(db_path)
    engine = Engine(persist, seed=5, now_ms=clock)
    engine.price_walk = False
    build(engine, clock)
    before = snapshot(engine, "u1")
    persist.close()

    persist2 = Persist(db_path)
    again = Engine(persist2, seed=5, now_ms=clock)
    again.price_walk = False
    after = snapshot(again, "u1")
    for key in before:
        assert after[key] == before[key], key
    assert after["positions"] and after["open"] and len(after["plans"]) == 3

    # it carries on: ids continue, client ids resolve, the resting order still fills
    out = again.submit_order("u1", "BTCUSDT", side=1, size=1, type="market")
    assert out["order_id"] > int(before["history"][0]["order_id"])
    again.set_price("BTCUSDT", D("94995"))
    assert again.order("u1", "BTCUSDT", client_order_id="rest1")["state"] == 4
    again.cancel_plan_order("u1", "BTCUSDT", client_order_id="plan1")
    persist2.close()


def test_same_seed_same_prices(clock: Clock) -> None:
    def path(seed: int) -> list[D]:
        c = Clock(clock.now)
        eng = Engine(None, seed=seed, now_ms=c)
        out = []
        for _ in range(20):
            eng.tick(c.advance(1))
            out.append(eng.mark_price("BTCUSDT"))
        return out

    a, b, other = path(11), path(11), path(12)
    assert a == b
    assert a != other
    assert len(set(a)) > 5  # it does move
    tick = D("0.1")
    assert all(p % tick == 0 for p in a)  # on the tick grid, exact


def test_price_file_replay_then_the_walk_resumes(tmp_path: Any, clock: Clock) -> None:
    engine = Engine(None, seed=2, now_ms=clock)
    path = tmp_path / "prices.csv"
    path.write_text("# symbol,price\nBTCUSDT,95100\nBTCUSDT,95200.04\n\nETHUSDT,3600\n")
    assert engine.load_price_file(path) == 3
    engine.tick(clock.advance(1))
    assert (engine.mark_price("BTCUSDT"), engine.mark_price("ETHUSDT")) == (D("95100"), D("3600"))
    engine.tick(clock.advance(1))
    assert engine.mark_price("BTCUSDT") == D("95200.0")  # rounded to the 0.1 grid
    engine.tick(clock.advance(1))
    assert engine.mark_price("BTCUSDT") != D("95200.0")  # the seeded walk takes over
    bad = tmp_path / "bad.csv"
    bad.write_text("BTCUSDT;95000\n")
    with pytest.raises(ValueError, match=r"bad\.csv:1"):
        engine.load_price_file(bad)


async def test_run_ticks_until_cancelled() -> None:
    import asyncio

    engine = Engine(None, seed=9)
    marks: list[str] = []
    engine.subscribe(lambda e: marks.append(e.data["mark_price"]) if e.channel == "futures/ticker"
                     and isinstance(e.data, dict) and e.data["symbol"] == "BTCUSDT" else None)
    task = asyncio.create_task(engine.run(0.01))
    for _ in range(500):  # until three ticks have run (a busy machine takes longer than 30 ms)
        if len(marks) >= 3 and len(set(marks)) > 1:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(marks) >= 3 and len(set(marks)) > 1
    count = len(marks)
    await asyncio.sleep(0.05)
    assert len(marks) == count  # no more ticks once cancelled
