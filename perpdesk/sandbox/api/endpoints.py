"""Every REST endpoint the sandbox serves: path, method, auth kind, permission, rate limit, handler.

Handlers parse and check parameters (BitMart's parameter names and defaults), then call one engine
method, which applies the business rules and returns BitMart's `data` payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perpdesk.sandbox.api.error_codes import (
    ACCOUNT_INVALID,
    FUTURES_INVALID,
)
from perpdesk.sandbox.api.handlers_account import (
    account_transfer,
    account_wallet,
    affiliate_rebate_list,
    affiliate_trade_list,
    auto_repayment,
    cross_collateral_interest_log,
    key_account_info,
    main_main_to_sub,
    main_sub_to_main,
    spot_wallet,
    sub_sub_to_main,
    sub_transfer_history,
    sub_transfer_list,
    sub_wallet,
    transfer_contract,
    transfer_contract_list,
)
from perpdesk.sandbox.api.handlers_orders import (
    cancel_all_after,
    cancel_order,
    cancel_orders,
    cancel_plan_order,
    cancel_trail_order,
    close_all_position,
    modify_limit_order,
    modify_plan_order,
    modify_preset_plan_order,
    modify_tp_sl_order,
    set_position_mode,
    submit_leverage,
    submit_order,
    submit_plan_order,
    submit_tp_sl_order,
    submit_trail_order,
)
from perpdesk.sandbox.api.handlers_public import (
    account_currencies,
    depth,
    details,
    funding_rate,
    funding_rate_history,
    funding_rate_v2,
    kline,
    leverage_bracket,
    market_trade,
    markprice_kline,
    open_interest,
    spot_symbols_details,
    system_service,
    system_time,
)
from perpdesk.sandbox.api.handlers_reads import (
    assets_detail,
    current_plan_order,
    get_position_mode,
    open_orders,
    order_detail,
    order_history,
    position,
    position_risk,
    position_v2,
    trade_fee_rate,
    trades,
    transaction_history,
)
from perpdesk.sandbox.api.params import Params
from perpdesk.sandbox.api.ratelimit import Limit
from perpdesk.sandbox.context import SandboxContext

Handler = Callable[[SandboxContext, str, Params], Any]

NONE, KEYED, SIGNED = "NONE", "KEYED", "SIGNED"


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    auth: str
    handler: Handler
    limit: Limit
    permission: str | None = None  # besides "read", which every key has
    futures: bool = False  # needs the account's futures API whitelisting
    mutating: bool = False  # flush persistence before answering
    error_spec: tuple[int, str, int] = FUTURES_INVALID
    recv_window: int | None = None  # documented default recvWindow (ms) when the request has none

    @property
    def group(self) -> str:
        return self.path


# Limits as BitMart documents them ("N times / 2 sec" per IP, KEY or UID; its futures API docs
# and its own bitmart-skills reference); groups it does not list use the nearest listed one.
def _ip(n: int, w: int = 2) -> Limit:
    return Limit(n, w, "IP")


def _key(n: int, w: int = 2) -> Limit:
    return Limit(n, w, "KEY")


def _uid(n: int, w: int = 2) -> Limit:
    return Limit(n, w, "UID")


# ---- system / public ------------------------------------------------------------------------------
_F = "/contract/public/"
_P = "/contract/private/"


def _write(path: str, handler: Handler, limit: Limit) -> Endpoint:
    """A futures trading write: signed, Future-Trade permission, futures whitelisting, persisted."""
    return Endpoint("POST", _P + path, SIGNED, handler, limit, "future_trade", True, True)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/system/time", NONE, system_time, _ip(10, 1)),
    Endpoint("GET", "/system/service", NONE, system_service, _ip(10, 1)),
    Endpoint("GET", _F + "details", NONE, details, _ip(12)),
    Endpoint("GET", _F + "depth", NONE, depth, _ip(12)),
    Endpoint("GET", _F + "market-trade", NONE, market_trade, _ip(12)),
    Endpoint("GET", _F + "funding-rate", NONE, funding_rate, _ip(12)),
    Endpoint("GET", _F + "funding-rate-history", NONE, funding_rate_history, _ip(12)),
    Endpoint("GET", _F + "funding-rate-v2", NONE, funding_rate_v2, _ip(12)),
    Endpoint("GET", _F + "kline", NONE, kline, _ip(12)),
    Endpoint("GET", _F + "markprice-kline", NONE, markprice_kline, _ip(12)),
    Endpoint("GET", _F + "open-interest", NONE, open_interest, _ip(2)),
    Endpoint("GET", _F + "leverage-bracket", NONE, leverage_bracket, _ip(12)),
    Endpoint(
        "GET", "/spot/v1/symbols/details", NONE, spot_symbols_details, _ip(12), error_spec=ACCOUNT_INVALID
    ),
    Endpoint("GET", "/account/v1/currencies", NONE, account_currencies, _ip(12), error_spec=ACCOUNT_INVALID),
    # KEYED reads
    Endpoint("GET", _P + "assets-detail", KEYED, assets_detail, _key(12), futures=True),
    Endpoint("GET", _P + "trade-fee-rate", KEYED, trade_fee_rate, _key(2), futures=True),
    Endpoint("GET", _P + "order", KEYED, order_detail, _key(50), futures=True),
    Endpoint("GET", _P + "order-history", KEYED, order_history, _key(6), futures=True),
    Endpoint("GET", _P + "get-open-orders", KEYED, open_orders, _key(50), futures=True),
    Endpoint("GET", _P + "current-plan-order", KEYED, current_plan_order, _key(50), futures=True),
    Endpoint("GET", _P + "position", KEYED, position, _key(6), futures=True),
    Endpoint("GET", _P + "position-v2", KEYED, position_v2, _key(6), futures=True),
    Endpoint("GET", _P + "position-risk", KEYED, position_risk, _key(24), futures=True),
    Endpoint("GET", _P + "trades", KEYED, trades, _key(6), futures=True),
    Endpoint("GET", _P + "transaction-history", KEYED, transaction_history, _key(6), futures=True),
    Endpoint("GET", _P + "get-position-mode", KEYED, get_position_mode, _key(2), futures=True),
    Endpoint(
        "GET", "/uapi-key/v1/account/info", KEYED, key_account_info, _key(12), error_spec=ACCOUNT_INVALID
    ),
    Endpoint("GET", "/account/v1/wallet", KEYED, account_wallet, _key(12), error_spec=ACCOUNT_INVALID),
    Endpoint("GET", "/spot/v1/wallet", KEYED, spot_wallet, _key(12), error_spec=ACCOUNT_INVALID),
    # SIGNED writes
    _write("submit-order", submit_order, _key(24)),
    _write("modify-limit-order", modify_limit_order, _uid(24)),
    _write("cancel-order", cancel_order, _key(40)),
    _write("cancel-orders", cancel_orders, _key(2)),
    _write("cancel-all-after", cancel_all_after, _uid(4)),
    _write("submit-plan-order", submit_plan_order, _uid(24)),
    _write("cancel-plan-order", cancel_plan_order, _uid(40)),
    _write("submit-tp-sl-order", submit_tp_sl_order, _uid(24)),
    _write("modify-tp-sl-order", modify_tp_sl_order, _uid(24)),
    _write("modify-plan-order", modify_plan_order, _uid(24)),
    _write("modify-preset-plan-order", modify_preset_plan_order, _uid(24)),
    _write("submit-trail-order", submit_trail_order, _uid(24)),
    _write("cancel-trail-order", cancel_trail_order, _uid(40)),
    _write("submit-leverage", submit_leverage, _key(24)),
    _write("set-position-mode", set_position_mode, _key(2)),
    _write("close-all-position", close_all_position, _uid(2)),
    Endpoint(
        "POST",
        "/account/v1/transfer-contract",
        SIGNED,
        transfer_contract,
        _key(1),
        "future_trade",
        mutating=True,
        error_spec=ACCOUNT_INVALID,
        recv_window=5000,
    ),
    Endpoint(
        "POST",
        "/account/v1/transfer-contract-list",
        SIGNED,
        transfer_contract_list,
        _key(1),
        error_spec=ACCOUNT_INVALID,
        recv_window=5000,
    ),
]

_SUB = "/account/contract/sub-account/"


def _sub_write(path: str, handler: Handler) -> Endpoint:
    return Endpoint(
        "POST", _SUB + path, SIGNED, handler, _key(8), "future_trade", False, True, ACCOUNT_INVALID
    )


ENDPOINTS += [
    _sub_write("main/v1/sub-to-main", main_sub_to_main),
    _sub_write("main/v1/main-to-sub", main_main_to_sub),
    _sub_write("sub/v1/sub-to-main", sub_sub_to_main),
    Endpoint("GET", _SUB + "main/v1/wallet", KEYED, sub_wallet, _key(12), error_spec=ACCOUNT_INVALID),
    Endpoint(
        "GET", _SUB + "main/v1/transfer-list", KEYED, sub_transfer_list, _key(8), error_spec=ACCOUNT_INVALID
    ),
    Endpoint(
        "GET", _SUB + "v1/transfer-history", KEYED, sub_transfer_history, _key(8), error_spec=ACCOUNT_INVALID
    ),
    Endpoint("GET", _P + "affiliate/rebate-list", KEYED, affiliate_rebate_list, _key(12), futures=True),
    Endpoint("GET", _P + "affiliate/trade-list", KEYED, affiliate_trade_list, _key(12), futures=True),
    # in the official SDK, not in the reference: limits of the nearest listed group
    _write("account/v1/transfer", account_transfer, _key(1)),
    Endpoint("GET", _P + "auto_repayment", KEYED, auto_repayment, _key(12), futures=True),
    Endpoint(
        "GET",
        _P + "cross_collateral/interest_log",
        KEYED,
        cross_collateral_interest_log,
        _key(12),
        futures=True,
    ),
]

BY_PATH: dict[str, Endpoint] = {e.path: e for e in ENDPOINTS}
