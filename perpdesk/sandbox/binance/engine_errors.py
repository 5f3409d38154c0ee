"""The engine's BitMart business errors, told in Binance's codes. The engine's own detail is
left out (it may quote a submitted value); Binance's message and a hint go out instead."""

from __future__ import annotations

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.call import Endpoint
from perpdesk.sandbox.engine import EngineError

_BY_CODE: dict[int, tuple[E.Spec, str]] = {
    40016: (E.MARGIN_NOT_SUFFICIENT, "that would leave the position at its liquidation"),
    40020: (E.REDUCE_ONLY_REJECT, "the position's free quantity is smaller than the order"),
    40021: (E.REDUCE_ONLY_REJECT, "there is no position on that side to reduce"),
    40022: (E.INVALID_PARAMETER, "the position is not isolated: set marginType ISOLATED first"),
    40027: (E.MARGIN_NOT_SUFFICIENT, "deposit or transfer USDT to the futures wallet, or trade smaller"),
    40028: (E.NEW_ORDER_REJECTED, "too many conditional orders"),
    40029: (E.INVALID_LEVERAGE, "above the symbol's (or the position notional's) maximum leverage"),
    40030: (E.INVALID_LEVERAGE, "below 1"),
    40031: (E.NEW_ORDER_REJECTED, "the trigger price is too far from the current price"),
    40034: (E.BAD_SYMBOL, "see /fapi/v1/exchangeInfo"),
    40035: (E.NO_SUCH_ORDER, "check orderId / origClientOrderId and symbol"),
    40036: (E.NO_SUCH_ORDER, "the order is already filled, cancelled or expired"),
    40037: (E.NO_SUCH_ORDER, "check orderId / origClientOrderId and symbol"),
    40040: (E.INVALID_LEVERAGE, "send a whole number"),
    40043: (E.BAD_PRECISION, "see the symbol's filters in /fapi/v1/exchangeInfo"),
    40044: (E.QTY_GREATER_THAN_MAX, "see LOT_SIZE and MARKET_LOT_SIZE in /fapi/v1/exchangeInfo"),
    40048: (E.INVALID_CLIENT_ORDER_ID, "the sandbox's engine takes 1 to 32 letters and digits"),
    40049: (E.INVALID_CLIENT_ORDER_ID, "the sandbox's engine takes 1 to 32 letters and digits"),
    40050: (E.INVALID_CLIENT_ORDER_ID, "a live order already has this client order id"),
}


def binance_error(exc: EngineError, endpoint: Endpoint | None = None) -> E.BinanceError:
    spec, hint = _BY_CODE.get(exc.code, (E.NEW_ORDER_REJECTED, "the exchange refused the request"))
    if spec is E.INVALID_PARAMETER:
        return E.err(spec, hint, "symbol")
    return E.err(spec, hint)
