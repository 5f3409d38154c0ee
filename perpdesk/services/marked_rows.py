"""Account rows a background pass reads every few seconds, read again only when they changed.

One row (`AccountRepo.marker`: how many, the latest edit, the latest connection) says whether the
accounts changed; the rows themselves are read when it moved, after `forget()` (a kick) or every
`full_read_s` (a backstop for a write that changes an account without `updated_at`: every check,
key, label, status and venue change sets it, and a join or leave moves the count)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from perpdesk.services.ports import UnitOfWork

T = TypeVar("T")


class MarkedRows(Generic[T]):
    def __init__(self, read: Callable[[UnitOfWork], Awaitable[T]], *, status: str | None = None,
                 full_read_s: float = 300.0) -> None:
        self.read, self.status, self.full_read_s = read, status, full_read_s
        self._marker: tuple[object, ...] = ()
        self._rows: T | None = None
        self._until = 0.0

    async def of(self, uow: UnitOfWork) -> T:
        marker = await uow.accounts.marker(status=self.status)
        if self._rows is None or marker != self._marker or time.monotonic() >= self._until:
            self._rows = await self.read(uow)
            self._marker, self._until = marker, time.monotonic() + self.full_read_s
        return self._rows

    def forget(self) -> None:
        self._rows = None
