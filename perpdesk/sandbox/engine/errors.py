"""BitMart's business error codes, as the engine raises them.

Codes and messages are BitMart's own (its Futures V2 "Contract API Error Code" table and the
account API's 60xxx table). Where BitMart has no code for a case, the nearest one is used and
the report names it (see ASSUMED below).
"""

from __future__ import annotations

from collections.abc import Callable


class EngineError(Exception):
    """A BitMart business error: `code`/`message` go into the envelope, `http_status` on the answer."""

    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


def _e(code: int, message: str, http_status: int = 400) -> Callable[..., EngineError]:
    def make(detail: str = "") -> EngineError:
        # BitMart's message first (clients match on it); a specific hint after it.
        return EngineError(code, f"{message} ({detail})" if detail else message, http_status)

    return make


INVALID_REQUEST = _e(40011, "Invalid request")
WOULD_LIQUIDATE = _e(40016, "This order would trigger user position liquidate")
OPEN_CLOSE_SAME_TIME = _e(40017, "It is not possible to open and close simultaneously in the same position")
POSITION_NOT_ENOUGH = _e(40020, "Your position volume is not enough")
POSITION_NOT_EXIST = _e(40021, "The position is not exsit")
POSITION_NOT_ISOLATED = _e(40022, "The position is not isolated")
BALANCE_NOT_ENOUGH = _e(40027, "You contract account available balance not enough")
PLAN_COUNT_LIMIT = _e(40028, "Your plan order's count is more than system maximum limit.")
LEVERAGE_TOO_LARGE = _e(40029, "The order's leverage is too large.")
LEVERAGE_TOO_SMALL = _e(40030, "The order's leverage is too small.")
TRIGGER_DEVIATION = _e(40031, "The deviation between current price and trigger price is too large.")
SYMBOL_NOT_EXIST = _e(40034, "The Symbol is not exist")
ORDER_NOT_EXIST = _e(40035, "The order is not exist")
ORDER_STATUS_INVALID = _e(40036, "The order status is invalid")
ORDER_ID_NOT_EXIST = _e(40037, "The order id is not exist")
KLINE_STEP_INVALID = _e(40038, "The k-line step is invalid")
TIMESTAMP_INVALID = _e(40039, "The timestamp is invalid")
LEVERAGE_INVALID = _e(40040, "The order leverage is invalid")
SIDE_INVALID = _e(40041, "The order side is invalid")
TYPE_INVALID = _e(40042, "The order type is invalid")
PRECISION_INVALID = _e(40043, "The order precision is invalid")
RANGE_INVALID = _e(40044, "The order range is invalid")
OPEN_TYPE_INVALID = _e(40045, "The order open type is invalid")
CLIENT_ID_FORMAT = _e(40048, "ClientOrderId only allows a combination of numbers and letters", 403)
CLIENT_ID_LENGTH = _e(40049, "The maximum length of clientOrderId cannot exceed 32", 403)
CLIENT_ID_DUPLICATED = _e(40050, "Client OrderId duplicated with existing orders", 403)
# account (spot wallet / transfer) errors
ACCOUNT_INVALID_REQUEST = _e(
    60000, "Invalid request(maybe the body is empty, or the int parameter passes string data)"
)
CURRENCY_NOT_EXIST = _e(60002, "currency does not exist")
ACCOUNT_BALANCE_NOT_ENOUGH = _e(60008, "Balance not enough")

ASSUMED = {
    40044: "maker-only (mode 4) order that would take liquidity is refused with 40044 'order range'",
    40011: "set-position-mode with open positions/orders; unknown position_mode; bad plan params",
    40036: "cancel/modify of an order that is already finished",
    40037: "cancel/modify by an order_id or client_order_id that is unknown",
    40035: "order detail for an unknown order_id / client_order_id",
}
