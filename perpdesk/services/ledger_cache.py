"""Reads of an account's exchange history (transactions, fills), kept so that reloads of the
dashboard and the fills page do not spend the key's rate limit (6 requests per 2 s) that orders
need.

With a fresh live mirror a read is kept until the mirror's ledger version changes (a fill, a
balance push such as funding, a reconnection): a reload of an idle account asks the exchange
nothing. A read within SETTLE_S of such a change may miss rows the exchange books late, so it is
kept TTL_S only, as is every read without a mirror. A narrower range is cut from a wider read.
Served only for an account opened for its owner (the database's ownership check), so history
reaches its owner only.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from perpdesk.core.models import Credentials
from perpdesk.services.trading import AccountRef

if TYPE_CHECKING:
    from perpdesk.live.query import LiveQuery

TTL_S = 10.0
SETTLE_S = 5.0
MAX_ACCOUNTS = 1000  # bounds the memory; past it the cache starts over


class Span(Protocol):
    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...


class Timed(Protocol):
    @property
    def time_ms(self) -> int: ...


@dataclass(frozen=True)
class _Read:
    what: str  # the kind of history and its filter, e.g. "transactions" or "fills:BTCUSDT"
    start_ms: int
    end_ms: int
    rows: list[Any]
    expires: float  # monotonic seconds (reads without a live mirror, or soon after a change)
    version: str  # the mirror's ledger version when read; "" without one
    settled: bool  # read long enough after the version's change to keep until the next

    def serves(self, what: str, span: Span, version: str, now: float) -> bool:
        if self.what != what or not (self.start_ms <= span.start_ms and span.end_ms <= self.end_ms):
            return False
        return self.version == version and ((bool(version) and self.settled) or self.expires > now)


_reads: dict[str, list[_Read]] = {}  # account id -> its recent reads (a few kinds and ranges)

Fetch = Callable[[AccountRef, Credentials], Awaitable[list[Any]]]


async def read(
    account: tuple[AccountRef, Credentials], what: str, span: Span, fetch: Fetch,
    live: LiveQuery | None = None,
) -> list[Any]:
    """`fetch`'s rows for `span` (objects with `time_ms`), from a kept read when it is current.
    `account`: the user's own account, opened (account_batch.opened_accounts)."""
    ref, creds = account
    account_id = ref.id
    view = live.fresh(ref.user_id, account_id) if live is not None else None
    version = view.ledger_version if view is not None else ""  # taken before a read: conservative
    settled = view is not None and time.time() * 1000 - view.ledger_changed_ms > SETTLE_S * 1000
    now = time.monotonic()
    hit = next((r for r in _reads.get(account_id, []) if r.serves(what, span, version, now)), None)
    if hit is not None:
        return [t for t in hit.rows if span.start_ms <= t.time_ms <= span.end_ms]
    rows = await fetch(ref, creds)
    if len(_reads) > MAX_ACCOUNTS:
        _reads.clear()
    new = _Read(what, span.start_ms, span.end_ms, rows, now + TTL_S, version, settled)
    kept = [r for r in _reads.get(account_id, []) if r.version == version and not _same(r, new)]
    _reads[account_id] = [*kept[-5:], new]
    return rows


def _same(a: _Read, b: _Read) -> bool:
    return (a.what, a.start_ms, a.end_ms) == (b.what, b.start_ms, b.end_ms)


def forget() -> None:
    """Drop every kept read (tests: make the next read ask the exchange)."""
    _reads.clear()
