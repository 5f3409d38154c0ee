"""Jobs enqueued by events: a name, a payload (bytes: ids and small JSON, never a secret) and a
key. One job per key waits at a time (enqueueing the same key again is a no-op until it ran), so a
handler may be kicked from several places at once; handlers are idempotent (they read the state
they act on) since a job may run again after its process died mid-run.

A failing job is retried after `Retry.delay(attempt)` (doubling, capped) up to `max_attempts`;
each run and each failure is counted in /metrics (perpdesk_job_runs_total /
perpdesk_job_failures_total{job=name}).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from perpdesk.metrics import METRICS

log = logging.getLogger(__name__)
Handler = Callable[[bytes], Awaitable[None]]
MAX_PAYLOAD = 8192  # bytes: ids and small JSON; a job never carries a document


@dataclass(frozen=True)
class Retry:
    max_attempts: int = 5
    base_s: float = 1.0
    max_s: float = 300.0

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1, 2, ...)."""
        return min(self.max_s, self.base_s * 2 ** max(attempt - 1, 0))


class JobQueue(Protocol):
    def register(self, name: str, handler: Handler, retry: Retry = Retry()) -> None:
        """Before start(): what runs job `name`."""

    async def enqueue(self, name: str, payload: bytes = b"", *, key: str | None = None) -> bool:
        """Queue a job; False when a job with this key is already waiting (nothing added)."""

    def start(self) -> None:
        """Run the registered jobs in this process (a worker; a web process only enqueues)."""

    async def aclose(self) -> None: ...


def check_payload(name: str, payload: bytes) -> None:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"job {name}: payload of {len(payload)} bytes (at most {MAX_PAYLOAD})")


async def run_counted(name: str, handler: Handler, payload: bytes) -> None:
    """One attempt, counted; the exception (if any) goes on to the engine's retry."""
    METRICS.job_runs.inc(job=name)
    try:
        await handler(payload)
    except asyncio.CancelledError:
        raise
    except Exception:
        METRICS.job_failures.inc(job=name)
        raise


class InProcessQueue:
    """One process (`perpdesk serve`): jobs run as tasks of this event loop, retried in place.
    Waiting jobs are lost when the process stops, as the passes that would redo them restart."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Handler, Retry]] = {}
        self._waiting: set[str] = set()  # keys queued and not yet started
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, name: str, handler: Handler, retry: Retry = Retry()) -> None:
        self._handlers[name] = (handler, retry)

    async def enqueue(self, name: str, payload: bytes = b"", *, key: str | None = None) -> bool:
        check_payload(name, payload)
        if name not in self._handlers:
            raise KeyError(f"no job named {name}")
        if key is not None:
            if key in self._waiting:
                return False
            self._waiting.add(key)
        task = asyncio.create_task(self._run(name, payload, key), name=f"job-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, name: str, payload: bytes, key: str | None) -> None:
        handler, retry = self._handlers[name]
        await asyncio.sleep(0)  # after the enqueuer's transaction, like a job another process runs
        if key is not None:
            self._waiting.discard(key)  # running: the same key may be queued again for later
        for attempt in range(1, retry.max_attempts + 1):
            try:
                await run_counted(name, handler, payload)
                return
            except Exception as exc:
                if attempt >= retry.max_attempts:
                    log.exception("job %s failed %d times: given up", name, attempt)
                    return
                log.warning("job %s failed (attempt %d; next in %.1f s): %s", name, attempt,
                            retry.delay(attempt), type(exc).__name__)
                await asyncio.sleep(retry.delay(attempt))

    def start(self) -> None:
        pass  # jobs run as they are enqueued

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
