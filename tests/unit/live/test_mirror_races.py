"""A REST read that overlapped a push may be older than the push: the mirror reads again rather
than going back in time; a reconciliation that overlapped one is skipped until the next round."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from perpdesk.core.models import Balance, Credentials, StreamEvent
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.mirror import AccountMirror, MirrorRef

CREDS = Credentials("k", "s", "m")

TEST_VENUE = Venue("bitmart", "http://exchange.test")  # the mirrors here get their connector directly


class SlowExchange:
    """Answers balances with the values queued, the first answer held until `release` is set."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.calls = 0
        self.release = asyncio.Event()

    async def balances(self, creds: Credentials) -> list[Balance]:
        self.calls += 1
        if self.calls == 1:
            await self.release.wait()
        value = Decimal(self.answers[min(self.calls, len(self.answers)) - 1])
        return [Balance("USDT", value, value)]

    async def positions(self, creds: Credentials) -> list[Any]:
        return []

    async def open_orders(self, creds: Credentials) -> list[Any]:
        return []

    async def plan_orders(self, creds: Credentials) -> list[Any]:
        await self.release.wait()
        return []


def mirror(exchange: Any) -> AccountMirror:
    async def opener() -> Credentials:
        return CREDS

    bus = InProcessBus()
    return AccountMirror(MirrorRef("a", "u", TEST_VENUE, "x"), exchange, opener, bus,
                         MarketHub(lambda _ex: exchange, bus), refresh_debounce_s=0)


def push(available: str) -> StreamEvent:
    v = Decimal(available)
    return StreamEvent("asset", {"balances": [Balance("USDT", v, v)]})


async def test_a_read_overlapping_a_push_is_read_again() -> None:
    ex = SlowExchange(["100", "120"])
    m = mirror(ex)
    applied: list[Decimal] = []
    set_balances = m.state.set_balances

    def spy(balances: list[Balance], cross_upnl: Decimal | None = None) -> None:
        applied.append(balances[0].equity)
        set_balances(balances, cross_upnl)

    m.state.set_balances = spy  # type: ignore[method-assign]
    m.refresh("balances")
    await asyncio.sleep(0.01)
    assert ex.calls == 1  # the first read is on its way
    await m._apply(push("110"))  # meanwhile the exchange pushes (and asks for a refresh itself)
    ex.release.set()
    async with asyncio.timeout(2):
        while ex.calls < 2 or m._refresh is None or not m._refresh.done():
            await asyncio.sleep(0.01)
    assert applied == [Decimal(120)]  # the answer that predates the push was never applied
    assert m.state.balances["USDT"].equity == Decimal(120)


async def test_a_reconciliation_overlapping_a_push_is_skipped() -> None:
    ex = SlowExchange(["100"])
    ex.calls = 1  # balances answer at once
    m = mirror(ex)
    task = asyncio.create_task(m.reconcile())
    await asyncio.sleep(0.01)
    await m._apply(push("110"))
    ex.release.set()
    assert await task == [] and m.reconciliations_skipped == 1 and m.reconciliations == 0
    assert m.state.balances["USDT"].available == Decimal(110)  # the push stands
    if m._refresh is not None:
        m._refresh.cancel()


def test_fresh_without_building_the_view_says_what_the_view_says() -> None:
    from perpdesk.core.models import MarginMode, Position, PositionSide
    from perpdesk.live.views import Freshness, FreshnessView

    m = mirror(SlowExchange(["1"]))
    marks: dict[str, Decimal | None] = {}
    m.hub.mark = lambda _ex, sym: marks.get(sym)  # type: ignore[method-assign]
    assert not m.fresh() and not m.view().freshness.fresh  # starting
    m.freshness = FreshnessView(Freshness.FRESH, 1)
    assert m.fresh() and m.view().freshness.fresh  # nothing held: no mark needed
    d = Decimal
    m.state.set_positions([Position("SOLUSDT", PositionSide.LONG, d(10), d(200), d(210), d(5),
                                    MarginMode.CROSS, d(0), d(0), d(200), None, d(1))])
    assert not m.fresh() and not m.view().freshness.fresh  # held, its live mark not known yet
    marks["SOLUSDT"] = d("210.5")
    assert m.fresh() and m.view().freshness.fresh


