"""Handlers of the public endpoints: system, market data, spot symbol and currency lists."""

from __future__ import annotations

import time
from typing import Any

from perpdesk.sandbox.api.error_codes import (
    KLINE_STEP_INVALID,
)
from perpdesk.sandbox.api.params import Params
from perpdesk.sandbox.context import SandboxContext


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
