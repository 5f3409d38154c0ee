"""BitMart's error codes → perpdesk's typed errors, with a message a user can act on.

Sources: developer-pro.bitmart.com/en/error (30xxx authentication codes with their HTTP statuses)
and the futures V2 code table (40xxx). BitMart does not publish the code for "account not
whitelisted for futures API"; it is recognised by code (see FUTURES_NOT_WHITELISTED) and, failing
that, by the message, so an unknown variant still lands on the right error.
"""

from __future__ import annotations

from perpdesk.core.errors import (
    AuthenticationFailed,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientMargin,
    InvalidOrder,
    InvalidSignature,
    IpNotAllowed,
    NotWhitelistedForFutures,
    OrderNotFound,
    PermissionMissing,
    RateLimited,
    TimestampOutOfWindow,
)
from perpdesk.metrics import METRICS

SUCCESS = 1000
FIX_ORDER = "Correct the order as the reason says and submit it again."
REFRESH_ORDERS = "Refresh the orders: it may have been filled or cancelled already."

UNKNOWN_PATH = 30000
KEY_EMPTY = 30001
KEY_NOT_FOUND = 30002
KEY_FROZEN = 30003
SIGN_EMPTY = 30004
SIGN_WRONG = 30005
TIMESTAMP_EMPTY = 30006
TIMESTAMP_WINDOW = 30007
TIMESTAMP_FORMAT = 30008
IP_FORBIDDEN = 30010
KEY_EXPIRED = 30011
KEY_FORBIDDEN = 30012  # the key lacks the permission this endpoint needs
RATE_LIMIT = 30013
SERVICE_UNAVAILABLE = 30014
# BitMart's "You do not have the permissions to perform this operation. Please contact customer
# service or BD": on futures private endpoints, the refusal until the account is whitelisted for
# futures API trading (BitMart does not document a dedicated code; also matched by message).
FUTURES_NOT_WHITELISTED = 30019

TIMESTAMP_CODES = frozenset({TIMESTAMP_EMPTY, TIMESTAMP_WINDOW, TIMESTAMP_FORMAT, 40008, 40013})

# 40xxx: futures business errors that reject an order (the order was not accepted).
_ORDER_REJECTIONS: dict[int, str] = {
    40005: "The size has more decimals than the contract allows.",
    40007: "The exchange could not parse a parameter.",
    40011: "The exchange refused the request as invalid.",
    40014: "This contract is offline.",
    40015: "Trading in this contract is paused.",
    40017: "Opening and closing the same position at once is not possible.",
    40018: "The position is already closed.",
    40019: "The position is being liquidated.",
    40020: "The position is smaller than the size to close.",
    40021: "There is no such position.",
    40022: "The position is not isolated.",
    40028: "Too many open plan orders on this account.",
    40029: "The leverage is above this contract's maximum.",
    40030: "The leverage is below this contract's minimum.",
    40031: "The trigger price is too far from the current price.",
    40032: "The plan order's life is too long.",
    40033: "The plan order's life is too short.",
    40034: "This contract does not exist.",
    40036: "The order is already finished (filled or cancelled).",
    40038: "A parameter is out of its allowed values.",
    40039: "The timestamp parameter is invalid.",
    40040: "The leverage is invalid for this contract.",
    40041: "The order side is invalid.",
    40042: "The order type is invalid.",
    40043: "The price or size does not fit the contract's precision.",
    40044: "The price or size is outside the allowed range (or a maker-only order would take).",
    40045: "The margin mode (open type) is invalid.",
    40048: "The client order id may contain only letters and digits.",
    40049: "The client order id is too long (BitMart allows under 32 characters).",
    40050: "The client order id is already used by another order.",
}
_MARGIN_CODES = frozenset({40016, 40023, 40024, 40025, 40026, 40027})
_NOT_FOUND_CODES = frozenset({40035, 40037})
_UNAVAILABLE_CODES = frozenset({SERVICE_UNAVAILABLE, 40012, 59002})


