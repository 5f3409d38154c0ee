"""Reading a ledger newest-first, page by page back in time, as exchanges serve it: each page
ends where the previous one's oldest entry was (inclusive, so entries sharing that millisecond
are not lost), and what the overlap repeats is dropped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from perpdesk.core.ledger import Transaction


async def paged_back(
    fetch: Callable[[int | None], Awaitable[list[Transaction]]],
    page_size: int,
    end_ms: int | None,
    max_pages: int,
) -> list[Transaction]:
    """`fetch(end_ms)` gives one page ending at `end_ms`; at most `max_pages` pages, newest first."""
    out: list[Transaction] = []
    end = end_ms
    for _ in range(max_pages):
        page = await fetch(end)
        out.extend(page)
        if len(page) < page_size:
            break
        end = min(t.time_ms for t in page)
    unique = {(t.tran_id, t.flow, t.time_ms, t.amount): t for t in out}
    return sorted(unique.values(), key=lambda t: -t.time_ms)
