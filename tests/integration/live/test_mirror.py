"""AccountMirror and MarketHub against the real sandbox: snapshot, pushes, plans and fills, live
uPnL at the mark, reconnect with resync, drift repaired and audited, credentials opened only
when needed, market data shared per symbol."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from perpdesk.core.market import MarketChannel, MarketKind, PlanKind
from perpdesk.core.models import (
    Credentials,
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderType,
    PositionSide,
)
from perpdesk.core.terminal import PlanRequest
from perpdesk.exchanges.bitmart import new_client_order_id
from perpdesk.live.bus import ALL_ACCOUNTS, InProcessBus, account_topic
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.mirror import AccountMirror
from perpdesk.live.ownership import InProcessOwnership
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.live.views import Freshness
from tests.integration.live.conftest import MemorySource, TappedConnector

SYM = "BTCUSDT"


async def until(cond: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
    async with asyncio.timeout(timeout):
        while not (got := cond()):
            await asyncio.sleep(0.02)
    assert got, what
    return got


def market(size: str = "2", side: OrderSide = OrderSide.BUY_OPEN_LONG) -> OrderRequest:
    return OrderRequest(SYM, side, Decimal(size), new_client_order_id(), type=OrderType.MARKET,
                        leverage=Decimal(5), margin_mode=MarginMode.CROSS)


def limit(price: str) -> OrderRequest:
    return OrderRequest(SYM, OrderSide.BUY_OPEN_LONG, Decimal(1), new_client_order_id(),
                        price=Decimal(price), leverage=Decimal(5), margin_mode=MarginMode.CROSS)


async def test_mirror_follows_the_account_and_revalues_at_the_live_mark(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
    frozen_prices: Any,
) -> None:
    bus, mhub = hub
    creds = make_creds()
    source = MemorySource()
    ref = source.add("a1", creds)
    await asyncio.to_thread(frozen_prices.set_price, SYM, "95000")
    mirror = AccountMirror(ref, tapped, source.opener(ref), bus, mhub, refresh_debounce_s=0.05,
                           reconcile_interval_s=3600)
    sub = bus.subscribe([ALL_ACCOUNTS])  # every account: as notifications would
    mirror.start()
    try:
        await until(lambda: mirror.freshness.state is Freshness.FRESH, what="fresh after the snapshot")
        assert mirror.view().usdt is not None and mirror.view().usdt.equity == Decimal(10000)  # type: ignore[union-attr]
        assert tapped.streams[0].creds is None  # plaintext dropped once the session is up

        await until(lambda: mirror.fills_loaded)  # fills from now on are new ones
        resting = await tapped.place_order(creds, limit("90000"))
        await until(lambda: resting.order_id in {o.order_id for o in mirror.view().open_orders})
        filled = await tapped.place_order(creds, market("2"))
        await until(lambda: mirror.view().positions and mirror.view().positions[0].margin > 0,
                    what="position with the snapshot's margin")
        await until(lambda: any(f.order_id == filled.order_id for f in mirror.view().fills))
        pos = mirror.view().positions[0]
        assert (pos.symbol, pos.side, pos.size) == (SYM, PositionSide.LONG, Decimal(2))
        await tapped.set_tp_sl(creds, SYM, PositionSide.LONG, take_profit=Decimal(99000),
                               stop_loss=Decimal(91000))
        mirror.refresh("plans")  # the exchange pushes TP/SL orders only once they fire
        both = {PlanKind.TAKE_PROFIT, PlanKind.STOP_LOSS}
        await until(lambda: {p.kind for p in mirror.view().plans} == both)
        await tapped.cancel_order(creds, SYM, order_id=resting.order_id)
        await until(lambda: not mirror.view().open_orders, what="cancelled order left the mirror")

        # the mark moves at the exchange: the position is re-valued without a REST call
        await until(lambda: mhub.refcount("bitmart", MarketChannel(MarketKind.TICKER, SYM)) == 1)
        for _ in range(100):  # ticks, until the market stream has subscribed
            await asyncio.to_thread(frozen_prices.set_price, SYM, "96000")
            if mirror.view().positions[0].mark_price == Decimal(96000):
                break
            await asyncio.sleep(0.1)
        assert mirror.view().positions[0].mark_price == Decimal(96000), "live mark"
        pos = mirror.view().positions[0]
        assert pos.unrealized_pnl == (Decimal(96000) - pos.entry_price) * 2 * pos.contract_size
        usdt = mirror.view().usdt
        assert usdt is not None and usdt.unrealized_pnl == pos.unrealized_pnl
        got = None
        kinds: dict[str, list[dict[str, Any]]] = {}
        while got is None or got.kind != "account" or [
                p["mark_price"] for p in got.data["positions"]] != ["96000"]:
            got = await sub.get(wait_s=3)
            assert got is not None, "the account view was published on the bus"
            kinds.setdefault(got.kind, []).append(got.data)
        assert got.data["freshness"]["state"] == "fresh"
        # discrete events for notifications: the market order's fill, with whose it is
        assert [(f["order_id"], f["account_id"], f["user_id"]) for f in kinds["fill"]] == [
            (filled.order_id, "a1", "u1")]
        assert {o["order_id"] for o in kinds["order"]} >= {resting.order_id, filled.order_id}
    finally:
        sub.close()
        await mirror.stop()
    assert mhub.refcount("bitmart", MarketChannel(MarketKind.TICKER, SYM)) == 0  # released


async def test_reconnect_shows_disconnected_then_resyncs(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
) -> None:
    bus, mhub = hub
    creds = make_creds()
    source = MemorySource()
    ref = source.add("a2", creds)
    mirror = AccountMirror(ref, tapped, source.opener(ref), bus, mhub, refresh_debounce_s=0.05,
                           reconcile_interval_s=3600)
    sub = bus.subscribe([account_topic("a2")])
    mirror.start()
    try:
        await until(lambda: mirror.freshness.state is Freshness.FRESH)
        opened = source.opens["a2"]
        states: list[Freshness] = []
        orig = mirror._set

        def spy(state: Freshness, reason: str, at: int | None = None) -> None:
            states.append(state)
            orig(state, reason, at)

        mirror._set = spy  # type: ignore[method-assign]
        ws = tapped.streams[0]._ws
        assert ws is not None
        await ws.close()
        await until(lambda: Freshness.DISCONNECTED in states, what="drop reported")
        assert mirror.view().freshness.reason
        while_away = await tapped.place_order(creds, limit("90000"))
        await until(lambda: mirror.freshness.state is Freshness.FRESH, timeout=10)
        assert while_away.order_id in {o.order_id for o in mirror.view().open_orders}  # the resync has it
        assert tapped.streams[0].connections == 2
        assert source.opens["a2"] > opened  # credentials opened again for the new session
        published = []
        while (got := await sub.get(wait_s=0.2)) is not None:
            published.append(got.data["freshness"]["state"])
        assert "disconnected" in published and published[-1] == "fresh"  # pages were told both
    finally:
        sub.close()
        await mirror.stop()


async def test_drift_is_repaired_and_audited(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
) -> None:
    bus, mhub = hub
    creds = make_creds()
    source = MemorySource()
    ref = source.add("a3", creds, user_id="u3")
    mirror = AccountMirror(ref, tapped, source.opener(ref), bus, mhub, refresh_debounce_s=0.05,
                           reconcile_interval_s=3600, audit=source.audit)
    mirror.start()
    try:
        await until(lambda: mirror.freshness.state is Freshness.FRESH)
        placed = await tapped.place_order(creds, limit("90000"))
        await until(lambda: placed.order_id in mirror.state.orders)
        del mirror.state.orders[placed.order_id]  # a lost push
        assert await mirror.reconcile() == [
            {"part": "open_orders", "missing": [placed.order_id], "extra": [], "changed": []}]
        assert placed.order_id in mirror.state.orders
        assert source.audited == [("u3", "a3", "live.drift_repaired", {"drift": [
            {"part": "open_orders", "missing": [placed.order_id], "extra": [], "changed": []}]})]
        assert await mirror.reconcile() == []  # nothing more to repair
        assert len(source.audited) == 1
    finally:
        await mirror.stop()


async def test_supervisor_starts_restarts_and_stops_mirrors(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
) -> None:
    bus, mhub = hub
    source = MemorySource()
    source.add("s1", make_creds())
    source.add("s2", make_creds())
    sup = LiveSupervisor(source, lambda _ex: tapped, bus, mhub, InProcessOwnership(), scan_interval_s=0.1)
    sup.start()
    try:
        await until(lambda: len(sup.mirrors) == 2 and all(
            m.freshness.state is Freshness.FRESH for m in sup.mirrors.values()))
        first = sup.mirrors["s1"]
        ref, creds, _v = source.accounts["s1"]
        source.accounts["s1"] = (ref, creds, "2")  # edited
        del source.accounts["s2"]  # disconnected
        sup.kick()
        await until(lambda: "s2" not in sup.mirrors and sup.mirrors.get("s1") is not first)
        assert not first.running and first.freshness.state is Freshness.STOPPED
    finally:
        await sup.aclose()
    assert sup.mirrors == {}


async def test_market_data_is_shared_per_symbol(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], frozen_prices: Any,
) -> None:
    _bus, mhub = hub
    ch = MarketChannel(MarketKind.TICKER, "SOLUSDT")
    await mhub.acquire("bitmart", [ch])
    await mhub.acquire("bitmart", [ch])
    assert mhub.refcount("bitmart", ch) == 2 and len(tapped.streams) == 0
    for _ in range(100):  # ticks, until the market stream has subscribed
        await asyncio.to_thread(frozen_prices.set_price, "SOLUSDT", "150.5")
        if mhub.mark("bitmart", "SOLUSDT") == Decimal("150.5"):
            break
        await asyncio.sleep(0.1)
    assert mhub.mark("bitmart", "SOLUSDT") == Decimal("150.5")
    await mhub.release("bitmart", [ch])
    assert mhub.mark("bitmart", "SOLUSDT") == Decimal("150.5")
    await mhub.release("bitmart", [ch])
    assert mhub.refcount("bitmart", ch) == 0 and mhub.mark("bitmart", "SOLUSDT") is None


async def test_a_refused_key_shows_disconnected_with_the_reason_and_stops(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
) -> None:
    from dataclasses import replace

    bus, mhub = hub
    source = MemorySource()
    ref = source.add("k1", replace(make_creds(), passphrase="wrong-memo"))
    mirror = AccountMirror(ref, tapped, source.opener(ref), bus, mhub, reconcile_interval_s=3600)
    mirror.start()
    try:
        await until(lambda: mirror.key_problem is not None, what="the refusal is kept")
        view = mirror.view()
        assert view.freshness.state is Freshness.DISCONNECTED and "refused the key" in view.freshness.reason
        opened = source.opens["k1"]
        await asyncio.sleep(0.5)
        assert source.opens["k1"] == opened  # not retried with the same bad key
    finally:
        await mirror.stop()


async def test_channels_spread_over_connections_beyond_the_per_connection_cap(
    tapped: TappedConnector, frozen_prices: Any,
) -> None:
    bus = InProcessBus()
    mhub = MarketHub(lambda _ex: tapped, bus, channels_per_connection=2)
    chans = [MarketChannel(MarketKind.TICKER, s) for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT")]
    try:
        await mhub.acquire("bitmart", chans)
        assert mhub.connections("bitmart") == 2
        for _ in range(100):  # on the second connection
            await asyncio.to_thread(frozen_prices.set_price, "SOLUSDT", "151.25")
            if mhub.mark("bitmart", "SOLUSDT") == Decimal("151.25"):
                break
            await asyncio.sleep(0.1)
        assert mhub.mark("bitmart", "SOLUSDT") == Decimal("151.25")
        await mhub.release("bitmart", chans[:1])
        await mhub.acquire("bitmart", [MarketChannel(MarketKind.DEPTH, "BTCUSDT")])  # the freed room
        assert mhub.connections("bitmart") == 2
    finally:
        await mhub.aclose()


async def test_a_watched_mirror_finds_plan_orders_the_exchange_does_not_push(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
) -> None:
    """A trigger order placed elsewhere is never pushed until it fires: while a page of the account
    is open (a subscriber of its own topic, not a wildcard one) the mirror re-reads the plans."""
    bus, mhub = hub
    creds = make_creds()
    source = MemorySource()
    ref = source.add("a5", creds)
    mirror = AccountMirror(ref, tapped, source.opener(ref), bus, mhub, refresh_debounce_s=0.05,
                           reconcile_interval_s=3600, watched_plans_s=0.2)
    everyone = bus.subscribe([ALL_ACCOUNTS])
    mirror.start()
    try:
        await until(lambda: mirror.freshness.state is Freshness.FRESH and mirror.fills_loaded)
        req = PlanRequest(SYM, OrderSide.BUY_OPEN_LONG, Decimal(1), Decimal(99000), new_client_order_id(),
                          Decimal(5), MarginMode.CROSS)
        placed = await tapped.place_plan(creds, req)
        assert placed.order_id, placed
        await asyncio.sleep(0.8)
        assert mirror.view().plans == []  # nobody watches this account: no reads spent on it
        page = bus.subscribe([account_topic("a5")])
        try:
            await until(lambda: [p.order_id for p in mirror.view().plans] == [placed.order_id], timeout=3)
        finally:
            page.close()
    finally:
        everyone.close()
        await mirror.stop()


async def test_periodic_reads_are_timers_that_stop_with_the_mirror(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
) -> None:
    """An idle mirror holds one task (its stream): reconciliations (and BitMart's ping) are loop
    timers, each a short task when due, set again after it; stop() leaves none behind."""
    bus, mhub = hub
    source = MemorySource()
    ref = source.add("a-timers", make_creds())
    mirror = AccountMirror(ref, tapped, source.opener(ref), bus, mhub, reconcile_interval_s=0.3)
    mirror.start()
    try:
        await until(lambda: mirror.freshness.state is Freshness.FRESH, what="fresh")
        await until(lambda: mirror.reconciliations >= 2, timeout=10, what="reconciled again and again")
        await until(lambda: len(mirror._tasks) == 1, what="between reads: the stream's task only")
    finally:
        await mirror.stop()
    # no timer left, none set again by a reconciliation that stop() cancelled
    assert not mirror.running and not mirror._timers and not mirror._tasks


async def test_a_supervisor_looks_at_its_watched_mirrors_plans_from_one_timer(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
) -> None:
    """Under a supervisor the mirrors arm no plans timer of their own (10,000 timers every 5 s
    were a tenth of an idle worker): the supervisor's one timer re-reads the watched ones only."""
    bus, mhub = hub
    creds = make_creds()
    source = MemorySource()
    source.add("w1", creds)
    source.add("w2", make_creds())
    sup = LiveSupervisor(source, lambda _ex: tapped, bus, mhub, InProcessOwnership(), scan_interval_s=30,
                         reconcile_interval_s=3600, watched_plans_s=0.2)
    sup.start()
    try:
        await until(lambda: len(sup.mirrors) == 2 and all(
            m.freshness.state is Freshness.FRESH and m.fills_loaded for m in sup.mirrors.values()))
        assert all("plans" not in m._timers for m in sup.mirrors.values())
        req = PlanRequest(SYM, OrderSide.BUY_OPEN_LONG, Decimal(1), Decimal(99000), new_client_order_id(),
                          Decimal(5), MarginMode.CROSS)
        placed = await tapped.place_plan(creds, req)
        assert placed.order_id, placed
        await asyncio.sleep(0.8)
        assert sup.mirrors["w1"].view().plans == []  # not watched: not read
        page = bus.subscribe([account_topic("w1")])
        try:
            await until(lambda: [p.order_id for p in sup.mirrors["w1"].view().plans] == [placed.order_id],
                        timeout=3)
        finally:
            page.close()
    finally:
        await sup.aclose()
    assert sup._plans_timer is None


async def test_a_held_position_the_exchange_re_sends_unchanged_leaves_the_account_quiet(
    tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], make_creds: Callable[[], Credentials],
) -> None:
    """The sandbox re-sends every held position each 10 s, as BitMart documents: unchanged, such a
    push confirms them, so an account that only holds a position is reconciled less and less often
    (a fifth of the accounts holding one were most of an idle worker's reads)."""
    bus, mhub = hub
    creds = make_creds()
    source = MemorySource()
    ref = source.add("a-held", creds)
    mirror = AccountMirror(ref, tapped, source.opener(ref), bus, mhub, refresh_debounce_s=0.05,
                           reconcile_interval_s=60, reconcile_idle_max_s=300)
    mirror.start()
    try:
        await until(lambda: mirror.freshness.state is Freshness.FRESH, what="fresh")
        await tapped.place_order(creds, market("1"))
        await until(lambda: mirror.view().positions, what="the position")
        assert mirror._positions_confirmed_ms == 0
        mirror._reconcile_pause()  # a round: the fill was activity
        assert mirror._reconcile_pause() == 60  # held, and not re-sent yet: the base pace
        await until(lambda: mirror._positions_confirmed_ms > 0, timeout=15, what="the timed re-send")
        mirror._reconcile_pause()  # a round (the fill's last pushes may have come since the last)
        assert mirror._reconcile_pause() == 120  # quiet: the exchange vouches for the position
    finally:
        await mirror.stop()
