"""Binance USDⓈ-M Futures error codes → perpdesk's typed errors, with what the user should do.

Binance answers `{"code": -XXXX, "msg": "..."}`. -2015 ("Invalid API-key, IP, or permissions for
action") covers three causes; where the answer says which (the sandbox's hint after " — ", or
naming the IP or the Futures permission) the error is that one, else the next step names all three.
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
    OrderNotFound,
    PermissionMissing,
    RateLimited,
    TimestampOutOfWindow,
)
from perpdesk.metrics import METRICS


class UnknownKey(AuthenticationFailed):
    """Binance said the key itself is unknown (-2014, or -2015 saying so), not the IP or permission."""


TIMESTAMP = -1021
BAD_SIGNATURE = -1022
KEY_FORMAT = -2014
KEY_REJECTED = -2015
TOO_MANY_REQUESTS = -1003
TOO_MANY_ORDERS = -1015
UNKNOWN_ORDER = -2011
NO_SUCH_ORDER = -2013
NO_NEED_MARGIN_TYPE = -4046
NO_NEED_POSITION_SIDE = -4059
POSITION_SIDE_MISMATCH = -4061
INVALID_LISTEN_KEY = -1125
# "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
STATUS_UNKNOWN = frozenset({-1006, -1007})
_UNAVAILABLE = frozenset({-1000, -1001, -1008, -1016})
_MARGIN = frozenset({-2018, -2019, -2027, -2028})

API_MANAGEMENT = "Binance's API Management page"
FIX_ORDER = "Correct the order as the reason says and submit it again."
REFRESH_ORDERS = "Refresh the orders: it may have been filled or cancelled already."
UNKNOWN_KEY_STEP = (
    f"Copy the API Key again from {API_MANAGEMENT} (the copy button beside it) and paste it "
    "into the API key field."
)
SIGNATURE_STEP = (
    "Paste the Secret Key again; Binance shows it only once, so if it is lost, delete the "
    "key and create a new one."
)
FUTURES_STEP = (
    f"On {API_MANAGEMENT}, click Edit restrictions on the key, tick Enable Futures and save "
    "(Binance asks for the Futures account to be opened first)."
)
IP_STEP = (
    f'On {API_MANAGEMENT}, click Edit restrictions on the key, choose "Restrict access to trusted '
    "IPs only\" and add the platform's IP addresses."
)
CLOCK_STEP = (
    "The request's timestamp fell outside Binance's recvWindow even after perpdesk measured "
    "Binance's clock again: synchronise the server's clock (NTP) and try again."
)
AMBIGUOUS_2015_STEP = (
    "Binance does not say which: check that the API Key was copied whole, that the key "
    "allows the platform's IP addresses, and that Enable Futures is ticked."
)


def to_error(
    http_status: int, code: int | None, message: str, *, order_endpoint: bool = False
) -> ExchangeError:
    """The typed error for one Binance failure answer (HTTP status != 200)."""
    text = message or f"HTTP {http_status}"
    cls, headline, next_step = _classify(http_status, code, text, order_endpoint)
    METRICS.exchange_error("binance", rate_limited=cls is RateLimited)
    said = f"{headline} Binance said: {text}"
    err: ExchangeError
    if cls is InvalidOrder:
        err = InvalidOrder(
            said, reason=text, exchange_code=code, http_status=http_status, next_step=next_step or FIX_ORDER
        )
    else:
        err = cls(said, exchange_code=code, http_status=http_status, next_step=next_step)
    err.headline = headline
    return err


def _classify(
    status: int, code: int | None, text: str, order_endpoint: bool
) -> tuple[type[ExchangeError], str, str | None]:
    lower = text.lower()
    hint = lower.split(" — ", 1)[1] if " — " in lower else ""
    if code == TIMESTAMP:
        return TimestampOutOfWindow, "The request's timestamp was outside Binance's recvWindow.", CLOCK_STEP
    if code == BAD_SIGNATURE:
        return InvalidSignature, "Binance refused the signature: the Secret Key is wrong.", SIGNATURE_STEP
    if code == KEY_FORMAT:
        return (
            UnknownKey,
            "Binance does not know this API key (it is not a Binance key).",
            UNKNOWN_KEY_STEP,
        )
    if code == KEY_REJECTED:
        if "futures" in hint:
            return PermissionMissing, "Enable Futures is off on this API key.", FUTURES_STEP
        if "ip" in hint.replace(",", " ").split() or "restricted" in hint:
            return IpNotAllowed, "The key does not allow requests from the platform's IP address.", IP_STEP
        if "no such" in hint or "create one" in hint:
            return UnknownKey, "Binance does not know this API key.", UNKNOWN_KEY_STEP
        return (
            AuthenticationFailed,
            "Binance refused the API key, the IP address or the permission.",
            AMBIGUOUS_2015_STEP,
        )
    if code in (TOO_MANY_REQUESTS, TOO_MANY_ORDERS) or status in (418, 429):
        banned = status == 418
        return (
            RateLimited,
            "Binance banned the platform's address for sending too many requests."
            if banned
            else "Binance's rate limit was reached.",
            None,
        )
    if code in STATUS_UNKNOWN:
        return ExchangeUnavailable, "Binance did not know whether it executed the request.", None
    if code in _UNAVAILABLE or status >= 500:
        return ExchangeUnavailable, "Binance is unavailable.", None
    if code in _MARGIN:
        return InsufficientMargin, "Not enough margin for this order.", None
    if code in (UNKNOWN_ORDER, NO_SUCH_ORDER):
        return OrderNotFound, "Binance has no such open order.", REFRESH_ORDERS
    if code == INVALID_LISTEN_KEY:
        return ExchangeError, "Binance no longer knows the user-data listen key.", "perpdesk opens a new one."
    if order_endpoint and status == 400:
        return InvalidOrder, "Binance rejected the order.", None
    if status == 401:
        return AuthenticationFailed, "Binance refused the API key.", AMBIGUOUS_2015_STEP
    if status in (403, 404):
        return ExchangeError, "Binance does not serve this request here.", "Check the exchange URL."
    return ExchangeError, f"Binance refused the request (code {code or status}).", None
