"""Injected faults, per endpoint, for reliability tests: latency, 5xx, 429, dropped connection,
and "execute then drop the response" (the request takes effect but the client never hears).

Faults compose: every fault matching a request draws its own chance, and all that hit apply
together. Their latencies add up; of the outcomes, the one acting earliest wins (a drop before the
request is read, then 429, then 5xx, then execute-then-drop). A connection dropped on purpose is
logged as such (WARNING), never as a server error.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger("perpdesk.sandbox.faults")

KINDS = ("latency", "http_error", "rate_limit", "drop", "execute_then_drop")


class FaultError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class Fault:
    id: int
    path: str  # exact request path, or "*" for every REST endpoint (of both dialects' ports)
    kind: str
    method: str | None = None  # GET / POST (/ PUT / DELETE on Binance's port), or None for all
    latency_ms: int = 0  # for "latency" (also added before any other kind when set)
    status: int = 503  # for "http_error"
    times: int | None = None  # how many requests it hits; None = until cleared
    probability: float = 1.0
    api_key: str | None = None  # only requests signed with this key (None = every caller)
    hits: int = 0
    seen: int = 0  # requests it drew its chance for (hits / seen = the share it faulted)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# the outcome acting earliest wins when several faults hit one request
_PRECEDENCE = {"drop": 0, "rate_limit": 1, "http_error": 2, "execute_then_drop": 3, "latency": 4}


@dataclass
class FaultPlan:
    """What the faults hitting one request do to it, combined: `latency_ms` first, then `kind`
    ("latency" = answer normally after the delay)."""

    latency_ms: int = 0
    kind: str = "latency"
    status: int = 503
    faults: list[int] = field(default_factory=list)  # ids of the faults that hit

    def add(self, fault: Fault) -> None:
        self.latency_ms += fault.latency_ms
        self.faults.append(fault.id)
        if _PRECEDENCE[fault.kind] < _PRECEDENCE[self.kind]:
            self.kind, self.status = fault.kind, fault.status


class Faults:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._rng = rng or random.Random()

    @property
    def active(self) -> bool:
        return bool(self._faults)

    def add(self, spec: dict[str, Any]) -> Fault:
        kind = str(spec.get("kind") or "")
        if kind not in KINDS:
            raise FaultError("kind", f"kind must be one of {', '.join(KINDS)}")
        path = str(spec.get("path") or "*")
        if path != "*" and not path.startswith("/"):
            raise FaultError(
                "path", "path must be a request path like /contract/private/submit-order, /fapi/v1/order or *"
            )
        method = spec.get("method")
        if method is not None:
            method = str(method).upper()
            if method not in ("GET", "POST", "PUT", "DELETE"):
                raise FaultError("method", "must be GET, POST, PUT or DELETE (Binance's port)")
        try:
            latency_ms = int(spec.get("latency_ms") or 0)
            status = int(spec.get("status") or 503)
            times = None if spec.get("times") in (None, "") else int(spec["times"])
            probability = float(spec.get("probability", 1.0))
        except (TypeError, ValueError) as exc:
            raise FaultError(
                "fault", f"numbers expected for latency_ms/status/times/probability ({exc})"
            ) from None
        if kind == "latency" and latency_ms <= 0:
            raise FaultError("latency_ms", "give a positive latency in milliseconds")
        if not 500 <= status <= 599:
            raise FaultError("status", "must be an HTTP 5xx status")
        if times is not None and times < 1:
            raise FaultError("times", "must be at least 1 (omit it for no limit)")
        if not 0 < probability <= 1:
            raise FaultError("probability", "must be in (0, 1]")
        api_key = spec.get("api_key")
        if api_key is not None and (not isinstance(api_key, str) or not api_key):
            raise FaultError("api_key", "give the API key whose requests the fault hits, or omit it")
        fault = Fault(
            next(self._ids), path, kind, method, latency_ms, status, times, probability, api_key
        )
        self._faults.append(fault)
        return fault

    def clear(self, path: str | None = None) -> int:
        before = len(self._faults)
        self._faults = [f for f in self._faults if path is not None and f.path != path]
        return before - len(self._faults)

    def list(self) -> list[Fault]:
        return list(self._faults)

    def match(
        self, method: str, path: str, rand: float | None = None, api_key: str = ""
    ) -> FaultPlan | None:
        """Every fault that applies to this request, each after its own draw (counted), combined.
        `rand` is the first draw (tests pin it); the others come from this object's generator."""
        if not self._faults:
            return None
        plan: FaultPlan | None = None
        for fault in list(self._faults):
            if fault.path not in ("*", path) or (fault.method and fault.method != method):
                continue
            if fault.api_key is not None and fault.api_key != api_key:
                continue
            fault.seen += 1
            draw = rand if rand is not None else self._rng.random()
            rand = None
            if fault.probability < 1.0 and draw >= fault.probability:
                continue
            fault.hits += 1
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            plan = plan or FaultPlan()
            plan.add(fault)
        return plan


async def drop_connection(transport: Any, send: Any, plan: FaultPlan, path: str) -> None:
    """Abort the connection on purpose (logged as the fault it is), and let the server see the
    disconnect before the handler returns, so it does not report an unanswered request as an error."""
    log.warning(
        "fault injection: %s on %s (faults %s): connection dropped on purpose", plan.kind, path, plan.faults
    )
    if transport is not None:
        transport.abort()
        await asyncio.sleep(0)  # the server's connection_lost runs: the request is known disconnected
        return
    # without the transport (another server): start a response and never finish it
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
