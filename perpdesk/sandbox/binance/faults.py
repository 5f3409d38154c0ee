"""The sandbox's injected faults (`perpdesk.sandbox.api.faults`: the same admin API, CLI and
composition) as the Binance port answers them, in Binance's shapes:

- latency: the request waits first (its recvWindow keeps running: past it, -1021);
- drop: the connection is dropped before the request is read (it does nothing);
- rate_limit: 429 -1003 with `Retry-After: 1` (it does nothing);
- http_error: 500 -1000 "An unknown error occurred" and 503 -1001 "Internal error; unable to
  process your request" (both do nothing); 504 is Binance's backend timeout: the request
  executes, then 408 -1007 "Timeout waiting for response from backend server. Send status
  unknown; execution status unknown." (HTTP 408: Binance's status for a backend timeout);
- execute_then_drop: the request executes, then the connection is dropped.
"""

from __future__ import annotations

import orjson

from perpdesk.sandbox.api.faults import FaultPlan
from perpdesk.sandbox.binance import errors as E

BACKEND_TIMEOUT_STATUS = 504  # a fault with this status executes, then answers -1007
RETRY_AFTER_S = 1  # short, as the platform stops sending to the whole port until then

Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]


def _answer(spec: E.Spec, headers: list[tuple[bytes, bytes]] | None = None) -> Answer:
    code, msg, status = spec
    return status, orjson.dumps({"code": code, "msg": msg}), headers or []


def before(plan: FaultPlan, ip: str) -> Answer | None:
    """The answer a fault gives instead of executing the request, or None when it executes."""
    if plan.kind == "rate_limit":
        code, msg, status = E.TOO_MANY_REQUESTS
        spec = (code, msg.format(ip, 2400) + f" — retry after {RETRY_AFTER_S} s", status)
        return _answer(spec, [(b"retry-after", str(RETRY_AFTER_S).encode())])
    if plan.kind == "http_error" and plan.status != BACKEND_TIMEOUT_STATUS:
        code, msg, _ = E.UNKNOWN if plan.status == 500 else E.DISCONNECTED
        return _answer((code, msg, plan.status))
    return None


def after(plan: FaultPlan) -> Answer | None:
    """The answer replacing the real one once the request has executed (None: drop or real)."""
    if plan.kind == "http_error" and plan.status == BACKEND_TIMEOUT_STATUS:
        return _answer(E.BACKEND_TIMEOUT)
    return None
