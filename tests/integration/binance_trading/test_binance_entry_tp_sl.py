"""TP/SL given with an entry on a Binance account (Binance attaches none to an order): a market
entry's become the position's closePosition algo orders once it fills; setting TP/SL again
replaces them (Binance, and the sandbox, refuse a second of a kind per direction: -4130); a
limit order with TP/SL is refused before anything is sent. Checked against what the exchange
itself lists."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.core.errors import PerpdeskError
from perpdesk.services import trading
from perpdesk.services.trading.commands import parse_tp_sl
from tests.integration.binance_trading.conftest import BCtx, BnTrader

SOL = "SOLUSDT"


def waiting(t: BnTrader) -> list[tuple[str, str, bool, Decimal]]:
    rows = t.client.ok("GET", "/fapi/v1/openAlgoOrders", {"symbol": SOL})
    return sorted((r["orderType"], r["side"], r["closePosition"], Decimal(r["triggerPrice"])) for r in rows)


def entry(kind: str, **extra: str) -> dict[str, str]:
    return {"symbol": SOL, "side": "sell", "type": kind, "size": "4", "leverage": "5",
            "margin_mode": "cross", **extra}


async def test_a_market_entrys_tp_sl_become_the_positions_and_are_replaced(bctx: BCtx) -> None:
    t = await bctx.trader()
    bctx.set_price(SOL, "180")
    placed = await trading.place_order(bctx.deps, t.user_id, t.account_id,
                                       entry("market", take_profit="160", stop_loss="190.5"))
    assert placed.status == "placed", placed
    risk = t.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": SOL})
    (risk,) = [r for r in risk if Decimal(r["positionAmt"])]
    assert Decimal(risk["positionAmt"]) == -4
    assert waiting(t) == [("STOP_MARKET", "BUY", True, Decimal("190.5")),
                          ("TAKE_PROFIT_MARKET", "BUY", True, Decimal(160))]

    # a second of a kind is refused by the exchange (as Binance: -4130), so setting one replaces
    second = {"algoType": "CONDITIONAL", "symbol": SOL, "side": "BUY", "type": "STOP_MARKET",
              "triggerPrice": "195", "closePosition": True}
    if t.client.ok("GET", "/fapi/v1/positionSide/dual")["dualSidePosition"]:
        second["positionSide"] = "SHORT"
    r = t.client.signed("POST", "/fapi/v1/algoOrder", second)
    assert (r.status_code, r.json()["code"]) == (400, -4130), r.text
    await trading.set_tp_sl(bctx.deps, t.user_id, t.account_id,
                            parse_tp_sl({"symbol": SOL, "side": "short", "stop_loss": "185"}))
    assert waiting(t) == [("STOP_MARKET", "BUY", True, Decimal(185)),
                          ("TAKE_PROFIT_MARKET", "BUY", True, Decimal(160))]


async def test_a_limit_order_with_tp_sl_is_refused_before_sending(bctx: BCtx) -> None:
    t = await bctx.trader()
    bctx.set_price(SOL, "180")
    try:
        result = await trading.place_order(bctx.deps, t.user_id, t.account_id,
                                           entry("limit", price="185", stop_loss="195"))
    except PerpdeskError as exc:
        refusal = str(exc)
    else:
        assert result.status == "rejected", result
        refusal = str(result)
    assert "stop_loss" in refusal and "market order that opens a position" in refusal, refusal
    assert t.client.ok("GET", "/fapi/v1/openOrders", {"symbol": SOL}) == []
    assert waiting(t) == []
