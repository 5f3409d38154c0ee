"""forceOrders and adlQuantile on the real sandbox: a liquidation is the user's forced order;
every held symbol has its ADL quantiles. Answers read by the official SDK's models."""

from __future__ import annotations

from decimal import Decimal

import binance_sdk_derivatives_trading_usds_futures.rest_api.models as sdk

from tests.fixtures.binance import BinanceSandbox
from tests.integration.sandbox_binance.test_margin_call import isolated_sol_long
from tests.integration.sandbox_binance.test_reference import conforms


def test_liquidation_is_a_force_order_and_adl_quantiles(binance_sandbox: BinanceSandbox) -> None:
    admin = binance_sandbox.server.admin
    client, liq = isolated_sol_long(binance_sandbox)
    assert client.ok("GET", "/fapi/v1/forceOrders") == []
    quantiles = client.ok("GET", "/fapi/v1/adlQuantile")
    conforms(sdk.PositionAdlQuantileEstimationResponseInner, quantiles)
    assert quantiles == [{"symbol": "SOLUSDT", "adlQuantile": {"LONG": 0, "SHORT": 0, "HEDGE": 0}}]

    try:
        admin.set_price("SOLUSDT", str(liq - Decimal("0.5")))
    finally:
        admin.set_price("SOLUSDT", "180")
    [forced] = client.ok("GET", "/fapi/v1/forceOrders", {"symbol": "SOLUSDT", "autoCloseType": "LIQUIDATION"})
    conforms(sdk.UsersForceOrdersResponseInner, forced)
    assert (forced["side"], forced["positionSide"], forced["origQty"], forced["status"]) == (
        "SELL", "LONG", "1.0", "FILLED")
    assert client.ok("GET", "/fapi/v1/forceOrders", {"autoCloseType": "ADL"}) == []
    assert client.ok("GET", "/fapi/v1/forceOrders", {"symbol": "BTCUSDT"}) == []
    assert client.ok("GET", "/fapi/v1/adlQuantile") == []  # nothing held any more
    bad = client.signed("GET", "/fapi/v1/forceOrders", {"autoCloseType": "MARGIN"})
    assert bad.status_code == 400 and "autoCloseType" in bad.json()["msg"]
