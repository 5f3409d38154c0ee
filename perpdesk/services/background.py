"""A background loop that runs one pass every interval, started and stopped in the web app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)
MAX_PAUSE_S = 300.0


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has ended."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class PeriodicTask:
    """Subclasses give `name`, `run_pass()` and `interval_s()`. A failing pass is logged and the
    loop goes on after a growing pause (the next pass may well succeed); `wake()` runs the next
    pass now. Passes isolate their items themselves: one failing item never fails a pass."""

    name = "perpdesk-periodic"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def run_pass(self) -> object:
        raise NotImplementedError

    def interval_s(self) -> float:
        raise NotImplementedError

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

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_pass()
                self.failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                log.exception("%s: pass failed (%d in a row; next in %.0f s)", self.name, self.failures,
                              self.pause_s())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.pause_s())
            self._wake.clear()
