"""Injected faults, per endpoint, for reliability tests: latency, 5xx, 429, dropped connection,
and "execute then drop the response" (the request takes effect but the client never hears)."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("latency", "http_error", "rate_limit", "drop", "execute_then_drop")


class FaultError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class Fault:
    id: int
    path: str  # exact request path, or "*" for every REST endpoint
    kind: str
    method: str | None = None  # GET / POST, or None for both
    latency_ms: int = 0  # for "latency" (also added before any other kind when set)
    status: int = 503  # for "http_error"
    times: int | None = None  # how many requests it hits; None = until cleared
    probability: float = 1.0
    hits: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    @property
    def active(self) -> bool:
        return bool(self._faults)

    def add(self, spec: dict[str, Any]) -> Fault:
        kind = str(spec.get("kind") or "")
        if kind not in KINDS:
            raise FaultError("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        path = str(spec.get("path") or "*")
        if path != "*" and not path.startswith("/"):
            raise FaultError(
                "path", f"{path!r} must be a request path like /contract/private/submit-order or *"
            )
        method = spec.get("method")
        if method is not None:
            method = str(method).upper()
            if method not in ("GET", "POST"):
                raise FaultError("method", "must be GET or POST")
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
        fault = Fault(next(self._ids), path, kind, method, latency_ms, status, times, probability)
        self._faults.append(fault)
        return fault

    def clear(self, path: str | None = None) -> int:
        before = len(self._faults)
        self._faults = [f for f in self._faults if path is not None and f.path != path]
        return before - len(self._faults)

    def list(self) -> list[Fault]:
        return list(self._faults)

    def match(self, method: str, path: str, rand: float) -> Fault | None:
        """The first fault that applies to this request (and count it)."""
        if not self._faults:
            return None
        for fault in self._faults:
            if fault.path not in ("*", path) or (fault.method and fault.method != method):
                continue
            if fault.probability < 1.0 and rand >= fault.probability:
                continue
            fault.hits += 1
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            return fault
        return None
