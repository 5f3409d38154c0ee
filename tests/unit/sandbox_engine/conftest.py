"""Fixtures for the engine's unit tests: a controllable clock and a funded account."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from perpdesk.sandbox.engine import Engine, EngineEvent
from perpdesk.sandbox.persist import Persist

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, a funding boundary for any whole-hour interval


class Clock:
    def __init__(self, now: int = T0 + 1_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> int:
        self.now += int(seconds * 1000)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(clock: Clock) -> Engine:
    eng = Engine(None, seed=7, now_ms=clock)
    eng.price_walk = False  # tests move prices with set_price for exact numbers
    return eng


def fund(engine: Engine, uid: str, usdt: str = "10000") -> None:
    engine.ensure_account(uid)
    engine.deposit(uid, "USDT", Decimal(usdt))
    engine.transfer_contract(uid, "USDT", Decimal(usdt), "spot_to_contract")


@pytest.fixture
def alice(engine: Engine) -> str:
    fund(engine, "alice")
    return "alice"


@pytest.fixture
def events(engine: Engine) -> Iterator[list[EngineEvent]]:
    got: list[EngineEvent] = []
    unsubscribe = engine.subscribe(got.append)
    yield got
    unsubscribe()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "sandbox.sqlite")


def open_persist(path: str) -> Persist:
    return Persist(path)
