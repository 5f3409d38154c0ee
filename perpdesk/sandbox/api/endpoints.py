"""Every REST endpoint the sandbox serves: path, method, auth kind, permission, rate limit, handler.

Handlers parse and check parameters (BitMart's parameter names and defaults), then call one engine
method, which applies the business rules and returns BitMart's `data` payload.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perpdesk.sandbox.api.errors import (
    ACCOUNT_INVALID,
    FUTURES_INVALID,
    KLINE_STEP_INVALID,
    OPEN_TYPE_INVALID,
    SIDE_INVALID,
    TYPE_INVALID,
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
def system_time(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return {"server_time": int(time.time() * 1000)}


def system_service(ctx: SandboxContext, uid: str, p: Params) -> Any:
    now = int(time.time() * 1000)
    return {
        "service": [
            {
                "title": "Spot API Stop",
                "service_type": "spot",
                "status": 2,
                "start_time": now,
                "end_time": now,
            },
            {
                "title": "Contract API Stop",
                "service_type": "contract",
                "status": 2,
                "start_time": now,
                "end_time": now,
            },
            {
                "title": "Account API Stop",
                "service_type": "account",
                "status": 2,
                "start_time": now,
                "end_time": now,
            },
        ]
    }


_KLINE_STEPS = (1, 3, 5, 15, 30, 60, 120, 240, 360, 720, 1440, 4320, 10080)


def details(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.contract_details(p.str_("symbol"))


def depth(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.depth(p.req_str("symbol"))


def market_trade(ctx: SandboxContext, uid: str, p: Params) -> Any:
    limit = p.int_("limit", min_value=1, max_value=100)
    return ctx.engine.market_trades(p.req_str("symbol"), limit if limit is not None else 50)


def funding_rate(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.funding_rate(p.req_str("symbol"))


def funding_rate_history(ctx: SandboxContext, uid: str, p: Params) -> Any:
    limit = p.int_("limit", min_value=1, max_value=100)
    return ctx.engine.funding_rate_history(p.req_str("symbol"), limit if limit is not None else 100)


def funding_rate_v2(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.funding_rate_v2(p.str_("symbol"))


def _kline_args(p: Params) -> tuple[str, int, int, int]:
    symbol = p.req_str("symbol")
    step = p.int_("step", choices=_KLINE_STEPS, invalid=KLINE_STEP_INVALID)
    start = p.req_int("start_time", min_value=0)
    end = p.req_int("end_time", min_value=0)
    if end < start:
        raise p.error("parameter 'end_time' must not be before 'start_time'")
    return symbol, step if step is not None else 1, start, end


def kline(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.kline(*_kline_args(p))


def markprice_kline(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.markprice_kline(*_kline_args(p))


def open_interest(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.open_interest(p.req_str("symbol"))


def leverage_bracket(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.leverage_bracket(p.str_("symbol"))


def _spot_pairs(ctx: SandboxContext) -> list[tuple[str, str]]:
    pairs = []
    for symbol in ctx.engine.symbols():
        base = symbol[:-4] if symbol.endswith("USDT") else symbol
        pairs.append((base, "USDT"))
    return pairs


def spot_symbols_details(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbols = []
    for i, (base, quote) in enumerate(_spot_pairs(ctx), start=1):
        symbols.append(
            {
                "symbol": f"{base}_{quote}",
                "symbol_id": i,
                "base_currency": base,
                "quote_currency": quote,
                "quote_increment": "0.00001",
                "base_min_size": "0.000010000000000000000000000000",
                "price_min_precision": 1,
                "price_max_precision": 2,
                "expiration": "NA",
                "min_buy_amount": "5.000000000000000000000000000000",
                "min_sell_amount": "5.000000000000000000000000000000",
                "trade_status": "trading",
            }
        )
    return {"symbols": symbols}


def account_currencies(ctx: SandboxContext, uid: str, p: Params) -> Any:
    names = {"USDT": "Tether USD", "BTC": "Bitcoin", "ETH": "Ethereum"}
    wanted = p.str_("currencies")
    codes = ["USDT"] + [base for base, _ in _spot_pairs(ctx) if base != "USDT"]
    if wanted:
        allowed = {c.strip().upper() for c in wanted.split(",")}
        codes = [c for c in codes if c in allowed]
    return {
        "currencies": [
            {
                "currency": code,
                "name": names.get(code, code),
                "contract_address": None,
                "network": "ERC20" if code == "USDT" else code,
                "withdraw_enabled": True,
                "deposit_enabled": True,
                "withdraw_minsize": "10",
                "withdraw_minfee": "1",
            }
            for code in codes
        ]
    }


# ---- private reads ------------------------------------------------------------------------------------
def assets_detail(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.assets_detail(uid)


def trade_fee_rate(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.trade_fee_rate(uid, p.req_str("symbol"))


def position(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.position(uid, p.str_("symbol"))


def position_v2(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.position_v2(uid, p.str_("symbol"))


def position_risk(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.position_risk(uid, p.str_("symbol"))


def get_position_mode(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.get_position_mode(uid)


def order_detail(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id = p.order_id()
    client_order_id = p.client_order_id()
    if order_id is None and client_order_id is None:
        raise p.error("parameter 'order_id' is required")
    return ctx.engine.order(uid, symbol, order_id=order_id, client_order_id=client_order_id)


def open_orders(ctx: SandboxContext, uid: str, p: Params) -> Any:
    limit = p.int_("limit", min_value=1, max_value=100)
    return ctx.engine.open_orders(
        uid,
        symbol=p.str_("symbol"),
        type=p.str_("type", choices=("limit", "market", "trailing")),
        order_state=p.str_("order_state", choices=("all", "partially_filled")),
        limit=limit if limit is not None else 100,
    )


def _history_filters(p: Params) -> dict[str, Any]:
    """The filters order-history and trades share: symbol, start/end (seconds), order ids."""
    return {
        "symbol": p.str_("symbol"),
        "start_time": p.int_("start_time", min_value=0),
        "end_time": p.int_("end_time", min_value=0),
        "order_id": p.order_id(),
        "client_order_id": p.client_order_id(),
    }


def order_history(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.order_history(uid, **_history_filters(p))


def trades(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.trades(uid, **_history_filters(p))


def transaction_history(ctx: SandboxContext, uid: str, p: Params) -> Any:
    flow_type = p.int_("flow_type", choices=(0, 1, 2, 3, 4, 5))
    page_size = p.int_("page_size", min_value=1, max_value=1000)
    return ctx.engine.transaction_history(
        uid,
        symbol=p.str_("symbol"),
        flow_type=flow_type or 0,
        start_time=p.int_("start_time", min_value=0),
        end_time=p.int_("end_time", min_value=0),
        page_size=page_size if page_size is not None else 100,
    )


def current_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    limit = p.int_("limit", min_value=1, max_value=100)
    return ctx.engine.current_plan_orders(
        uid,
        symbol=p.str_("symbol"),
        type=p.str_("type", choices=("limit", "market")),
        limit=limit if limit is not None else 100,
        plan_type=p.str_("plan_type", choices=("plan", "profit_loss")),
    )


# ---- private writes ------------------------------------------------------------------------------------
_SIDES = (1, 2, 3, 4)
_MODES = (1, 2, 3, 4)
_PRICE_TYPES = (1, 2)
_OPEN_TYPES = ("cross", "isolated")


def set_position_mode(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.set_position_mode(
        uid, p.req_str("position_mode", choices=("hedge_mode", "one_way_mode"))
    )


def submit_leverage(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.submit_leverage(
        uid,
        p.req_str("symbol"),
        p.req_str("open_type", choices=_OPEN_TYPES, invalid=OPEN_TYPE_INVALID),
        p.dec("leverage"),
    )


def submit_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_type = p.str_("type", choices=("limit", "market"), invalid=TYPE_INVALID) or "limit"
    side = p.req_int("side", choices=_SIDES, invalid=SIDE_INVALID)
    size = p.req_int("size", min_value=1)
    price = p.dec("price")
    if order_type == "limit" and price is None:
        raise p.error("parameter 'price' is required for a limit order")
    return ctx.engine.submit_order(
        uid,
        symbol,
        side=side,
        size=size,
        type=order_type,
        price=price,
        client_order_id=p.client_order_id(),
        leverage=p.dec("leverage"),
        open_type=p.str_("open_type", choices=_OPEN_TYPES, invalid=OPEN_TYPE_INVALID),
        mode=p.int_("mode", choices=_MODES) or 1,
        preset_take_profit_price=p.dec("preset_take_profit_price"),
        preset_take_profit_price_type=p.int_("preset_take_profit_price_type", choices=_PRICE_TYPES),
        preset_stop_loss_price=p.dec("preset_stop_loss_price"),
        preset_stop_loss_price_type=p.int_("preset_stop_loss_price_type", choices=_PRICE_TYPES),
        stp_mode=p.int_("stp_mode", choices=(1, 2, 3)),
    )


def _order_ref(p: Params) -> tuple[str | None, str | None]:
    order_id = p.order_id()
    client_order_id = p.client_order_id()
    if order_id is None and client_order_id is None:
        raise p.error("one of parameters 'order_id' or 'client_order_id' is required")
    return order_id, client_order_id


def modify_limit_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    price = p.dec("price")
    size = p.int_("size", min_value=1)
    if price is None and size is None:
        raise p.error("one of parameters 'price' or 'size' is required")
    return ctx.engine.modify_limit_order(
        uid, symbol, order_id=order_id, client_order_id=client_order_id, price=price, size=size
    )


def cancel_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    return ctx.engine.cancel_order(uid, symbol, order_id=order_id, client_order_id=client_order_id)


def cancel_orders(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.cancel_orders(uid, p.req_str("symbol"))


def cancel_all_after(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.cancel_all_after(uid, p.req_str("symbol"), p.req_int("timeout", min_value=0))


def submit_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_type = (
        p.str_("type", choices=("limit", "market", "take_profit", "stop_loss"), invalid=TYPE_INVALID)
        or "limit"
    )
    executive_price = p.dec("executive_price", allow_zero=True)
    if order_type == "limit" and not executive_price:
        raise p.error("parameter 'executive_price' is required for a limit plan order")
    if order_type != "limit":
        executive_price = None
    return ctx.engine.submit_plan_order(
        uid,
        symbol,
        side=p.req_int("side", choices=_SIDES, invalid=SIDE_INVALID),
        size=p.req_int("size", min_value=1),
        trigger_price=p.req_dec("trigger_price"),
        price_way=p.req_int("price_way", choices=(1, 2)),
        price_type=p.req_int("price_type", choices=_PRICE_TYPES),
        type=order_type,
        executive_price=executive_price,
        leverage=p.dec("leverage"),
        open_type=p.str_("open_type", choices=_OPEN_TYPES, invalid=OPEN_TYPE_INVALID),
        mode=p.int_("mode", choices=_MODES) or 1,
        plan_category=p.int_("plan_category", choices=(1, 2)),
        client_order_id=p.client_order_id(),
        preset_take_profit_price=p.dec("preset_take_profit_price"),
        preset_take_profit_price_type=p.int_("preset_take_profit_price_type", choices=_PRICE_TYPES),
        preset_stop_loss_price=p.dec("preset_stop_loss_price"),
        preset_stop_loss_price_type=p.int_("preset_stop_loss_price_type", choices=_PRICE_TYPES),
    )


def cancel_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    return ctx.engine.cancel_plan_order(uid, symbol, order_id=order_id, client_order_id=client_order_id)


def submit_tp_sl_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    category = p.str_("category", choices=("limit", "market")) or "market"
    executive_price = p.dec("executive_price", allow_zero=True)  # "0" = fill at market
    if category == "limit" and not executive_price:
        raise p.error("parameter 'executive_price' must be a price above 0 when category is limit")
    if category == "market":
        executive_price = None
    return ctx.engine.submit_tp_sl_order(
        uid,
        symbol,
        type=p.req_str("type", choices=("take_profit", "stop_loss")),
        side=p.req_int("side", choices=(2, 3), invalid=SIDE_INVALID),
        trigger_price=p.req_dec("trigger_price"),
        price_type=p.req_int("price_type", choices=_PRICE_TYPES),
        executive_price=executive_price,
        size=p.int_("size", min_value=1),
        plan_category=p.int_("plan_category", choices=(1, 2)) or 1,
        client_order_id=p.client_order_id(),
        category=category,
    )


def modify_tp_sl_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    return ctx.engine.modify_tp_sl_order(
        uid,
        symbol,
        trigger_price=p.req_dec("trigger_price"),
        price_type=p.req_int("price_type", choices=_PRICE_TYPES),
        order_id=order_id,
        client_order_id=client_order_id,
        executive_price=p.dec("executive_price", allow_zero=True) or None,
        plan_category=p.int_("plan_category", choices=(1, 2)),
        category=p.str_("category", choices=("limit", "market")),
    )


def modify_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id, client_order_id = _order_ref(p)
    order_type = p.req_str("type", choices=("limit", "market"), invalid=TYPE_INVALID)
    executive_price = p.dec("executive_price")
    if order_type == "limit" and executive_price is None:
        raise p.error("parameter 'executive_price' is required when type is limit")
    return ctx.engine.modify_plan_order(
        uid,
        symbol,
        trigger_price=p.req_dec("trigger_price"),
        price_type=p.req_int("price_type", choices=_PRICE_TYPES),
        type=order_type,
        order_id=order_id,
        client_order_id=client_order_id,
        executive_price=executive_price if order_type == "limit" else None,
    )


def modify_preset_plan_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id = p.order_id()
    if order_id is None:
        raise p.error("parameter 'order_id' is required")
    tp = p.dec("preset_take_profit_price")
    sl = p.dec("preset_stop_loss_price")
    tp_type = p.int_("preset_take_profit_price_type", choices=_PRICE_TYPES)
    sl_type = p.int_("preset_stop_loss_price_type", choices=_PRICE_TYPES)
    if tp is None and sl is None and tp_type is None and sl_type is None:
        raise p.error("give 'preset_take_profit_price' and/or 'preset_stop_loss_price' (with their _type)")
    return ctx.engine.modify_preset_plan_order(
        uid,
        symbol,
        order_id=order_id,
        preset_take_profit_price=tp,
        preset_take_profit_price_type=tp_type,
        preset_stop_loss_price=sl,
        preset_stop_loss_price_type=sl_type,
    )


def submit_trail_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    callback_rate = p.req_dec("callback_rate")
    if not Decimal("0.1") <= callback_rate <= Decimal("5"):
        raise p.error(
            f"parameter 'callback_rate' must be between 0.1 and 5, where 1 means 1% (got {callback_rate})"
        )
    return ctx.engine.submit_trail_order(
        uid,
        symbol,
        side=p.req_int("side", choices=_SIDES, invalid=SIDE_INVALID),
        leverage=p.req_dec("leverage"),
        open_type=p.req_str("open_type", choices=_OPEN_TYPES, invalid=OPEN_TYPE_INVALID),
        size=p.req_int("size", min_value=1),
        activation_price=p.req_dec("activation_price"),
        callback_rate=callback_rate,
        activation_price_type=p.req_int("activation_price_type", choices=_PRICE_TYPES),
    )


def cancel_trail_order(ctx: SandboxContext, uid: str, p: Params) -> Any:
    symbol = p.req_str("symbol")
    order_id = p.order_id()
    if order_id is None:
        raise p.error("parameter 'order_id' is required")
    return ctx.engine.cancel_trail_order(uid, symbol, order_id=order_id)


def close_all_position(ctx: SandboxContext, uid: str, p: Params) -> Any:
    if p.int_("contractType", choices=(1, 2)) == 2:
        raise p.error("parameter 'contractType' 2 (COIN-FUTURES): the sandbox lists USDT perpetuals only")
    return ctx.engine.close_all_position(
        uid, p.str_("symbol"), p.str_("position_side", choices=("long", "short"))
    )


# ---- account / spot ---------------------------------------------------------------------------------------
def transfer_contract(ctx: SandboxContext, uid: str, p: Params) -> Any:
    currency = p.req_str("currency")
    if currency != "USDT":
        raise p.error("parameter 'currency' only supports USDT")
    return ctx.engine.transfer_contract(
        uid,
        currency,
        p.req_dec("amount"),
        p.req_str("type", choices=("spot_to_contract", "contract_to_spot")),
    )


def transfer_contract_list(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.transfer_contract_list(
        uid,
        page=p.req_int("page", min_value=1, max_value=1000),
        limit=p.req_int("limit", min_value=10, max_value=100),
        currency=p.str_("currency"),
        time_start=p.int_("time_start", min_value=0),
        time_end=p.int_("time_end", min_value=0),
    )


def account_wallet(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.account_wallet(uid, p.str_("currency"))


def spot_wallet(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.spot_wallet(uid)


def key_account_info(ctx: SandboxContext, uid: str, p: Params) -> Any:
    # Filled in by the dispatcher, which knows the key; the handler only shapes the answer.
    raise NotImplementedError


_F = "/contract/public/"
_P = "/contract/private/"

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
    Endpoint("POST", _P + "submit-order", SIGNED, submit_order, _key(24), "future_trade", True, True),
    Endpoint(
        "POST", _P + "modify-limit-order", SIGNED, modify_limit_order, _uid(24), "future_trade", True, True
    ),
    Endpoint("POST", _P + "cancel-order", SIGNED, cancel_order, _key(40), "future_trade", True, True),
    Endpoint("POST", _P + "cancel-orders", SIGNED, cancel_orders, _key(2), "future_trade", True, True),
    Endpoint("POST", _P + "cancel-all-after", SIGNED, cancel_all_after, _uid(4), "future_trade", True, True),
    Endpoint(
        "POST", _P + "submit-plan-order", SIGNED, submit_plan_order, _uid(24), "future_trade", True, True
    ),
    Endpoint(
        "POST", _P + "cancel-plan-order", SIGNED, cancel_plan_order, _uid(40), "future_trade", True, True
    ),
    Endpoint(
        "POST", _P + "submit-tp-sl-order", SIGNED, submit_tp_sl_order, _uid(24), "future_trade", True, True
    ),
    Endpoint(
        "POST", _P + "modify-tp-sl-order", SIGNED, modify_tp_sl_order, _uid(24), "future_trade", True, True
    ),
    Endpoint(
        "POST", _P + "modify-plan-order", SIGNED, modify_plan_order, _uid(24), "future_trade", True, True
    ),
    Endpoint(
        "POST",
        _P + "modify-preset-plan-order",
        SIGNED,
        modify_preset_plan_order,
        _uid(24),
        "future_trade",
        True,
        True,
    ),
    Endpoint(
        "POST", _P + "submit-trail-order", SIGNED, submit_trail_order, _uid(24), "future_trade", True, True
    ),
    Endpoint(
        "POST", _P + "cancel-trail-order", SIGNED, cancel_trail_order, _uid(40), "future_trade", True, True
    ),
    Endpoint("POST", _P + "submit-leverage", SIGNED, submit_leverage, _key(24), "future_trade", True, True),
    Endpoint(
        "POST", _P + "set-position-mode", SIGNED, set_position_mode, _key(2), "future_trade", True, True
    ),
    Endpoint(
        "POST", _P + "close-all-position", SIGNED, close_all_position, _uid(2), "future_trade", True, True
    ),
    Endpoint(
        "POST",
        "/account/v1/transfer-contract",
        SIGNED,
        transfer_contract,
        _key(1),
        "future_trade",
        mutating=True,
        error_spec=ACCOUNT_INVALID,
    ),
    Endpoint(
        "POST",
        "/account/v1/transfer-contract-list",
        SIGNED,
        transfer_contract_list,
        _key(1),
        error_spec=ACCOUNT_INVALID,
    ),
]

BY_PATH: dict[str, Endpoint] = {e.path: e for e in ENDPOINTS}
