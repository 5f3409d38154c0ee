"""The rest of the private endpoints through the official SDK: modify, plan orders, TP/SL,
position mode, cancel-all-after, close-all-position, fee rate, transaction history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_api.helpers import contract, new_trader, sdk_error

SYMBOL = "SOLUSDT"


def ok(result: tuple[dict[str, Any], dict[str, Any]]) -> Any:
    body, _ = result
    assert body["code"] == 1000, body
    return body["data"]


def test_modify_plan_tpsl_close_all(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    sdk = contract(sandbox, key)
    details = ok(sdk.get_details(SYMBOL))["symbols"][0]
    tick = Decimal(details["price_precision"])
    last = Decimal(details["last_price"])

    def px(factor: str) -> str:
        return str((last * Decimal(factor)).quantize(tick))

    assert ok(sdk.get_position_mode())["position_mode"] in ("hedge_mode", "one_way_mode")
    fee = ok(sdk.get_trade_fee_rate(SYMBOL))
    assert Decimal(fee["taker_fee_rate"]) >= Decimal(fee["maker_fee_rate"]) >= 0

    order = ok(
        sdk.post_submit_order(
            contract_symbol=SYMBOL, client_order_id="mod1", side=1, type="limit", price=px("0.5"), size=2,
            leverage="3", open_type="isolated",
        )
    )  # fmt: skip
    ok(sdk.post_modify_limit_order(SYMBOL, client_order_id="mod1", price=px("0.6")))
    detail = ok(sdk.get_order(SYMBOL, str(order["order_id"])))
    assert Decimal(detail["price"]) == Decimal(px("0.6"))
    _, body = sdk_error(sdk.post_modify_limit_order, SYMBOL, client_order_id="mod1")
    assert body["code"] == 40011 and "'price' or 'size'" in body["message"]

    ok(sdk.post_cancel_all_after(SYMBOL, 0))

    plan = ok(
        sdk.post_submit_plan_order(
            contract_symbol=SYMBOL, type="limit", side=1, leverage="3", open_type="isolated", size=1,
            trigger_price=px("1.5"), executive_price=px("1.5"), price_way=1, price_type=1,
        )
    )  # fmt: skip
    plans = ok(sdk.get_current_plan_order(contract_symbol=SYMBOL))
    assert str(plan["order_id"]) in {str(p["order_id"]) for p in plans}
    ok(sdk.post_cancel_plan_order(SYMBOL, order_id=str(plan["order_id"])))
    assert str(plan["order_id"]) not in {str(p["order_id"]) for p in ok(sdk.get_current_plan_order(SYMBOL))}

    ok(sdk.post_cancel_orders(SYMBOL))
    ok(
        sdk.post_submit_order(
            contract_symbol=SYMBOL, side=1, type="market", size=3, leverage="3", open_type="isolated"
        )
    )
    tpsl = ok(
        sdk.post_submit_tp_sl_order(
            SYMBOL, type="take_profit", side=3, trigger_price=px("1.2"), executive_price="0", price_type=1,
            plan_category=2,
        )
    )  # fmt: skip
    assert tpsl["order_id"]
    risk = ok(sdk.get_position_risk(SYMBOL))
    assert risk

    _, body = sdk_error(sdk.post_close_all_position, 1, SYMBOL, "both")
    assert body["code"] == 40011 and "position_side" in body["message"]
    ok(sdk.post_close_all_position(1, SYMBOL))
    open_positions = [p for p in ok(sdk.get_position(SYMBOL)) if Decimal(p["current_amount"]) != 0]
    assert open_positions == []
    history = ok(sdk.get_transaction_history(contract_symbol=SYMBOL))
    assert history, "opening and closing a position leaves fee and PnL records"
