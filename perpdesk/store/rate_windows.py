"""Moving rate windows in PostgreSQL: a storage for the `limits` library (its aio `Storage` with
`MovingWindowSupport`) that every process of a cluster shares, so a throttle holds however the
attempts are spread over web processes; and the write pacer built on it (`PgWritePacer`).

One row per acquisition (`amount` entries at `at`, the database's clock, in epoch seconds). An
acquisition is one call of the migration's `perpdesk_rate_acquire` (one round trip): it takes a
transaction-scoped advisory lock on its key, drops the key's expired rows, counts the window and
inserts, so two processes acquiring one key at once queue on the lock and a window never holds
more than its limit. Keys never acquired again are swept in bounded batches (`prune`, at most
once a minute per process).
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from limits.aio.storage import MovingWindowSupport, Storage
from sqlalchemy import Float, Integer, String, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from perpdesk.core.errors import RateLimited
from perpdesk.store.base import Base

KEY_MAX = 255
PRUNE_EVERY_S = 60.0
PRUNE_BATCH = 1000


class RateWindowEntry(Base):
    __tablename__ = "rate_window_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), nullable=False, index=True)
    at: Mapped[float] = mapped_column(Float(precision=53), nullable=False)  # epoch seconds, db clock
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[float] = mapped_column(Float(precision=53), nullable=False, index=True)


# the database's clock: one clock for every process, whatever machine it runs on
_WINDOW = text(
    "SELECT min(at), coalesce(sum(amount), 0), extract(epoch from clock_timestamp())::float8 "
    "FROM rate_window_entries "
    "WHERE key = :key AND at > extract(epoch from clock_timestamp())::float8 - CAST(:expiry AS float8)"
)
_ACQUIRE = text(
    "SELECT perpdesk_rate_acquire(:key, CAST(:limit AS integer), CAST(:expiry AS float8), "
    "CAST(:amount AS integer))"
)
_REFUND = text(
    "DELETE FROM rate_window_entries WHERE id = "
    "(SELECT id FROM rate_window_entries WHERE key = :key ORDER BY at DESC, id DESC LIMIT 1 "
    "FOR UPDATE SKIP LOCKED)"
)
_CLEAR = text("DELETE FROM rate_window_entries WHERE key = :key")
_PRUNE = text(
    "DELETE FROM rate_window_entries WHERE id IN (SELECT id FROM rate_window_entries "
    "WHERE expires_at <= extract(epoch from clock_timestamp())::float8 LIMIT :batch)"
)


def _bounded(key: str) -> str:
    # `limits` builds keys from the rule and its identifiers (emails, addresses): bound the column
    if len(key) <= KEY_MAX:
        return key
    return key[: KEY_MAX - 65] + "#" + hashlib.sha256(key.encode()).hexdigest()


class PgMovingWindowStorage(Storage, MovingWindowSupport):
    """The moving-window strategy's storage on the platform's PostgreSQL engine (the fixed-window
    calls are not served: the platform uses moving windows only)."""

    STORAGE_SCHEME = ["perpdesk+postgresql"]  # noqa: RUF012  (the library declares it so)

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(wrap_exceptions=True)
        self.engine = engine
        self._pruned_at = time.monotonic()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    async def _window(self, conn: AsyncConnection, key: str, expiry: int) -> tuple[float, int]:
        row = (await conn.execute(_WINDOW, {"key": key, "expiry": expiry})).one()
        oldest, count, now = row
        return (float(oldest) if oldest is not None else float(now)), int(count)

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        return await self.acquire_or_wait(key, limit, expiry, amount) == 0

    async def acquire_or_wait(self, key: str, limit: int, expiry: float, amount: int = 1) -> float:
        """Take `amount` entries and return 0, or return the seconds until they would fit (the
        database's clock): one round trip (the migration's perpdesk_rate_acquire)."""
        if amount > limit:
            raise ValueError(f"{amount} entries never fit a window of {limit}")
        async with self.engine.begin() as conn:
            found = await conn.execute(
                _ACQUIRE, {"key": _bounded(key), "limit": limit, "expiry": expiry, "amount": amount}
            )
            wait = float(found.scalar_one())
        if wait == 0:
            await self._maybe_prune()
        return wait

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        async with self.engine.connect() as conn:
            return await self._window(conn, _bounded(key), expiry)

    async def refund(self, key: str) -> None:
        """Take back the key's latest acquisition (an attempt that turned out not to count)."""
        async with self.engine.begin() as conn:
            await conn.execute(_REFUND, {"key": _bounded(key)})

    async def clear(self, key: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_CLEAR, {"key": _bounded(key)})

    async def reset(self) -> int | None:
        async with self.engine.begin() as conn:
            result = await conn.execute(text("DELETE FROM rate_window_entries"))
        return int(result.rowcount or 0)

    async def check(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    async def prune(self) -> int:
        """Delete up to PRUNE_BATCH expired rows (of keys no longer acquired); the number deleted."""
        self._pruned_at = time.monotonic()
        async with self.engine.begin() as conn:
            result = await conn.execute(_PRUNE, {"batch": PRUNE_BATCH})
        return int(result.rowcount or 0)

    async def _maybe_prune(self) -> None:
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
            await self.prune()

    # --- the fixed-window strategy's calls: not used by the platform -------------------------

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("PgMovingWindowStorage serves the moving-window strategy only")

    async def get(self, key: str) -> int:
        raise NotImplementedError("PgMovingWindowStorage serves the moving-window strategy only")

    async def get_expiry(self, key: str) -> float:
        raise NotImplementedError("PgMovingWindowStorage serves the moving-window strategy only")


class PgWritePacer:
    """Writes of one API key paced across every process (exchanges/common/write_pacing.py)."""

    def __init__(self, storage: PgMovingWindowStorage, max_wait_s: float = 120.0) -> None:
        self.storage = storage
        self.max_wait_s = max_wait_s  # a window longer than this is a misconfiguration, not a wait
        self.waited_s = 0.0

    async def take(self, bucket: str, limit: int, window_s: float, amount: int = 1) -> float:
        waited = 0.0
        while True:
            wait = await self.storage.acquire_or_wait(bucket, max(1, limit), window_s, amount)
            if wait <= 0:
                self.waited_s += waited
                return waited
            if waited + wait > self.max_wait_s:  # refused before it left: nothing was sent
                raise RateLimited(f"This API key's writes would wait {waited + wait:.0f} s for their "
                                  "rate limit (shared by every process).", retry_after=wait)
            await asyncio.sleep(wait)
            waited += wait
