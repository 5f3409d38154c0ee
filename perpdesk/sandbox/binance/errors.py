"""Binance's error answers: `{"code": -XXXX, "msg": "..."}` with Binance's HTTP status.

Codes and messages are those of Binance's USDⓈ-M Futures "Error Codes" page; a specific hint
(what is wrong and what to send) follows Binance's message after " — ". A hint never repeats the
submitted value.
"""

from __future__ import annotations


class BinanceError(Exception):
    def __init__(self, code: int, msg: str, http_status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.headers = headers or {}


Spec = tuple[int, str, int]

UNKNOWN = (-1000, "An unknown error occurred while processing the request.", 500)
DISCONNECTED = (-1001, "Internal error; unable to process your request. Please try again.", 503)
BACKEND_TIMEOUT = (
    -1007,
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    408,
)
UNAUTHORIZED = (-1002, "You are not authorized to execute this request.", 401)
TOO_MANY_REQUESTS = (
    -1003,
    "Too many requests; current limit of IP({}) is {} requests per minute. "
    "Please use the websocket for live updates to avoid polling the API.",
    429,
)
IP_BANNED = (
    -1003,
    "Way too many requests; IP({}) banned until {}. Please use the websocket for live updates to avoid bans.",
    418,
)
TOO_MANY_ORDERS = (-1015, "Too many new orders; current limit is {} orders per {}.", 429)
INVALID_TIMESTAMP = (-1021, "Timestamp for this request is outside of the recvWindow.", 400)
TIMESTAMP_AHEAD = (-1021, "Timestamp for this request was 1000ms ahead of the server's time.", 400)
BAD_RECV_WINDOW = (-1131, "recvWindow must be less than 60000", 400)
INVALID_SIGNATURE = (-1022, "Signature for this request is not valid.", 400)
ILLEGAL_CHARS = (-1100, "Illegal characters found in parameter '{}'; legal range is '{}'.", 400)
TOO_MANY_PARAMETERS = (-1101, "Too many parameters sent for this endpoint.", 400)
MANDATORY_PARAM = (-1102, "Mandatory parameter '{}' was not sent, was empty/null, or malformed.", 400)
UNKNOWN_PARAM = (-1103, "An unknown parameter was sent.", 400)
PARAM_NOT_REQUIRED = (-1106, "Parameter '{}' sent when not required.", 400)
BAD_PRECISION = (-1111, "Precision is over the maximum defined for this asset.", 400)
INVALID_TIF = (-1115, "Invalid timeInForce.", 400)
INVALID_ORDER_TYPE = (-1116, "Invalid orderType.", 400)
INVALID_SIDE = (-1117, "Invalid side.", 400)
BAD_INTERVAL = (-1120, "Invalid interval.", 400)
BAD_SYMBOL = (-1121, "Invalid symbol.", 400)
INTERVAL_TOO_BIG = (-1127, "Lookup interval is too big.", 400)
INVALID_LISTEN_KEY = (-1125, "This listenKey does not exist.", 400)
INVALID_PARAMETER = (-1130, "Data sent for parameter '{}' is not valid.", 400)
NEW_ORDER_REJECTED = (-2010, "NEW_ORDER_REJECTED", 400)
CANCEL_REJECTED = (-2011, "CANCEL_REJECTED", 400)
NO_SUCH_ORDER = (-2013, "Order does not exist.", 400)
UNKNOWN_ORDER = (-2011, "Unknown order sent.", 400)
BAD_API_KEY_FMT = (-2014, "API-key format invalid.", 401)
REJECTED_MBX_KEY = (-2015, "Invalid API-key, IP, or permissions for action.", 401)
BALANCE_NOT_SUFFICIENT = (-2018, "Balance is insufficient.", 400)
MARGIN_NOT_SUFFICIENT = (-2019, "Margin is insufficient.", 400)
REDUCE_ONLY_REJECT = (-2022, "ReduceOnly Order is rejected.", 400)
PRICE_LESS_THAN_ZERO = (-4001, "Price less than 0.", 400)
QTY_LESS_THAN_ZERO = (-4003, "Quantity less than or equal to zero.", 400)
QTY_LESS_THAN_MIN = (-4004, "Quantity less than min quantity.", 400)
QTY_GREATER_THAN_MAX = (-4005, "Quantity greater than max quantity.", 400)
PRICE_NOT_BY_TICK = (-4014, "Price not increased by tick size.", 400)
INVALID_CLIENT_ORDER_ID = (-4015, "Client order id is not valid.", 400)
INVALID_LEVERAGE = (-4028, "Leverage is not valid.", 400)
NO_NEED_MARGIN_TYPE = (-4046, "No need to change margin type.", 400)
MARGIN_TYPE_OPEN_ORDERS = (-4047, "Margin type cannot be changed if there exists open orders.", 400)
MARGIN_TYPE_POSITION = (-4048, "Margin type cannot be changed if there exists position.", 400)
NO_NEED_POSITION_SIDE = (-4059, "No need to change position side.", 400)
INVALID_POSITION_SIDE = (-4061, "Order's position side does not match user's setting.", 400)
POSITION_SIDE_OPEN_ORDERS = (-4067, "Position side cannot be changed if there exists open orders.", 400)
POSITION_SIDE_POSITION = (-4068, "Position side cannot be changed if there exists position.", 400)
PRICE_HIGHER_THAN_MAX = (-4016, "Limit price can't be higher than the maximum price.", 400)
USE_ALGO_API = (
    -4120,
    "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
    400,
)
CLOSE_POSITION_EXISTS = (
    -4130, "An open stop or take profit order with GTE and closePosition in the direction is existing.", 400
)
MIN_NOTIONAL = (-4164, "Order's notional must be no smaller than the minimum (unless reduce only).", 400)
FOK_REJECTED = (
    -5021,
    "Due to the order could not be filled immediately, the FOK order has been rejected.",
    400,
)
GTX_REJECTED = (
    -5022,
    "Due to the order could not be executed as maker, the Post Only order will be rejected.",
    400,
)
PATH_INVALID = (-5000, "Path {}, Method {} is invalid", 404)


def err(spec: Spec, hint: str = "", *names: object, headers: dict[str, str] | None = None) -> BinanceError:
    """Binance's message with `names` (parameter names, limits: never a submitted value) filled
    in, then the hint."""
    code, msg, status = spec
    if names:
        msg = msg.format(*names)
    return BinanceError(code, f"{msg} — {hint}" if hint else msg, status, headers)
