"""BitMart request signing: lowercase hex HMAC-SHA256(secret, "{timestamp}#{memo}#{payload}").

payload is the exact JSON body for POST and the query string for GET; the WebSocket login signs
the constant "bitmart.WebSocket". A wrong memo and a wrong secret both yield a wrong signature.
"""

from __future__ import annotations

import hmac

WS_LOGIN_PAYLOAD = "bitmart.WebSocket"


def sign(secret: str, timestamp: str, memo: str, payload: str | bytes) -> str:
    """The X-BM-SIGN value for one request."""
    body = payload.encode() if isinstance(payload, str) else payload
    message = b"%s#%s#%s" % (timestamp.encode(), memo.encode(), body)
    return hmac.digest(secret.encode(), message, "sha256").hex()  # one-shot C path: no HMAC object


def ws_login_sign(secret: str, timestamp: str, memo: str) -> str:
    return sign(secret, timestamp, memo, WS_LOGIN_PAYLOAD)
