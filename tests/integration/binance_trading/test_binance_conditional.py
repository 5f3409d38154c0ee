"""TP/SL, trigger and trailing orders (Binance's algo API), close 50 % then the rest, leverage and
margin mode on a Binance account through the platform's services; each checked against what the
exchange itself answers."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.core.market import PlanKind
from perpdesk.core.models import MarginMode, PositionSide
from perpdesk.services import portfolio, terminal, terminal_orders, trading
from perpdesk.services.trading.commands import parse_close, parse_plan, parse_tp_sl, parse_trail
from tests.integration.binance_trading.conftest import BCtx, BnTrader

ETH = "ETHUSDT"


def algo_orders(t: BnTrader) -> list[dict[str, object]]:
    """The waiting algo orders as the exchange lists them."""
    return list(t.client.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": ETH}))


async def test_tp_sl_trigger_trailing_then_close_half_and_the_rest(bctx: BCtx) -> None:
    t = await bctx.trader()
    bctx.set_price(ETH, "3500")
    await trading.set_leverage(bctx.deps, t.user_id, t.account_id, ETH, "10", "isolated")
    risk = t.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": ETH})
    assert {(r["leverage"], r["marginType"]) for r in risk} == {("10", "isolated")}
    opened = await trading.place_order(bctx.deps, t.user_id, t.account_id, {
        "symbol": ETH, "side": "buy", "type": "market", "size": "2", "leverage": "10",
        "margin_mode": "isolated", "take_profit": "4200", "stop_loss": "2800",
    })
    assert opened.status == "placed", opened
    (view,) = await portfolio.positions(bctx.deps, t.user_id, t.account_id)
    assert view.position.side is PositionSide.LONG and view.position.size == Decimal(2)
    assert view.position.margin_mode is MarginMode.ISOLATED and view.position.leverage == Decimal(10)

    await trading.set_tp_sl(bctx.deps, t.user_id, t.account_id, parse_tp_sl(
        {"symbol": ETH, "side": "long", "take_profit": "4000", "stop_loss": "3000"}))
    plan = await terminal_orders.place_plan(bctx.deps, t.user_id, t.account_id, parse_plan(
        {"symbol": ETH, "side": "buy", "size": "0.5", "trigger_price": "3300", "leverage": "10",
         "margin_mode": "isolated"}))
    assert plan.status == "placed" and plan.order_id, plan
    trail = await terminal_orders.place_trail(bctx.deps, t.user_id, t.account_id, parse_trail(
        {"symbol": ETH, "side": "sell_close_long", "size": "1", "activation_price": "3700",
         "callback_rate": "1", "leverage": "10", "margin_mode": "isolated"}))
    assert trail.status == "placed" and trail.order_id, trail
    waiting = await terminal.conditional_orders(bctx.deps, t.user_id, t.account_id, ETH)
    kinds = sorted(o.kind.value for o in waiting)
    assert kinds == sorted(k.value for k in (PlanKind.PLAN, PlanKind.TRAILING, PlanKind.TAKE_PROFIT,
                                               PlanKind.STOP_LOSS)), kinds
    tps = {o.kind: o.trigger_price for o in waiting}
    assert tps[PlanKind.TAKE_PROFIT] == Decimal(4000) and tps[PlanKind.STOP_LOSS] == Decimal(3000)
    at_exchange = {str(o["algoId"]): o for o in algo_orders(t)}
    assert {o.order_id for o in waiting} == set(at_exchange)
    assert at_exchange[trail.order_id or ""]["orderType"] == "TRAILING_STOP_MARKET"
    assert at_exchange[plan.order_id or ""]["clientAlgoId"] == plan.client_order_id
    # Binance keeps a trailing stop's client id: the intent is found by it, as a trigger order's
    assert trail.client_order_id
    assert at_exchange[trail.order_id or ""]["clientAlgoId"] == trail.client_order_id

    await terminal_orders.cancel_conditional(bctx.deps, t.user_id, t.account_id, ETH, plan.order_id or "")
    await terminal_orders.cancel_conditional(bctx.deps, t.user_id, t.account_id, ETH, trail.order_id or "")
    assert len(algo_orders(t)) == 2  # the TP and the SL stay

    half = await terminal_orders.close_percent(bctx.deps, t.user_id, t.account_id,
                                               parse_close({"symbol": ETH, "side": "long", "percent": "50"}))
    assert half.status == "placed" and half.size == Decimal(1), half
    (left,) = await portfolio.positions(bctx.deps, t.user_id, t.account_id)
    assert left.position.size == Decimal(1)
    rest = await terminal_orders.close_percent(bctx.deps, t.user_id, t.account_id,
                                               parse_close({"symbol": ETH, "side": "long", "percent": "100"}))
    assert rest.status == "placed" and rest.size == Decimal(1), rest
    assert await portfolio.positions(bctx.deps, t.user_id, t.account_id) == []
    risk = t.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": ETH})
    assert all(Decimal(r["positionAmt"]) == 0 for r in risk)
