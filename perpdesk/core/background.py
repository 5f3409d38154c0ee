"""A background loop that runs one pass every interval, started and stopped in the web app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Hashable
from typing import Protocol

from perpdesk.metrics import METRICS

log = logging.getLogger(__name__)
MAX_PAUSE_S = 300.0


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has ended."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class PassGate(Protocol):
    """Whether this process runs a pass now (perpdesk/jobs/singleton.py: one process at a time)."""

    async def mine(self, name: str) -> bool: ...


class PeriodicTask:
    """Subclasses give `name`, `run_pass()` and `interval_s()`. A failing pass is logged and the
    loop goes on after a growing pause (the next pass may well succeed); `wake()` runs the next
    pass now. Passes isolate their items themselves: one failing item never fails a pass."""

    name = "perpdesk-periodic"
    gate: PassGate | None = None  # None: every process that starts it runs it (one process, SQLite)

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def run_pass(self) -> object:
        raise NotImplementedError

    def interval_s(self) -> float:
        raise NotImplementedError

    def first_pause_s(self) -> float:
        """The wait before the first pass (0: at once)."""
        return 0.0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None

    failures = 0  # passes failed in a row

    def pause_s(self) -> float:
        """The wait before the next pass: the interval, doubled for each pass failed in a row (up
        to MAX_PAUSE_S), so a pass that keeps failing is retried, and logged, once per step."""
        base = self.interval_s()
        if not self.failures:
            return base
        return max(base, min(MAX_PAUSE_S, base * 2 ** self.failures))

    _gate_down = False  # the gate failed last time (logged once per outage)

    async def _ours(self) -> bool:
        if self.gate is None:
            return True
        try:
            mine = await self.gate.mine(self.name)
        except Exception as exc:  # the database is away: no pass here until it is back
            if not self._gate_down:
                log.warning("%s: cannot tell whether this process runs it (%s): no pass until the "
                            "database answers", self.name, type(exc).__name__)
            self._gate_down = True
            return False
        self._gate_down = False
        return mine

    async def _loop(self) -> None:
        first = self.first_pause_s()
        if first > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=first)
            self._wake.clear()
        while True:
            if not await self._ours():  # another process runs it; take over when it stops
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s())
                self._wake.clear()
                continue
            try:
                METRICS.job_runs.inc(job=self.name)
                await self.run_pass()
                self.failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                METRICS.job_failures.inc(job=self.name)
                self.failures += 1
                log.exception("%s: pass failed (%d in a row; next in %.0f s)", self.name, self.failures,
                              self.pause_s())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.pause_s())
            self._wake.clear()


class ItemBackoff:
    """The items of a background pass (accounts, deliveries) that failed, each left alone for
    `base_s` doubled per failure in a row (up to `max_s`): a poisoned item is retried, and logged,
    once per step, and the pass goes on with everyone else's."""

    def __init__(self, what: str, base_s: float, max_s: float = MAX_PAUSE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.what, self.base_s, self.max_s, self.clock = what, base_s, max_s, clock
        self._failed: dict[Hashable, tuple[int, float]] = {}  # key -> (failures in a row, retry at)

    def due(self, key: Hashable) -> bool:
        failed = self._failed.get(key)
        return failed is None or self.clock() >= failed[1]

    def failures(self, key: Hashable) -> int:
        return self._failed.get(key, (0, 0.0))[0]

    def failed(self, key: Hashable, exc: BaseException) -> None:
        """Record and log the failure; the traceback only the first time in a row."""
        count = self.failures(key) + 1
        wait = min(self.max_s, self.base_s * 2 ** (count - 1))
        self._failed[key] = (count, self.clock() + wait)
        log.warning("%s %s failed (%d in a row; next try in %.0f s): %s", self.what, key, count, wait,
                    type(exc).__name__, exc_info=exc if count == 1 else None)

    def succeeded(self, key: Hashable) -> None:
        self._failed.pop(key, None)
