"""A trailing stop's activation price and callback rate on a Binance account: Binance lists
neither (openAlgoOrders has no activatePrice or callbackRate, only the placement's answer does),
so the connector that placed it keeps them; the terminal's list shows what was placed, not 0."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.core.market import PlanKind
from perpdesk.services import terminal, terminal_orders, trading
from perpdesk.services.trading.commands import parse_trail
from tests.integration.binance_trading.conftest import BCtx

SOL = "SOLUSDT"


async def test_the_trailing_stop_listed_has_the_terms_it_was_placed_with(bctx: BCtx) -> None:
    t = await bctx.trader()
    bctx.set_price(SOL, "180")
    opened = await trading.place_order(bctx.deps, t.user_id, t.account_id, {
        "symbol": SOL, "side": "buy", "type": "market", "size": "5", "leverage": "5", "margin_mode": "cross"})
    assert opened.status == "placed", opened
    trail = await terminal_orders.place_trail(bctx.deps, t.user_id, t.account_id, parse_trail(
        {"symbol": SOL, "side": "sell_close_long", "size": "5", "activation_price": "186.4",
         "callback_rate": "1.5", "leverage": "5", "margin_mode": "cross"}))
    assert trail.status == "placed" and trail.order_id, trail
    (theirs,) = t.client.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": SOL})
    assert theirs["orderType"] == "TRAILING_STOP_MARKET" and "activatePrice" not in theirs

    (listed,) = await terminal.conditional_orders(bctx.deps, t.user_id, t.account_id, SOL)
    assert (listed.kind, listed.order_id) == (PlanKind.TRAILING, trail.order_id)
    assert (listed.trigger_price, listed.callback_rate) == (Decimal("186.4"), Decimal("1.5"))
