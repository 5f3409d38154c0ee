"""The sandbox's contract set: 50+ USDT perpetuals with consistent trading rules and brackets,
the first three as the tests' numbers need them, a price process of its own per contract, and
a state that stays bounded with that many contracts."""

from __future__ import annotations

import itertools
import math
import statistics
from decimal import Decimal as D
from pathlib import Path

import pytest

from perpdesk.sandbox.engine import Engine, market
from perpdesk.sandbox.engine.contracts import CONTRACTS
from perpdesk.sandbox.engine.market import SECONDS_PER_YEAR
from perpdesk.sandbox.persist import Persist
from tests.unit.sandbox_engine.conftest import Clock


def test_a_realistic_set_is_listed() -> None:
    assert len(CONTRACTS) >= 50
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "BNBUSDT"} <= set(CONTRACTS)
    assert all(spec.base + "USDT" == sym for sym, spec in CONTRACTS.items())
    assert len({spec.open_timestamp for spec in CONTRACTS.values()}) == len(CONTRACTS)
    # BitMart's published details (ccxt's BitMart market fixture) where they are known
    xrp, doge = CONTRACTS["XRPUSDT"], CONTRACTS["DOGEUSDT"]
    assert (xrp.contract_size, xrp.tick, xrp.max_leverage) == (D("0.1"), D("0.0001"), 200)
    assert xrp.max_volume == 100_000_000
    assert (doge.contract_size, doge.tick, doge.market_max_volume) == (D(1), D("0.00001"), 2_000_000)


def test_the_first_three_keep_their_specs() -> None:
    btc, eth, sol = CONTRACTS["BTCUSDT"], CONTRACTS["ETHUSDT"], CONTRACTS["SOLUSDT"]
    assert list(CONTRACTS)[:3] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert (btc.contract_size, btc.tick, btc.start_price) == (D("0.001"), D("0.1"), D(95000))
    assert (btc.max_leverage, btc.max_volume, btc.market_max_volume) == (100, 500000, 100000)
    assert (btc.book_step_ticks, btc.book_lot) == (5, 2000)
    assert [(b.notional_cap, b.initial_leverage, b.maint_margin_ratio) for b in btc.brackets][:2] == [
        (D(50_000), 100, D("0.005")), (D(250_000), 50, D("0.01"))]
    assert (eth.contract_size, eth.tick, eth.start_price) == (D("0.01"), D("0.01"), D(3500))
    assert eth.book_lot == 1500
    assert (sol.contract_size, sol.start_price, sol.max_leverage) == (D("0.1"), D(180), 50)
    assert sol.max_volume == 300000
    assert len(sol.brackets) == 5 and sol.brackets[1].initial_leverage == 25


def test_every_contract_has_consistent_rules_and_brackets() -> None:
    for sym, spec in CONTRACTS.items():
        assert spec.on_grid(spec.start_price) and spec.start_price / spec.tick >= 1000, sym  # fine ticks
        assert 1 == spec.min_volume <= spec.market_max_volume <= spec.max_volume, sym
        assert spec.min_leverage == 1 <= spec.brackets[-1].initial_leverage, sym
        assert spec.brackets[0].initial_leverage == spec.max_leverage, sym
        assert spec.book_step_ticks >= 1 and spec.book_lot >= 1, sym
        for lower, upper in itertools.pairwise(spec.brackets):
            assert lower.notional_cap == upper.notional_floor < upper.notional_cap, sym
            assert lower.initial_leverage > upper.initial_leverage, sym
            assert lower.maint_margin_ratio < upper.maint_margin_ratio, sym
            # maintenance margin is continuous across the tier boundary
            cap = lower.notional_cap
            below = cap * lower.maint_margin_ratio - lower.cum
            assert below == cap * upper.maint_margin_ratio - upper.cum, sym
        for b in spec.brackets:  # maintenance stays below the initial margin of the tier
            assert b.maint_margin_ratio < D(1) / b.initial_leverage, sym


def _hourly_log_returns(seed: int, hours: int) -> dict[str, list[float]]:
    clock = Clock()
    engine = Engine(None, seed=seed, now_ms=clock)
    marks = {sym: [engine.mark_price(sym)] for sym in engine.symbols()}
    for _ in range(hours):
        engine.tick(clock.advance(3600))
        for sym in marks:
            marks[sym].append(engine.mark_price(sym))
    return {sym: [math.log(b / a) for a, b in itertools.pairwise(m)] for sym, m in marks.items()}


def test_each_contract_walks_its_own_price_process() -> None:
    returns = _hourly_log_returns(seed=11, hours=150)
    assert returns == _hourly_log_returns(seed=11, hours=150)  # the same seed, the same walk
    for sym, rets in returns.items():  # each at its own volatility
        expected = CONTRACTS[sym].annual_vol * math.sqrt(3600 / SECONDS_PER_YEAR)
        assert 0.75 < statistics.pstdev(rets) / expected < 1.25, sym
    symbols = list(returns)
    worst = max(abs(statistics.correlation(returns[a], returns[b]))
                for i, a in enumerate(symbols) for b in symbols[i + 1:])
    assert worst < 0.4  # no two move in lockstep
    first_hour_up = {sym for sym, rets in returns.items() if rets[0] > 0}
    assert 0 < len(first_hour_up) < len(symbols)


def _saved_minutes(path: str, symbol: str) -> dict[str, int]:
    persist = Persist(path)
    try:
        ids = [doc_id for doc_id, _ in persist.load("candle") if doc_id.startswith(symbol + ":")]
    finally:
        persist.close()
    return {kind: sum(1 for i in ids if i.split(":")[1] == kind) for kind in ("last", "mark")}


def test_candles_beyond_the_retention_leave_memory_and_the_state_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "candles.sqlite")
    monkeypatch.setattr(market, "CANDLE_RETENTION", 10)
    clock = Clock()
    persist = Persist(path)
    engine = Engine(persist, seed=3, now_ms=clock)
    for _ in range(15):
        engine.tick(clock.advance(60))
    assert len(engine.state.markets["DOGEUSDT"].candles["last"]) == 10
    persist.close()
    assert _saved_minutes(path, "DOGEUSDT") == {"last": 10, "mark": 10}
    # a restart with a shorter retention drops the older minutes, in memory and on disk
    monkeypatch.setattr(market, "CANDLE_RETENTION", 4)
    persist = Persist(path)
    engine = Engine(persist, seed=3, now_ms=clock)
    assert len(engine.state.markets["DOGEUSDT"].candles["mark"]) == 4
    engine.tick(clock.advance(1))
    persist.close()
    assert _saved_minutes(path, "DOGEUSDT") == {"last": 4, "mark": 4}
