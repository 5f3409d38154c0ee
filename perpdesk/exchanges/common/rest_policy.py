"""The retry policy every exchange's REST envelope applies the same way, and what a signed write
records so that an unanswered one can be settled.

A request that never left is sent again (it cannot have acted), and so is a read after a lost
answer or a server fault, up to the envelope's `read_retries`; a write that may have reached the
exchange is never sent twice here: it becomes MaybeApplied, carrying the moment after which the
exchange can no longer act on it, and the caller settles it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from perpdesk.core.errors import ExchangeUnavailable, MaybeApplied
from perpdesk.http import TransportError


@dataclass(slots=True)
class Sent:
    """What a signed call sent: its timestamp (exchange time, ms), the window the exchange gives
    it, and when, on our wall clock, the exchange can no longer act on it. Filled in each time the
    request leaves."""

    timestamp_ms: int | None = None
    window_ms: int = 0
    decided_after_ms: int | None = None


def maybe_applied(
    message: str, sent: Sent | None, exchange_code: int | str | None = None, http_status: int | None = None
) -> MaybeApplied:
    error = MaybeApplied(message, exchange_code=exchange_code, http_status=http_status)
    if sent is not None:
        error.decided_after_ms = sent.decided_after_ms
    return error


async def after_lost_answer(
    exc: TransportError,
    path: str,
    who: str,
    *,
    retry_safe: bool,
    retries: int,
    max_retries: int,
    sent: Sent | None,
) -> int:
    """In `except TransportError`: the retries so far, plus this one after a short pause, when the
    request may go again; else raises MaybeApplied (a write that may have arrived) or
    ExchangeUnavailable. `who` names the exchange mid-sentence ("the exchange", "Binance")."""
    if (retry_safe or not exc.maybe_sent) and retries < max_retries:
        await asyncio.sleep(0.05 * (retries + 1))
        return retries + 1
    if exc.maybe_sent and not retry_safe:
        raise maybe_applied(f"No answer from {who} for {path}: {exc}", sent) from exc
    raise ExchangeUnavailable(f"{who[:1].upper()}{who[1:]} did not answer {path}: {exc}") from exc


async def after_unavailable(
    exc: ExchangeUnavailable,
    *,
    may_have_acted: bool,
    retry_safe: bool,
    retries: int,
    max_retries: int,
    sent: Sent | None,
) -> int:
    """In `except ExchangeUnavailable` (the exchange answered that it failed): a read is retried
    as after a lost answer; a write is raised, as MaybeApplied when the exchange says it
    `may_have_acted` (a server fault after the write reached it)."""
    if not retry_safe:
        if may_have_acted:
            raise maybe_applied(exc.message, sent, exc.exchange_code, exc.http_status) from exc
        raise exc
    if retries >= max_retries:
        raise exc
    await asyncio.sleep(0.1 * (retries + 1))
    return retries + 1


def float_or_none(value: str | None) -> float | None:
    """A header's number (Retry-After and the like), or None when absent or not a number."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
