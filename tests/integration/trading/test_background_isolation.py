"""One user's poisoned item never holds up another's in the background: an account whose sealed
credentials no longer open (a plain `VaultError`, not one of the errors a pass expects) is
recorded as failed, left alone for a growing while and logged once per step, while the other
user's unknown order is settled, their orphan order reconciled, their key problem notified and
their live fill notified in the same pass. Real sandbox, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from perpdesk.core.background import ItemBackoff
from perpdesk.core.models import MarginMode, OrderRequest, OrderSide
from perpdesk.live.bus import InProcessBus
from perpdesk.services import notification_watch, notifications, trading
from perpdesk.services.live_notifications import LiveNotifier
from perpdesk.store.accounts import ExchangeAccount
from perpdesk.store.base import utcnow
from perpdesk.store.orders import IntentStatus, OrderIntentRepo
from perpdesk.store.sealed_secrets import SealedSecret
from tests.integration.trading.conftest import TCtx, Trader

ETH = "ETHUSDT"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _poisoned(tctx: TCtx) -> Trader:
    t = await tctx.trader()
    async with tctx.deps.sessions() as s, s.begin():
        await s.execute(update(SealedSecret).where(SealedSecret.user_id == t.user_id)
                        .values(blob=b"not a sealed blob"))
    return t


async def _unknown_order(tctx: TCtx, t: Trader) -> str:
    """An order whose answer was lost and whose window has closed: settling decides it."""
    cid = trading.new_client_order_id()
    await tctx.stored_intent(t, cid, ETH, "2000", IntentStatus.UNKNOWN,
                             decided_after=utcnow() - timedelta(minutes=1))
    return cid


def _failures(caplog: pytest.LogCaptureFixture, what: str, key: str) -> int:
    """Failures logged for this item (a shared PostgreSQL database holds other tests' accounts)."""
    return sum(1 for r in caplog.records if r.getMessage().startswith(f"{what} {key} failed"))


async def test_settling_and_reconciling_go_on_past_a_poisoned_account(
    tctx: TCtx, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="perpdesk.core.background")
    bad, good = await _poisoned(tctx), await tctx.trader()
    await _unknown_order(tctx, bad)
    cid = await _unknown_order(tctx, good)
    clock = Clock()
    settling = ItemBackoff("settling account", 15.0, clock=clock)

    assert await trading.settle_due(tctx.deps, settling) >= 1
    async with tctx.deps.sessions() as s:
        row = await OrderIntentRepo(s).by_client_id(good.user_id, good.account_id, cid)
    assert row is not None and row.status == IntentStatus.NOT_PLACED.value
    logged = lambda: _failures(caplog, "settling account", bad.account_id)  # noqa: E731
    assert settling.failures(bad.account_id) == 1 and logged() == 1
    await trading.settle_due(tctx.deps, settling)  # within its wait: not tried, not logged
    assert logged() == 1
    clock.now += 15.0
    await trading.settle_due(tctx.deps, settling)  # the next step: tried and logged once more
    assert settling.failures(bad.account_id) == 2 and logged() == 2

    tctx.sandbox.admin.set_price(ETH, "3500")
    orphan = trading.new_client_order_id()
    await tctx.connector.place_order(good.creds, OrderRequest(
        ETH, OrderSide.BUY_OPEN_LONG, Decimal(1), orphan, price=Decimal("2800"), leverage=Decimal(5),
        margin_mode=MarginMode.CROSS))
    reconciling = ItemBackoff("reconciling account", 300.0, clock=clock)
    assert await trading.reconcile_all(tctx.deps, reconciling) >= 1
    async with tctx.deps.sessions() as s:
        adopted = await OrderIntentRepo(s).by_client_id(good.user_id, good.account_id, orphan)
    assert adopted is not None and adopted.purpose == "adopted"
    assert reconciling.failures(bad.account_id) == 1


async def test_notifications_go_on_past_a_poisoned_account(
    tctx: TCtx, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="perpdesk.core.background")
    bad, good = await _poisoned(tctx), await tctx.trader()
    async with tctx.deps.sessions() as s, s.begin():
        await s.execute(update(ExchangeAccount).where(ExchangeAccount.id == good.account_id)
                        .values(warnings=["key_expires_soon"]))
    clock = Clock()
    checks = ItemBackoff("notification check of account", 60.0, clock=clock)
    await notification_watch.run_once(tctx.deps, accounts=checks)
    await notification_watch.run_once(tctx.deps, accounts=checks)
    assert [n.kind for n in await notifications.listing(tctx.deps, good.user_id)] == ["key"]
    assert checks.failures(bad.account_id) == 1
    assert _failures(caplog, "notification check of account", bad.account_id) == 1

    bus = InProcessBus()
    notifier = LiveNotifier(tctx.deps, bus)
    notifier.start()
    try:
        fill = {"account_id": good.account_id, "user_id": good.user_id, "label": "Main",
                "side": "buy_open_long", "size": "1", "symbol": ETH, "price": "2000",
                "realised_pnl": "0", "fee": "0.1", "trade_id": "t-1", "time_ms": str(10**13)}
        for _ in range(3):  # a malformed fill of the poisoned account, again and again
            malformed = {"account_id": bad.account_id, "user_id": bad.user_id}
            bus.publish(f"account:{bad.account_id}", "fill", malformed)
        bus.publish(f"account:{good.account_id}", "fill", fill)
        for _ in range(200):
            if notifier.created:
                break
            await asyncio.sleep(0.01)
    finally:
        await notifier.stop()
    kinds = [n.kind for n in await notifications.listing(tctx.deps, good.user_id)]
    assert sorted(kinds) == ["fill", "key"]
    assert _failures(caplog, "live notification of", str((f"account:{bad.account_id}", "fill"))) == 1

