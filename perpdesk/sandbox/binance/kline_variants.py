"""Binance's other kline endpoints over the same candles: `indexPriceKlines` and
`continuousKlines` (by `pair`), `premiumIndexKlines`. The sandbox's index price is its mark
price, its only contracts are perpetuals, and its premium index (mark against index) is 0."""

from __future__ import annotations

from typing import Any

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.market_data import kline_rows
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.engine.contracts import CONTRACTS

CONTRACT_TYPES = ("PERPETUAL", "CURRENT_QUARTER", "NEXT_QUARTER", "TRADIFI_PERPETUAL")
_ZERO = "0.00000000"


def _by_pair(call: Call) -> Call:
    """The call with `pair` read as the symbol (a USDⓈ-M pair names its perpetual)."""
    pair = call.params.req("pair")
    if pair not in CONTRACTS:
        raise E.err(E.BAD_SYMBOL, f"listed pairs: {', '.join(CONTRACTS)}")
    return Call(call.ctx, Params({**call.params.values, "symbol": pair}), call.limits, call.key)


def index_price_klines(call: Call) -> list[list[Any]]:
    return kline_rows(_by_pair(call), "mark")


def continuous_klines(call: Call) -> list[list[Any]]:
    kind = call.params.req("contractType", CONTRACT_TYPES)
    if kind != "PERPETUAL":
        raise E.err(E.INVALID_PARAMETER, "the sandbox lists perpetual contracts only", "contractType")
    return kline_rows(_by_pair(call), "last")


def premium_index_klines(call: Call) -> list[list[Any]]:
    """The candles' times with a premium of 0 throughout (no volume, as Binance's)."""
    return [
        [r[0], _ZERO, _ZERO, _ZERO, _ZERO, "0", r[6], "0", 0, "0", "0", "0"] for r in kline_rows(call, "mark")
    ]
