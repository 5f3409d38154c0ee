"""A reconciliation round that finds the account as it was publishes nothing: an idle account's
unchanged view is not sent again to every page and web process each round; a change is."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from perpdesk.core.models import Balance, Credentials
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import InProcessBus, account_topic
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.mirror import AccountMirror, MirrorRef


class Exchange:
    def __init__(self) -> None:
        self.equity = Decimal(100)

    async def balances(self, creds: Credentials) -> list[Balance]:
        return [Balance("USDT", self.equity, self.equity)]

    async def positions(self, creds: Credentials) -> list[Any]:
        return []

    async def open_orders(self, creds: Credentials) -> list[Any]:
        return []

    async def plan_orders(self, creds: Credentials) -> list[Any]:
        return []


async def _published(sub: Any) -> list[str]:
    await asyncio.sleep(0)  # the coalesced publish runs on the next loop turn
    await asyncio.sleep(0)
    kinds = []
    while not sub.queue.empty():
        kinds.append(sub.queue.get_nowait().kind)
    return kinds


async def test_an_unchanged_round_publishes_nothing_and_a_change_publishes() -> None:
    async def opener() -> Credentials:
        return Credentials("k", "s", "m")

    ex, bus = Exchange(), InProcessBus()
    m = AccountMirror(MirrorRef("a", "u", Venue("bitmart", "http://exchange.test"), "x"), ex, opener,
                      bus, MarketHub(lambda _ex: ex, bus))
    sub = bus.subscribe([account_topic("a")])
    await m.reconcile()
    assert await _published(sub) == ["account"]  # the first round filled the view
    for _ in range(3):
        await m.reconcile()
    assert await _published(sub) == []
    assert m.reconciliations == 4
    ex.equity = Decimal("100.5")
    await m.reconcile()
    assert await _published(sub) == ["account"]
    assert m.view().balances[0].equity == Decimal("100.5")


async def test_bitmarts_periodic_push_of_an_unchanged_position_publishes_nothing() -> None:
    from perpdesk.core.models import MarginMode, Position, PositionSide, StreamEvent

    async def opener() -> Credentials:
        return Credentials("k", "s", "m")

    ex, bus = Exchange(), InProcessBus()
    m = AccountMirror(MirrorRef("a", "u", Venue("bitmart", "http://exchange.test"), "x"), ex, opener,
                      bus, MarketHub(lambda _ex: ex, bus), refresh_debounce_s=3600)

    def push(size: str) -> StreamEvent:
        pos = Position("ETHUSDT", PositionSide.LONG, Decimal(size), Decimal(3000), Decimal(3000),
                       Decimal(5), MarginMode.CROSS, Decimal(0), Decimal(0), Decimal(600),
                       liquidation_price=Decimal(2500))
        return StreamEvent("position", {"positions": [pos], "closed": []})

    m._follow = _no_market  # type: ignore[method-assign]  # (no exchange to hold a ticker from)
    sub = bus.subscribe([account_topic("a")])
    await m._apply(push("1"))
    assert await _published(sub) == ["account"]
    for _ in range(3):  # every 10 s while held
        await m._apply(push("1"))
    assert await _published(sub) == []
    await m._apply(push("2"))
    assert await _published(sub) == ["account"]
    assert m.pushes == 5
    await m.stop()


async def _no_market(symbols: set[str]) -> None:
    return None
