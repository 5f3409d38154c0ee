"""Realised PnL, fees and funding of a Binance account, read by the portfolio from the exchange's
income history after a scripted open / partial close / funding / close, equal to what
GET /fapi/v1/income itself answers, to the last digit; its fills and their CSV."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.services import pnl_history, trading
from perpdesk.services.fills_csv import fills_csv
from perpdesk.services.pnl_history import Period, Range
from tests.integration.binance_trading.conftest import BCtx

ETH = "ETHUSDT"
FLOWS = {"REALIZED_PNL": "realised_pnl", "COMMISSION": "fees", "FUNDING_FEE": "funding"}


def market(side: str, size: str) -> dict[str, object]:
    return {"symbol": ETH, "side": side, "type": "market", "size": size, "leverage": "10",
            "margin_mode": "cross"}


async def test_pnl_fees_and_funding_equal_the_income_history(bctx: BCtx) -> None:
    t = await bctx.trader()
    admin = bctx.sandbox.server.admin
    admin.set_price(ETH, "3500")
    for step in (market("buy", "3"), None, market("sell_close_long", "1.2"), "funding",
                 market("sell_close_long", "1.8")):
        if step is None:
            admin.set_price(ETH, "3612.37")
        elif step == "funding":
            admin.settle_funding(ETH, "0.000137")
        elif isinstance(step, dict):
            placed = await trading.place_order(bctx.deps, t.user_id, t.account_id, step)
            assert placed.status == "placed", placed

    income = t.client.ok("GET", "/fapi/v1/income", {"limit": 1000})
    expected = {name: Decimal(0) for name in FLOWS.values()}
    for row in income:
        if row["incomeType"] in FLOWS:
            expected[FLOWS[row["incomeType"]]] += Decimal(row["income"])
    assert expected["realised_pnl"] > 0 and expected["fees"] < 0 and expected["funding"] < 0

    span = Range.parse(None, None)
    for period in Period:
        total = pnl_history.totals(await pnl_history.pnl(bctx.deps, t.user_id, period, span))
        assert (total.realised_pnl, total.fees, total.funding) == (
            expected["realised_pnl"], expected["fees"], expected["funding"]
        ), period

    trades = t.client.ok("GET", "/fapi/v1/userTrades", {"symbol": ETH})
    flt = pnl_history.fill_filter(span, t.account_id, ETH, None)
    fills = await pnl_history.fills(bctx.deps, t.user_id, flt)
    assert [f.fill.side for f in fills] == ["sell_close_long", "sell_close_long", "buy_open_long"]
    assert [f.fill.size for f in fills] == [Decimal("1.8"), Decimal("1.2"), Decimal(3)]
    assert sum(f.fill.realised_pnl for f in fills) == sum(Decimal(x["realizedPnl"]) for x in trades)
    assert sum(f.fill.realised_pnl for f in fills) == expected["realised_pnl"]
    assert -sum(f.fill.fee for f in fills) == expected["fees"]
    lines = "".join(fills_csv(fills)).splitlines()
    assert lines[0].startswith("time,account,symbol,side,price,size,realised_pnl,fee")
    assert len(lines) == 4 and f",Binance,{ETH},sell_close_long,{fills[0].fill.price},1.8," in lines[1]
