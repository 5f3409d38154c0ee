"""Hex HMAC-SHA256 with each secret's key schedule kept (RFC 2104 by hand).

hmac.digest makes OpenSSL 3 look the digest up by name on every call (several µs, much more
once caches are cold between round trips); keeping the padded inner and outer SHA-256 states
per secret makes a signature two state copies and updates.

The kept states are as sensitive as the secrets: in memory only, per connector, bounded (cleared
when full), never logged or repr'd, keyed by the secret's hash so no plaintext outlives the call.
"""

from __future__ import annotations

import hashlib
from typing import Any

_BLOCK = 64  # SHA-256's block size: longer keys are hashed first, shorter ones zero-padded
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


class HmacSha256:
    __slots__ = ("_max", "_pads")

    def __init__(self, max_keys: int = 1024) -> None:
        self._pads: dict[int, tuple[Any, Any]] = {}
        self._max = max_keys

    def __repr__(self) -> str:
        return f"HmacSha256({len(self._pads)} keys)"

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

    def hexdigest(self, secret: str, message: bytes) -> str:
        pads = self._pads.get(hash(secret)) or self._key_pads(secret)
        inner = pads[0].copy()
        inner.update(message)
        outer = pads[1].copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def forget(self) -> None:
        self._pads.clear()
