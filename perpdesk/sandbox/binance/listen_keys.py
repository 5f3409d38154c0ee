"""Listen keys of the user data stream: one per API key, valid 60 minutes from its last
keepalive (POST again or PUT extends it, DELETE ends it), kept in memory (a restart ends them)."""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.call import Call

VALID_MS = 60 * 60 * 1000
_ALNUM = string.ascii_letters + string.digits


@dataclass(slots=True)
class ListenKey:
    key: str
    uid: str
    api_key: str
    expires_ms: int


class ListenKeys:
    def __init__(self, clock: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.clock = clock
        self._by_key: dict[str, ListenKey] = {}
        self._by_api_key: dict[str, str] = {}
        self.on_end: list[Callable[[ListenKey], None]] = []  # the stream closes its connections

    def live(self, key: str) -> ListenKey | None:
        lk = self._by_key.get(key)
        if lk is not None and lk.expires_ms <= self.clock():
            self.end(lk)
            return None
        return lk

    def start(self, uid: str, api_key: str) -> ListenKey:
        current = self._by_api_key.get(api_key)
        lk = self.live(current) if current else None
        if lk is None:
            lk = ListenKey("".join(secrets.choice(_ALNUM) for _ in range(64)), uid, api_key, 0)
            self._by_key[lk.key] = lk
            self._by_api_key[api_key] = lk.key
        lk.expires_ms = self.clock() + VALID_MS
        return lk

    def of(self, api_key: str) -> ListenKey | None:
        current = self._by_api_key.get(api_key)
        return self.live(current) if current else None

    def end(self, lk: ListenKey) -> None:
        self._by_key.pop(lk.key, None)
        if self._by_api_key.get(lk.api_key) == lk.key:
            del self._by_api_key[lk.api_key]
        for callback in list(self.on_end):
            callback(lk)

    def expire_due(self) -> None:
        now = self.clock()
        for lk in [lk for lk in self._by_key.values() if lk.expires_ms <= now]:
            self.end(lk)


def _keys(call: Call) -> ListenKeys:
    assert call.listen_keys is not None and call.key is not None
    return call.listen_keys


def start_stream(call: Call) -> dict[str, str]:
    assert call.key is not None
    return {"listenKey": _keys(call).start(call.key.uid, call.key.api_key).key}


def keepalive_stream(call: Call) -> dict[str, str]:
    assert call.key is not None
    lk = _keys(call).of(call.key.api_key)
    if lk is None:
        raise E.err(E.INVALID_LISTEN_KEY, "start a user data stream with POST /fapi/v1/listenKey")
    lk.expires_ms = _keys(call).clock() + VALID_MS
    return {"listenKey": lk.key}


def close_stream(call: Call) -> dict[str, str]:
    assert call.key is not None
    lk = _keys(call).of(call.key.api_key)
    if lk is not None:
        _keys(call).end(lk)
    return {}
