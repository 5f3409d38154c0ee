"""Binance's request security: `X-MBX-APIKEY`, and for SIGNED (TRADE, USER_DATA) endpoints
`timestamp`, `recvWindow` and `signature` = hex HMAC-SHA256(secret, totalParams), where
totalParams is the query string followed by the url-encoded body, without the signature itself.

The timing rule is Binance's: a request is taken when
`timestamp < serverTime + 1000` and `serverTime - timestamp <= recvWindow` (default 5000 ms,
at most 60000), else -1021.
"""

from __future__ import annotations

import hmac
import re
import time

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.identity import ApiKey, Identity

_KEY_RE = re.compile(r"^[A-Za-z0-9]{64}$")
_SIG_RE = re.compile(rb"(^|&)signature=([^&]*)")
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60_000
AHEAD_MS = 1000


def api_key(headers: dict[bytes, bytes], identity: Identity, client_ip: str) -> ApiKey:
    """The Binance key the request names, usable from the caller's address."""
    raw = headers.get(b"x-mbx-apikey", b"").decode("latin-1").strip()
    if not raw:
        raise E.err(E.REJECTED_MBX_KEY, "send your API key in the X-MBX-APIKEY header")
    if not _KEY_RE.match(raw):
        raise E.err(E.BAD_API_KEY_FMT, "a Binance API key is 64 letters and digits")
    key = identity.key_by_api_key(raw, "binance")
    if key is None:
        raise E.err(E.REJECTED_MBX_KEY, "no such Binance API key: create one for the Binance dialect")
    if key.ip_whitelist and client_ip not in key.ip_whitelist:
        raise E.err(E.REJECTED_MBX_KEY, "this key is restricted to other IP addresses")
    return key


def _without_signature(raw: bytes) -> tuple[bytes, bytes | None]:
    m = _SIG_RE.search(raw)
    if m is None:
        return raw, None
    rest = raw[: m.start()] + raw[m.end() :]
    if m.group(1) == b"" and rest.startswith(b"&"):
        rest = rest[1:]
    return rest, m.group(2)


def check_signed(
    key: ApiKey,
    query: bytes,
    body: bytes,
    params: Params,
    now_ms: int | None = None,
    max_window_ms: int = MAX_RECV_WINDOW,
) -> None:
    """Timestamp window then signature, in Binance's order. `max_window_ms` shortens every
    recvWindow (the sandbox's `--timestamp-window-ms`, so tests run Binance's timings scaled)."""
    query, sig_q = _without_signature(query)
    body, sig_b = _without_signature(body)
    timestamp = params.int_("timestamp", required=True, lo=0)
    window = params.int_("recvWindow", lo=1)
    if window is not None and window > MAX_RECV_WINDOW:
        raise E.err(E.BAD_RECV_WINDOW, "send at most 60000 (ms)")
    window = min(window or DEFAULT_RECV_WINDOW, max_window_ms)
    signature = sig_q if sig_q is not None else sig_b
    if not signature:
        raise E.err(E.MANDATORY_PARAM, "send 'signature': hex HMAC-SHA256 of the parameters", "signature")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    assert timestamp is not None
    if timestamp >= now + AHEAD_MS:
        raise E.err(E.TIMESTAMP_AHEAD, "sync your clock with GET /fapi/v1/time")
    if now - timestamp > window:
        raise E.err(E.INVALID_TIMESTAMP, "send a fresh timestamp (ms) or a larger recvWindow")
    expected = hmac.digest(key.secret_key.encode(), query + body, "sha256").hex().encode()
    if not hmac.compare_digest(expected, signature.lower()):
        raise E.err(E.INVALID_SIGNATURE, "sign the query string followed by the body with your secret")
