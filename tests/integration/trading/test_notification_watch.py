"""Notifications from the real sandbox: a fill, a position nearer liquidation than the user's
threshold, each notified once however often the watcher passes."""

from __future__ import annotations

from perpdesk.core.models import AccountStatus
from perpdesk.exchanges.registry import entry
from perpdesk.services import errors_text as T
from perpdesk.services import notification_watch, notifications, trading
from perpdesk.store.accounts import ExchangeAccount
from tests.integration.trading.conftest import TCtx

ETH = "ETHUSDT"


async def test_fill_and_liquidation_distance_are_notified_once(tctx: TCtx) -> None:
    t = await tctx.trader(futures_usdt="1000")
    tctx.sandbox.admin.set_price(ETH, "3500")
    order = {"symbol": ETH, "side": "buy", "type": "market", "size": "10", "leverage": "50",
             "margin_mode": "isolated"}
    assert (await trading.place_order(tctx.deps, t.user_id, t.account_id, order)).status == "placed"
    await notification_watch.run_once(tctx.deps)
    (fill,) = await notifications.listing(tctx.deps, t.user_id)
    assert fill.kind == "fill" and fill.account_id == t.account_id
    assert "buy open long 10 ETHUSDT" in fill.title

    await notifications.save_prefs(tctx.deps, t.user_id, liquidation_pct="5", webhook_url=None)
    await notification_watch.run_once(tctx.deps)
    await notification_watch.run_once(tctx.deps)
    liq, again = await notifications.listing(tctx.deps, t.user_id)
    assert again.id == fill.id and liq.kind == "liquidation"
    assert "ETHUSDT long is" in liq.title and "from liquidation" in liq.title
    assert "threshold is 5%" in liq.body
    assert await notifications.unread_count(tctx.deps, t.user_id) == 2


async def test_key_problem_from_the_audit_is_notified(tctx: TCtx) -> None:
    wrong = T.wrong_key(entry("bitmart").info)
    t = await tctx.trader()
    async with tctx.deps.sessions() as s, s.begin():
        row = await s.get(ExchangeAccount, t.account_id)
        assert row is not None
        row.status, row.last_error = AccountStatus.ERROR.value, wrong.code
    await notification_watch.run_once(tctx.deps)
    await notification_watch.run_once(tctx.deps)
    (n,) = await notifications.listing(tctx.deps, t.user_id)
    assert n.kind == "key" and n.title == f"Main: {wrong.title}" and wrong.next_step in n.body
