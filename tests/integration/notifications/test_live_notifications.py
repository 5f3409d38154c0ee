"""Notifications from the live mirror's events (no REST polling), against the real sandbox and a
real database: a fill; a take profit, a stop loss (preset at entry: a plan the mirror never read)
and a trailing stop firing after scripted price moves, each its own kind with its text; a position
nearer liquidation than the user's threshold once the mark moves there; a key the exchange
refuses. Each is also POSTed to the user's webhook (a receiver on loopback)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from decimal import Decimal
from typing import Any

from perpdesk.core.models import Credentials, MarginMode, OrderRequest, OrderSide, OrderType, PositionSide
from perpdesk.core.number_text import price_text
from perpdesk.core.terminal import TrailRequest
from perpdesk.exchanges.bitmart import new_client_order_id
from perpdesk.exchanges.registry import Venue
from perpdesk.live.bus import InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.mirror import AccountMirror, MirrorRef
from perpdesk.live.views import Freshness
from perpdesk.services import notifications, webhooks
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.live_notifications import LiveNotifier
from perpdesk.services.webhook_target import webhook_client
from perpdesk.services.webhooks import Backoff
from perpdesk.store.notifications import Notification
from tests.integration.live.conftest import TappedConnector
from tests.integration.notifications.receiver import Receiver
from tests.integration.trading.conftest import TCtx, Trader

SYM = "SOLUSDT"

TEST_VENUE = Venue("bitmart", "http://exchange.test")  # the mirrors here get their connector directly


async def until(cond: Any, timeout: float = 10.0, what: str = "") -> Any:
    async with asyncio.timeout(timeout):
        while not (got := await cond()):
            await asyncio.sleep(0.05)
    return got


async def notified(deps: AccountsDeps, user_id: str, kind: str, timeout: float = 10.0) -> Notification:
    async def find() -> Notification | None:
        rows = await notifications.listing(deps, user_id, limit=100)
        return next((n for n in rows if n.kind == kind), None)
    try:
        found: Notification = await until(find, timeout)
    except TimeoutError:
        got = [(n.kind, n.title) for n in await notifications.listing(deps, user_id, limit=100)]
        raise AssertionError(f"no {kind} notification; got {got}") from None
    return found


def market(side: OrderSide, size: str, **kw: Any) -> OrderRequest:
    return OrderRequest(SYM, side, Decimal(size), new_client_order_id(), type=OrderType.MARKET,
                        leverage=Decimal(kw.pop("leverage", 5)),
                        margin_mode=kw.pop("margin_mode", MarginMode.CROSS), **kw)


class Live:
    def __init__(self, deps: AccountsDeps, t: Trader, tapped: TappedConnector, bus: InProcessBus,
                 hub: MarketHub, creds: Credentials | None = None) -> None:
        async def open_creds() -> Any:
            return creds or t.creds
        self.notifier = LiveNotifier(deps, bus, thresholds_ttl_s=0)
        ref = MirrorRef(t.account_id, t.user_id, TEST_VENUE, "Main")
        self.mirror = AccountMirror(ref, tapped, open_creds, bus, hub, refresh_debounce_s=0.05,
                                    reconcile_interval_s=3600)

    async def __aenter__(self) -> Live:
        self.notifier.start()  # before the mirror, as the platform starts them
        self.mirror.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.mirror.stop()
        await self.notifier.stop()


async def ticks(admin: Any, prices: list[str]) -> None:
    for p in prices:
        await asyncio.to_thread(admin.set_price, SYM, p)


async def test_fill_tp_sl_trailing_and_liquidation_notified_from_the_mirror(
    tctx: TCtx, tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub], frozen_prices: Any,
    receiver: Receiver,
) -> None:
    bus, mhub = hub
    deps = dataclasses.replace(tctx.deps, webhook_allow_private=True)  # the receiver is on loopback
    t = await tctx.trader(futures_usdt="10000")
    creds = t.creds
    await notifications.save_prefs(deps, t.user_id, liquidation_pct="3", webhook_url=receiver.url)
    await ticks(frozen_prices, ["200"])
    async with Live(deps, t, tapped, bus, mhub) as live:
        mirror = live.mirror

        async def fresh() -> bool:
            return mirror.freshness.state is Freshness.FRESH and mirror.fills_loaded
        await until(fresh)

        # a fill
        await tapped.place_order(creds, market(OrderSide.BUY_OPEN_LONG, "10"))
        fill = await notified(deps, t.user_id, "fill")
        assert fill.title.startswith("Main: buy open long 10 SOLUSDT at ") and "fee" in fill.body

        # a take profit set on the position, read by the mirror (as after a write through perpdesk)
        await tapped.set_tp_sl(creds, SYM, PositionSide.LONG, take_profit=Decimal(210),
                               stop_loss=Decimal(190))
        mirror.refresh("plans")

        async def plans_known() -> bool:
            return len(mirror.view().plans) == 2
        await until(plans_known)
        await ticks(frozen_prices, ["205", "210"])
        tp = await notified(deps, t.user_id, "take_profit")
        assert tp.title == "Main: Take profit triggered on SOLUSDT long at 210.00"
        assert re.search(r"Order \d+: sell close long 10 at market\.", tp.body), tp.body

        # a stop loss preset on the entry order: the exchange made it, the mirror never read it
        async def flat() -> bool:
            return not mirror.view().positions
        await until(flat)
        await tapped.place_order(creds, market(OrderSide.BUY_OPEN_LONG, "10", stop_loss=Decimal(195)))

        async def held() -> bool:
            return bool(mirror.view().positions)
        await until(held)
        await ticks(frozen_prices, ["199", "195"])
        sl = await notified(deps, t.user_id, "stop_loss")
        assert sl.title == "Main: Stop loss triggered on SOLUSDT long at 195.00", sl.title

        # a trailing stop: activated at 200, follows the high to 202, fires 1 % below it
        await until(flat)
        await tapped.place_order(creds, market(OrderSide.BUY_OPEN_LONG, "10"))
        await until(held)
        trail = TrailRequest(SYM, OrderSide.SELL_CLOSE_LONG, Decimal(10), activation_price=Decimal(200),
                             callback_rate=Decimal(1), leverage=Decimal(5), margin_mode=MarginMode.CROSS)
        assert (await tapped.place_trail(creds, trail)).order_id
        mirror.refresh("plans")

        async def trail_known() -> bool:
            return any(p.kind.value == "trailing" for p in mirror.view().plans)
        await until(trail_known)
        await ticks(frozen_prices, ["200", "202", "201", "199.9"])
        ts = await notified(deps, t.user_id, "trailing_stop")
        m = re.fullmatch(r"Main: Trailing stop triggered on SOLUSDT long at ([\d.]+)", ts.title)
        assert m is not None, ts.title
        assert Decimal(199) <= Decimal(m.group(1)) <= Decimal("199.98")  # fired at 199.9 (a market close)
        assert "Activation price 200.00, callback 1%." in ts.body

        # liquidation distance, driven by the live mark
        await until(flat)
        await tapped.place_order(creds, market(OrderSide.BUY_OPEN_LONG, "10", leverage=20,
                                               margin_mode=MarginMode.ISOLATED))

        async def liq_known() -> Decimal | None:
            ps = mirror.view().positions
            return ps[0].liquidation_price if ps and ps[0].liquidation_price else None
        liq = await until(liq_known)
        assert (Decimal("199.9") - liq) / Decimal("199.9") * 100 >= 3  # not yet within the threshold
        near = (liq * Decimal("1.01")).quantize(Decimal("0.01"))  # 1 % above liquidation

        async def liq_notified() -> Notification | None:
            await ticks(frozen_prices, [str(near)])  # again, until the market stream has the symbol
            rows = await notifications.listing(deps, t.user_id, limit=100)
            return next((n for n in rows if n.kind == "liquidation"), None)
        liq_n: Notification = await until(liq_notified)
        assert liq_n.title.startswith("Main: SOLUSDT long is ") and "from liquidation" in liq_n.title
        assert f"liquidation price {price_text(liq, '0.01')};" in liq_n.body, liq_n.body
        assert "your threshold is 3%" in liq_n.body
        await tapped.close_position(creds, SYM, PositionSide.LONG)

    # each once, and each to the webhook with its kind
    kinds = [n.kind for n in await notifications.listing(deps, t.user_id, limit=100)]
    for kind in ("take_profit", "stop_loss", "trailing_stop", "liquidation"):
        assert kinds.count(kind) == 1, kinds
    async with webhook_client(allow_private=True, timeout_s=5) as client:
        assert await webhooks.deliver_due(deps, Backoff(0.0, 1), client) == len(kinds)
    sent = {json.loads(body)["type"]: json.loads(body) for _h, body in receiver.requests}
    assert {"fill", "take_profit", "stop_loss", "trailing_stop", "liquidation"} <= set(sent)
    assert sent["take_profit"]["title"] == "Main: Take profit triggered on SOLUSDT long at 210.00"
    assert sent["take_profit"]["account_id"] == t.account_id


async def test_a_key_refused_on_the_stream_is_notified(
    tctx: TCtx, tapped: TappedConnector, hub: tuple[InProcessBus, MarketHub],
) -> None:
    bus, mhub = hub
    t = await tctx.trader()
    wrong = dataclasses.replace(t.creds, secret="0" * len(t.creds.secret))  # changed at the exchange
    async with Live(tctx.deps, t, tapped, bus, mhub, creds=wrong):
        n = await notified(tctx.deps, t.user_id, "key")
    assert n.title == "Main: the exchange refused the key" and "Exchange Account API Keys" in n.body
