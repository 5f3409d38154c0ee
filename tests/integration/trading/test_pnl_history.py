"""Realised PnL, fees, funding and fills read back from the real sandbox after a scripted
open / partial close / funding / close, compared with the exchange's own transaction history."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from perpdesk.core.errors import ExchangeError, InputError
from perpdesk.exchanges.bitmart.rest import Auth
from perpdesk.services import ledger_cache, pnl_history, trading
from perpdesk.services.fills_csv import fills_csv
from perpdesk.services.pnl_history import Period, Range
from tests.integration.trading.conftest import TCtx

ETH = "ETHUSDT"
FLOWS = {"Realized PNL": "realised_pnl", "Commission Fee": "fees", "Funding Fee": "funding"}


def market(side: str, size: str) -> dict[str, object]:
    return {"symbol": ETH, "side": side, "type": "market", "size": size, "leverage": "10",
            "margin_mode": "cross"}


async def test_pnl_fees_and_funding_equal_the_exchanges_transaction_history(tctx: TCtx) -> None:
    t = await tctx.trader()
    admin = tctx.sandbox.admin
    admin.set_price(ETH, "3500")
    for step in (market("buy", "10"), None, market("sell_close_long", "4"), "funding",
                 market("sell_close_long", "6")):
        if step is None:
            admin.set_price(ETH, "3600")
        elif step == "funding":
            assert admin.settle_funding(ETH, "0.001")["rate"] == "0.001"
        else:
            placed = await trading.place_order(tctx.deps, t.user_id, t.account_id, step)
            assert placed.status == "placed", placed

    raw = await tctx.connector.rest.call(
        "GET", "/contract/private/transaction-history", {"page_size": 1000}, Auth.KEYED, t.creds
    )
    expected = {name: Decimal(0) for name in FLOWS.values()}
    for row in raw:
        if row["type"] in FLOWS:
            expected[FLOWS[row["type"]]] += Decimal(row["amount"])
    assert expected["realised_pnl"] > 0 and expected["fees"] < 0 and expected["funding"] < 0

    span = Range.parse(None, None)
    for period in Period:
        rows = await pnl_history.pnl(tctx.deps, t.user_id, period, span)
        total = pnl_history.totals(rows)
        assert (total.realised_pnl, total.fees, total.funding) == (
            expected["realised_pnl"], expected["fees"], expected["funding"]
        )
    (today,) = await pnl_history.pnl(tctx.deps, t.user_id, Period.DAY, span, t.account_id)
    assert today.period == datetime.now(UTC).date()
    assert Decimal(today.to_dict()["net"]) == sum(expected.values())

    flt = pnl_history.fill_filter(span, t.account_id, "ethusdt", None)
    fills = await pnl_history.fills(tctx.deps, t.user_id, flt)
    assert [f.fill.side for f in fills] == ["sell_close_long", "sell_close_long", "buy_open_long"]
    assert sum(f.fill.realised_pnl for f in fills) == expected["realised_pnl"]
    assert -sum(f.fill.fee for f in fills) == expected["fees"]
    assert [f.fill.size for f in fills] == [Decimal(6), Decimal(4), Decimal(10)]
    await tctx.trader(whitelisted=False, user_id=t.user_id)  # no history to ask for: left out
    again = pnl_history.totals(await pnl_history.pnl(tctx.deps, t.user_id, Period.MONTH, span))
    assert again.realised_pnl == expected["realised_pnl"]
    sells = await pnl_history.fills(tctx.deps, t.user_id, pnl_history.fill_filter(span, None, None, "sell"))
    assert len(sells) == 2
    lines = "".join(fills_csv(fills)).splitlines()
    assert lines[0].startswith("time,account,symbol,side,price,size,realised_pnl,fee")
    assert len(lines) == 4 and f",Main,{ETH},sell_close_long,{fills[0].fill.price},6," in lines[1]


def test_ranges_and_filters_name_the_bad_field() -> None:
    with pytest.raises(InputError) as bad:
        Range.parse("2026-13-01", None)
    assert bad.value.field == "start"
    with pytest.raises(InputError) as late:
        Range.parse("2026-11-02", "2026-11-01")
    assert late.value.field == "start"
    with pytest.raises(InputError) as long:
        Range.parse("2026-01-01", "2026-11-01")
    assert "90 days" in str(long.value)
    with pytest.raises(InputError) as side:
        pnl_history.fill_filter(Range.parse(None, None), None, None, "up")
    assert side.value.field == "side"
    r = Range.parse("2026-11-01", "2026-11-01")
    assert r.end_ms - r.start_ms == 86_400_000 - 1


async def test_a_reload_within_seconds_reads_the_ledger_once(tctx: TCtx) -> None:
    t = await tctx.trader()
    span = Range.parse(None, None)
    first = await pnl_history.pnl(tctx.deps, t.user_id, Period.DAY, span)
    path = "/contract/private/transaction-history"
    tctx.sandbox.admin.fault("http_error", path, status=503, api_key=t.creds.api_key)
    try:
        assert await pnl_history.pnl(tctx.deps, t.user_id, Period.DAY, span) == first  # not asked again
        ledger_cache.forget()
        with pytest.raises(ExchangeError):
            await pnl_history.pnl(tctx.deps, t.user_id, Period.DAY, span)
    finally:
        tctx.sandbox.admin.clear_faults(path)
