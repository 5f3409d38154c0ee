"""BitMart request signing: lowercase hex HMAC-SHA256(secret, "{timestamp}#{memo}#{payload}").

payload is the exact JSON body for POST and the query string for GET; the WebSocket login signs
the constant "bitmart.WebSocket". A wrong memo and a wrong secret both yield a wrong signature.
Requests are signed with the common HmacSha256 (key schedule kept) over `message()`; `sign()` is
the one-off form (the WebSocket login, and the reference the tests hold the kept one to).
"""

from __future__ import annotations

import hmac

WS_LOGIN_PAYLOAD = "bitmart.WebSocket"


def message(timestamp: str, memo: str, payload: str | bytes) -> bytes:
    """What BitMart signs for one request."""
    body = payload.encode() if isinstance(payload, str) else payload
    return b"%s#%s#%s" % (timestamp.encode(), memo.encode(), body)


def sign(secret: str, timestamp: str, memo: str, payload: str | bytes) -> str:
    """The X-BM-SIGN value for one request."""
    return hmac.digest(secret.encode(), message(timestamp, memo, payload), "sha256").hex()


def ws_login_sign(secret: str, timestamp: str, memo: str) -> str:
    return sign(secret, timestamp, memo, WS_LOGIN_PAYLOAD)
