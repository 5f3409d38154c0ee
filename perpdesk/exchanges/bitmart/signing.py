"""BitMart request signing: lowercase hex HMAC-SHA256(secret, "{timestamp}#{memo}#{payload}").

payload is the exact JSON body for POST and the query string for GET; the WebSocket login signs
the constant "bitmart.WebSocket". A wrong memo and a wrong secret both yield a wrong signature.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

WS_LOGIN_PAYLOAD = "bitmart.WebSocket"
_BLOCK = 64  # SHA-256's block size (RFC 2104: keys are padded, or hashed first when longer)
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def sign(secret: str, timestamp: str, memo: str, payload: str | bytes) -> str:
    """The X-BM-SIGN value for one request."""
    body = payload.encode() if isinstance(payload, str) else payload
    message = b"%s#%s#%s" % (timestamp.encode(), memo.encode(), body)
    return hmac.digest(secret.encode(), message, "sha256").hex()


def ws_login_sign(secret: str, timestamp: str, memo: str) -> str:
    return sign(secret, timestamp, memo, WS_LOGIN_PAYLOAD)


class Signer:
    """sign() with each secret's HMAC key schedule kept: the per-request cost is then two SHA-256
    copies and updates, where hmac.digest makes OpenSSL 3 look the digest up by name every time
    (several µs, and much more once the caches are cold between network round trips).

    The kept states are as sensitive as the secrets themselves: in memory only, per connector,
    bounded (cleared when full), never logged or repr'd. They are keyed by the secret's hash, not
    the secret, so no plaintext secret outlives the call that passed it in. str hashes are SipHash
    under a per-process random key; a collision (~2^-64) would only make the exchange refuse
    one signature, never sign with another account's key unnoticed.
    """

    __slots__ = ("_max", "_pads")

    def __init__(self, max_keys: int = 1024) -> None:
        self._pads: dict[int, tuple[Any, Any]] = {}
        self._max = max_keys

    def __repr__(self) -> str:
        return f"Signer({len(self._pads)} keys)"

    def _key_pads(self, secret: str) -> tuple[Any, Any]:
        key = secret.encode()
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        pads = (hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD)))
        if len(self._pads) >= self._max:
            self._pads.clear()
        self._pads[hash(secret)] = pads
        return pads

    def sign(self, secret: str, timestamp: str, memo: str, payload: bytes) -> str:
        pads = self._pads.get(hash(secret)) or self._key_pads(secret)
        inner = pads[0].copy()
        inner.update(b"%s#%s#%s" % (timestamp.encode(), memo.encode(), payload))
        outer = pads[1].copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def forget(self) -> None:
        self._pads.clear()
