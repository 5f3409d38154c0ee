"""BitMart's error answers: code, message and HTTP status, as its documentation lists them."""

from __future__ import annotations


class ApiError(Exception):
    """An answer other than success: goes out as BitMart's envelope with `code` and `message`."""

    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


# Authentication and system errors (BitMart "Authentication Error Code" table).
NOT_FOUND = (30000, "Not found", 404)
KEY_EMPTY = (30001, "Header X-BM-KEY is empty", 401)
KEY_NOT_FOUND = (30002, "Header X-BM-KEY not found", 401)
SIGN_EMPTY = (30004, "Header X-BM-SIGN is empty", 401)
SIGN_WRONG = (30005, "Header X-BM-SIGN is wrong", 401)
TIMESTAMP_EMPTY = (30006, "Header X-BM-TIMESTAMP is empty", 401)
TIMESTAMP_RANGE = (30007, "Header X-BM-TIMESTAMP range. Within a minute", 401)
TIMESTAMP_RECV_WINDOW = (
    30007,
    "Header X-BM-TIMESTAMP range. Timestamp for this request is outside of the recvWindow.",
    401,
)
RECV_WINDOW_NOT_LONG = (30007, "Param recvWindow must be long type", 401)
RECV_WINDOW_RANGE = (30007, "Param recvWindow must be less than 60000 and greater than 0", 401)
TIMESTAMP_FORMAT = (30008, "Header X-BM-TIMESTAMP invalid format", 401)
IP_FORBIDDEN = (
    30010,
    "IP is forbidden. We recommend enabling IP whitelist for API trading. After that reauth your account",
    403,
)
KEY_FORBIDDEN = (30012, "Header X-BM-KEY is forbidden to request it", 403)
TOO_MANY = (30013, "Request too many requests", 429)
UNAVAILABLE = (30014, "Service unavailable", 503)
# BitMart does not document the answer for an account that has not been whitelisted for futures
# API trading; 30019 ("contact customer service or BD") is its code for an operation the account
# is not allowed to perform, which is what whitelisting unlocks. Assumption, see docs/sandbox.md.
NO_PERMISSION = (
    30019,
    "You do not have the permissions to perform this operation. "
    "Please contact customer service or BD for assistance",
    200,
)

# Futures business / parameter errors.
FUTURES_PARSE = (40007, "Parse parameter error", 400)
FUTURES_INVALID = (40011, "Invalid request", 400)
FUTURES_SYSTEM = (40012, "System error", 500)
SIDE_INVALID = (40041, "The order side is invalid", 400)
TYPE_INVALID = (40042, "The order type is invalid", 400)
OPEN_TYPE_INVALID = (40045, "The order open type is invalid", 400)
ORDER_NOT_EXIST = (40035, "The order is not exist", 400)
KLINE_STEP_INVALID = (40038, "The k-line step is invalid", 400)
CLIENT_ID_FORMAT = (40048, "ClientOrderId only allows a combination of numbers and letters", 403)
CLIENT_ID_LENGTH = (40049, "The maximum length of clientOrderId cannot exceed 32", 403)
# Account (spot/funding) parameter errors.
ACCOUNT_INVALID = (
    60000,
    "Invalid request (maybe the body is empty, or the int parameter passes string data)",
    400,
)
METHOD_NOT_ALLOWED = (60030, "Method Not Allowed", 405)


def err(spec: tuple[int, str, int], detail: str | None = None) -> ApiError:
    code, message, status = spec
    return ApiError(code, f"{message}: {detail}" if detail else message, status)
