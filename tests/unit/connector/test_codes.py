"""BitMart's error answers map to the typed errors services act on."""

from __future__ import annotations

import pytest

from perpdesk.core import errors as E
from perpdesk.exchanges.bitmart.codes import to_error


@pytest.mark.parametrize(
    ("status", "code", "message", "order", "expected"),
    [
        (401, 30002, "Header X-BM-KEY not found", False, E.AuthenticationFailed),
        (401, 30001, "Header X-BM-KEY is empty", False, E.AuthenticationFailed),
        (401, 30005, "Header X-BM-SIGN is wrong", False, E.InvalidSignature),
        (401, 30007, "Header X-BM-TIMESTAMP range. Within a minute", False, E.TimestampOutOfWindow),
        (401, 30008, "Header X-BM-TIMESTAMP invalid format", False, E.TimestampOutOfWindow),
        (403, 30010, "IP is forbidden. We recommend enabling IP whitelist for API trading.", False,
         E.IpNotAllowed),
        (403, 30012, "Header X-BM-KEY is forbidden to request it", True, E.PermissionMissing),
        (429, 30013, "Request too many requests", False, E.RateLimited),
        (503, 30014, "Service unavailable", False, E.ExchangeUnavailable),
        (200, 30019, "You do not have the permissions to perform this operation. Please contact "
         "customer service or BD for assistance", True, E.NotWhitelistedForFutures),
        (400, 40027, "You contract account available balance not enough", True, E.InsufficientMargin),
        (400, 40035, "The order is not exist", True, E.OrderNotFound),
        (400, 40037, "The order id is not exist", True, E.OrderNotFound),
        (400, 40034, "The Symbol is not exist", True, E.InvalidOrder),
        (400, 40029, "The order's leverage is too large.", True, E.InvalidOrder),
        (403, 40050, "Client OrderId duplicated with existing orders", True, E.InvalidOrder),
        (403, 40048, "ClientOrderId only allows a combination of numbers and letters", True, E.InvalidOrder),
        (500, 40012, "System error", False, E.ExchangeUnavailable),
        (502, None, "Bad gateway", False, E.ExchangeUnavailable),
        (400, 40011, "Invalid request", True, E.InvalidOrder),
    ],
)
def test_codes_map_to_typed_errors(status: int, code: int | None, message: str, order: bool,
                                   expected: type[E.ExchangeError]) -> None:
    error = to_error(status, code, message, order_endpoint=order)
    assert type(error) is expected
    assert error.exchange_code == code
    assert error.http_status == status
    assert message in error.message  # BitMart's own words are kept for support
    assert error.next_step  # every error says what to do


def test_invalid_order_carries_the_reason() -> None:
    error = to_error(400, 40029, "The order's leverage is too large.", order_endpoint=True)
    assert isinstance(error, E.InvalidOrder)
    assert "leverage" in error.reason


def test_wrong_signature_says_secret_and_memo_cannot_be_told_apart() -> None:
    error = to_error(401, 30005, "Header X-BM-SIGN is wrong")
    assert "secret or the passphrase" in error.message
    assert "cannot tell which" in error.next_step


def test_ip_whitelist_message_is_not_taken_for_futures_whitelisting() -> None:
    # 30010's text mentions a whitelist: it is the IP refusal, never the futures one
    error = to_error(403, 30010, "IP is forbidden. We recommend enabling IP whitelist for API trading "
                     "(futures too). After that reauth your account")
    assert isinstance(error, E.IpNotAllowed)