def to_error(
    http_status: int, code: int | None, message: str, *, order_endpoint: bool = False
) -> ExchangeError:
    """The typed error for one BitMart failure answer (code != 1000 or HTTP status != 200)."""
    text = message or f"HTTP {http_status}"
    cls, headline, next_step = _classify(http_status, code, text.lower(), order_endpoint)
    METRICS.exchange_error("bitmart", rate_limited=cls is RateLimited)
    said = f"{headline} BitMart said: {text}" if headline else f"BitMart said: {text}"
    err: ExchangeError
    if cls is InvalidOrder:
        err = InvalidOrder(said, reason=text, exchange_code=code, http_status=http_status,
                           next_step=next_step or FIX_ORDER)
    else:
        err = cls(said, exchange_code=code, http_status=http_status, next_step=next_step)
    err.headline = headline or f"BitMart refused the request (code {code or http_status})."
    return err


def _classify(
    status: int, code: int | None, lower: str, order_endpoint: bool
) -> tuple[type[ExchangeError], str, str | None]:
    if code in (KEY_EMPTY, KEY_NOT_FOUND):
        return AuthenticationFailed, "The exchange does not know this API key.", None
    if code == KEY_FROZEN:
        return (AuthenticationFailed, "The API key is frozen at the exchange.",
                "Unfreeze the key or create a new one on BitMart's API Management page.")
    if code == KEY_EXPIRED:
        return (AuthenticationFailed, "The API key has expired.",
                "Keys without an IP whitelist expire on BitMart; create a new key with the platform's "
                "IP addresses whitelisted.")
    if code in (SIGN_EMPTY, SIGN_WRONG):
        return (InvalidSignature,
                "The request signature was refused: the secret or the passphrase (memo) is wrong.", None)
    if code in TIMESTAMP_CODES:
        return TimestampOutOfWindow, "The request timestamp is outside the exchange's window.", None
    if code in (IP_FORBIDDEN, 40006):
        return IpNotAllowed, "The exchange refused the request from this IP address.", None
    words = lower.replace(",", " ").replace(".", " ").split()
    about_futures = "futures" in lower or "contract" in lower
    if code == FUTURES_NOT_WHITELISTED or ("whitelist" in lower and about_futures and "ip" not in words):
        return NotWhitelistedForFutures, "The account is not yet whitelisted for futures API trading.", None
    if code == KEY_FORBIDDEN:
        return PermissionMissing, "The API key lacks the permission this action needs.", None
    if code == RATE_LIMIT or status == 429:
        return RateLimited, "The exchange's rate limit was reached.", None
    if code in _UNAVAILABLE_CODES or status >= 500:
        return ExchangeUnavailable, "The exchange is unavailable.", None
    if code in _MARGIN_CODES or "balance not enough" in lower or "insufficient" in lower:
        return InsufficientMargin, "Not enough margin for this order.", None
    if code in _NOT_FOUND_CODES:
        return OrderNotFound, "The exchange has no such order.", REFRESH_ORDERS
    if code is not None and code in _ORDER_REJECTIONS:
        return InvalidOrder, _ORDER_REJECTIONS[code], None
    if order_endpoint and "order" in lower and ("not exist" in lower or "not found" in lower):
        return OrderNotFound, "The exchange has no such order.", REFRESH_ORDERS
    if order_endpoint and status in (200, 400):
        return InvalidOrder, "The exchange rejected the order.", None
    if status == 401:
        return AuthenticationFailed, "The exchange refused the credentials.", None
    if status == 403:
        return PermissionMissing, "The exchange refused the request.", None
    if code == UNKNOWN_PATH:
        return ExchangeError, "The exchange does not serve this endpoint.", "Check the exchange URL."
    return ExchangeError, "", "Try again; if it persists, the exchange's message above says why."
