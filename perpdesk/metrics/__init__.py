"""What every process counts, shown at /metrics in Prometheus' text format (version 0.0.4).

A few counters and gauges do not need a client library: counters are incremented where things
happen (the bus, background jobs, exchange answers, WebSocket links); gauges are read when
/metrics is asked (`Metrics.gauge` registers a function giving labelled values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Labels = tuple[tuple[str, str], ...]
GaugeFn = Callable[[], Iterable[tuple[dict[str, str], float]]]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    shown = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + shown + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


@dataclass
class Counter:
    name: str
    help: str
    values: dict[Labels, float] = field(default_factory=dict)

    def inc(self, amount: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        self.values[key] = self.values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        return self.values.get(tuple(sorted(labels.items())), 0)

    def lines(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        return out + [f"{self.name}{_labels(k)} {_num(v)}" for k, v in sorted(self.values.items())]


@dataclass
class Summary:
    """Observed durations: their count and sum (the rate of sum / count is the mean)."""

    name: str
    help: str
    count: int = 0
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.count += 1
        self.total += value

    def lines(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} summary",
                f"{self.name}_sum {_num(self.total)}", f"{self.name}_count {self.count}"]


@dataclass
class Gauge:
    name: str
    help: str
    read: GaugeFn

    def lines(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} gauge"]
        for labels, value in self.read():
            out.append(f"{self.name}{_labels(tuple(sorted(labels.items())))} {_num(value)}")
        return out


class Metrics:
    def __init__(self) -> None:
        self.events_published = Counter(
            "perpdesk_events_published_total", "Events published on this process's bus (own and received).")
        self.events_delivered = Counter(
            "perpdesk_events_delivered_total", "Events put in a subscriber's queue (pages, notifications).")
        self.events_received = Counter(
            "perpdesk_events_received_total", "Events received from other processes through the broker.")
        self.events_dropped = Counter(
            "perpdesk_events_dropped_total", "Events not sent to the broker (outbox full or broker down).")
        self.broker_lag = Summary(
            "perpdesk_broker_lag_seconds", "From publish in one process to receipt in another.")
        self.job_runs = Counter("perpdesk_job_runs_total", "Background job passes run, per job.")
        self.job_failures = Counter("perpdesk_job_failures_total", "Background job passes failed, per job.")
        self.exchange_errors = Counter(
            "perpdesk_exchange_errors_total", "Errors the exchanges answered, per exchange.")
        self.exchange_429 = Counter(
            "perpdesk_exchange_rate_limited_total", "Rate-limit answers (429, 418), per exchange.")
        self.ws_open = Counter(
            "perpdesk_ws_opened_total", "Exchange WebSocket connections opened, per source address.")
        self.ws_connections: dict[str, int] = {}
        self._gauges: dict[str, Gauge] = {}
        self.gauge("perpdesk_ws_connections", "Open exchange WebSocket connections, per source address.",
                   lambda: [({"source": s}, n) for s, n in sorted(self.ws_connections.items())])

    def gauge(self, name: str, help: str, read: GaugeFn) -> None:
        """Register (or replace: a process rebuilt in tests) a gauge read at each scrape."""
        self._gauges[name] = Gauge(name, help, read)

    def ws_opened(self, source: str | None) -> None:
        key = source or "default"
        self.ws_connections[key] = self.ws_connections.get(key, 0) + 1
        self.ws_open.inc(source=key)

    def ws_closed(self, source: str | None) -> None:
        key = source or "default"
        self.ws_connections[key] = max(0, self.ws_connections.get(key, 0) - 1)

    def exchange_error(self, exchange: str, *, rate_limited: bool) -> None:
        self.exchange_errors.inc(exchange=exchange)
        if rate_limited:
            self.exchange_429.inc(exchange=exchange)

    def render(self) -> str:
        parts: list[Counter | Summary | Gauge] = [
            self.events_published, self.events_delivered, self.events_received, self.events_dropped,
            self.broker_lag, self.job_runs, self.job_failures, self.exchange_errors, self.exchange_429,
            self.ws_open, *self._gauges.values()]
        lines: list[str] = []
        for part in parts:
            lines.extend(part.lines())
        return "\n".join(lines) + "\n"


METRICS = Metrics()  # one per process
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class CountedLink:
    """An exchange WebSocket connection (`async with`), counted per source address while open."""

    def __init__(self, opener: Any, source: str | None) -> None:
        self.opener, self.source = opener, source

    async def __aenter__(self) -> Any:
        ws = await self.opener.__aenter__()
        METRICS.ws_opened(self.source)
        return ws

    async def __aexit__(self, *exc: object) -> Any:
        METRICS.ws_closed(self.source)
        return await self.opener.__aexit__(*exc)
