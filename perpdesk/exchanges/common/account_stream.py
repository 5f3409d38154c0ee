"""What every exchange's private (account) stream does the same way: credentials opened afresh for
each (re)connection, the REST snapshot every session starts with (anything that changed while the
socket was down is in it), the 'disconnected' event, and a pushed message read as a JSON object."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

import orjson

from perpdesk.core.errors import ExchangeUnavailable, RateLimited
from perpdesk.core.models import Balance, Credentials, Order, Position, StreamEvent
from perpdesk.exchanges.base import CredentialsOpener


class SnapshotReads(Protocol):
    async def balances(self, creds: Credentials) -> list[Balance]: ...
    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Position]: ...
    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Order]: ...


async def open_creds(source: Credentials | CredentialsOpener) -> Credentials:
    return source if isinstance(source, Credentials) else await source()


async def resync(conn: SnapshotReads, creds: Credentials, symbols: set[str]) -> StreamEvent:
    """The 'resync' event: balances, positions and open orders (of `symbols`, when given)."""
    try:
        balances, positions, orders = await asyncio.gather(
            conn.balances(creds), conn.positions(creds), conn.open_orders(creds)
        )
    except (ExchangeUnavailable, RateLimited) as exc:  # passing trouble: reconnect and retry
        raise ExchangeUnavailable(f"resync after reconnect failed: {exc.message}") from exc
    if symbols:
        positions = [p for p in positions if p.symbol in symbols]
        orders = [o for o in orders if o.symbol in symbols]
    return StreamEvent("resync", {"balances": balances, "positions": positions, "open_orders": orders})


def disconnected(reason: str) -> StreamEvent:
    return StreamEvent("disconnected", {"reason": reason, "at_ms": int(time.time() * 1000)})


def loads_object(raw: str | bytes) -> dict[str, Any]:
    """A pushed message as a dict; {} for anything else (not JSON, or not an object)."""
    try:
        msg = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return msg if isinstance(msg, dict) else {}