def test_a_quiet_account_is_reconciled_less_often_until_anything_happens() -> None:
    m = mirror(SlowExchange(["1"]))
    m.reconcile_interval_s, m.reconcile_idle_max_s, m._next_reconcile_s = 60, 300, 60
    assert m._reconcile_pause() == 60  # the first round: nothing known yet
    pauses = []
    for _ in range(5):
        m._next_reconcile_s = m._reconcile_pause()
        pauses.append(m._next_reconcile_s)
    assert pauses == [120, 240, 300, 300, 300]
    m.moves += 1  # the exchange pushed something
    assert m._reconcile_pause() == 60
    m._next_reconcile_s = 60
    assert m._reconcile_pause() == 120  # quiet again
    m._drifted_last = True  # a round that repaired drift (or failed)
    assert m._reconcile_pause() == 60
    m._drifted_last = False
    m._next_reconcile_s = 240
    sub = m.bus.subscribe([m.topic])  # a page of the account is open
    assert m._reconcile_pause() == 60
    sub.close()
    m._next_reconcile_s = 60
    m.state.orders["1"] = object()  # type: ignore[assignment]  # an open order
    assert m._reconcile_pause() == 60


def _held(symbol: str, side: str, size: str) -> Any:
    from perpdesk.core.models import MarginMode, Position, PositionSide

    d = Decimal
    return Position(symbol, PositionSide(side), d(size), d(200), d(210), d(5), MarginMode.CROSS,
                    d(0), d(0), d(200), None, d(1))


async def test_held_positions_stay_quiet_while_the_exchange_re_sends_them_all_unchanged() -> None:
    ex = SlowExchange(["1"])
    ex.release.set()
    m = mirror(ex)
    m.reconcile_interval_s, m.reconcile_idle_max_s, m._next_reconcile_s = 60, 300, 60
    sol, eth = _held("SOLUSDT", "long", "10"), _held("ETHUSDT", "short", "2")
    m.state.set_positions([sol, eth])

    async def no_market_data(_symbols: set[str]) -> None:
        return None

    m._follow = no_market_data  # type: ignore[method-assign]  # no tickers here
    m._reconcile_pause()  # the first round
    assert m._reconcile_pause() == 60  # held, and the exchange has not re-sent them: no doubling

    await m._apply(StreamEvent("position", {"positions": [eth, sol]}))  # BitMart's timed push
    assert m.moves == 0 and m.pushes == 1  # it changed nothing
    assert m._reconcile_pause() == 120
    m._next_reconcile_s = 120
    assert m._reconcile_pause() == 240

    # the re-sends stop (a stream that went quiet, an exchange that never re-sends): the base pace
    m._positions_confirmed_ms -= 61_000
    assert m._reconcile_pause() == 60

    # a re-send that leaves a held position out: its close may have been pushed and lost
    ex.calls = 0
    await m._apply(StreamEvent("position", {"positions": [sol]}))
    async with asyncio.timeout(2):
        while ex.calls < 1 or m._refresh is None or not m._refresh.done():
            await asyncio.sleep(0.01)
    assert ex.calls == 1  # balances and positions read at once, not at the next round
    assert m.state.positions == {}  # this exchange holds none: the lost close is repaired
    m.state.set_positions([sol, eth])
    m._next_reconcile_s = 60
    assert m._reconcile_pause() == 60  # not confirmed since
    await m._apply(StreamEvent("position", {"positions": [sol]}))
    await asyncio.sleep(0.01)
    assert ex.calls == 1  # once a round, however often the exchange re-sends the short list

    # a push that changes a position is activity: the base interval
    await m._apply(StreamEvent("position", {"positions": [eth, sol]}))
    m._next_reconcile_s = 120
    assert m._reconcile_pause() == 240
    await m._apply(StreamEvent("position", {"positions": [_held("SOLUSDT", "long", "11"), eth]}))
    assert m.moves == 1
    assert m._reconcile_pause() == 60
