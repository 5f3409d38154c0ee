"""Position mode on a Binance account through the terminal service: switched when nothing is open
(as Binance's GET /fapi/v1/positionSide/dual then says), refused with Binance's own reason and the
next step while a position is open; orders in one-way mode close with reduceOnly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perpdesk.core.models import PositionMode
from perpdesk.services import portfolio, terminal, trading
from perpdesk.services.terminal import PositionModeLocked
from tests.integration.binance_trading.conftest import BCtx

ETH = "ETHUSDT"


async def test_position_mode_switch_then_one_way_trading_then_locked(bctx: BCtx) -> None:
    t = await bctx.trader()
    bctx.set_price(ETH, "3500")
    assert await terminal.position_mode(bctx.deps, t.user_id, t.account_id) is PositionMode.HEDGE
    assert t.client.ok("GET", "/fapi/v1/positionSide/dual")["dualSidePosition"] is True
    switched = await terminal.set_position_mode(bctx.deps, t.user_id, t.account_id, "one_way")
    assert switched is PositionMode.ONE_WAY
    assert t.client.ok("GET", "/fapi/v1/positionSide/dual")["dualSidePosition"] is False

    opened = await trading.place_order(bctx.deps, t.user_id, t.account_id, {
        "symbol": ETH, "side": "buy", "type": "market", "size": "0.4", "leverage": "5"})
    assert opened.status == "placed", opened
    risk = t.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": ETH})
    assert [(r["positionSide"], Decimal(r["positionAmt"])) for r in risk] == [("BOTH", Decimal("0.4"))]
    with pytest.raises(PositionModeLocked) as locked:
        await terminal.set_position_mode(bctx.deps, t.user_id, t.account_id, "hedge")
    assert locked.value.message.startswith("Binance switches between one-way and hedge mode only")
    assert f"{ETH} long" in locked.value.message and locked.value.next_step

    closed = await trading.close_position(bctx.deps, t.user_id, t.account_id, ETH, "long")
    assert closed.status == "placed" and closed.size == Decimal("0.4"), closed
    assert await portfolio.positions(bctx.deps, t.user_id, t.account_id) == []
    risk = t.client.ok("GET", "/fapi/v2/positionRisk", {"symbol": ETH})
    assert [(r["positionSide"], Decimal(r["positionAmt"])) for r in risk] == [("BOTH", Decimal(0))]
