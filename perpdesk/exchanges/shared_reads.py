"""Public market reads shared by every user of a connector for a moment: every user's pages come
from the platform's few egress addresses, and the exchange limits public requests per address,
so ten traders opening the same symbol should cost one request, not ten. Callers asking while a
read is in flight wait for that read. Failures are not kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 5000  # bounds the memory; past it the reads start over


class SharedReads:
    def __init__(self) -> None:
        self._reads: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}
        self.requests = 0  # reads that went to the exchange (the rest were shared)

    async def get(self, key: Hashable, ttl_s: float, fetch: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        kept = self._reads.get(key)
        if kept is not None and (not kept[1].done() or now < kept[0]):
            return await asyncio.shield(kept[1])
        if len(self._reads) >= MAX_ENTRIES:
            self._reads = {k: v for k, v in self._reads.items() if not v[1].done()}
        task: asyncio.Future[T] = asyncio.ensure_future(fetch())
        task.add_done_callback(_seen)  # its callers may all have gone: not an unretrieved error
        self._reads[key] = (now + ttl_s, task)
        self.requests += 1
        try:
            return await asyncio.shield(task)
        except BaseException:
            if self._reads.get(key, (0.0, None))[1] is task:
                del self._reads[key]
            raise


def _seen(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
