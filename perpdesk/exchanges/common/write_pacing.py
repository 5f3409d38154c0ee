"""Pacing an API key's writes across processes: before a signed write leaves, the connector takes
a slot in the key's shared window (store/rate_windows.py: PgWritePacer, one window per key and
endpoint group in PostgreSQL), so orders, cancels and changes sent to any web process or worker
stay within the key's limit together. One process alone needs none: its own limiter sees all.
"""

from __future__ import annotations

import hashlib
from typing import Protocol


class WritePacer(Protocol):
    async def take(self, bucket: str, limit: int, window_s: float, amount: int = 1) -> float:
        """Wait until `amount` more fit in the bucket's moving window, take them; the seconds waited."""
        ...


def bucket_of(exchange: str, api_key: str, group: str) -> str:
    """A bucket's name: the API key as a digest (the database never holds the key itself)."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:32]
    return f"write:{exchange}:{digest}:{group}"
