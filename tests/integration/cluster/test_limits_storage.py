"""The PostgreSQL moving-window storage (store/rate_windows.py) as two processes use it: two engines
(each its own connection pool, as two processes have) acquiring one key at once never exceed the
limit, a refund frees a slot, the window reports when it frees, and expired rows are pruned in
bounded batches. The throttles on it hold across both engines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from perpdesk.core.errors import RateLimited
from perpdesk.services.users.throttle import Limits, TooManyAttempts, limits_for
from perpdesk.store import rate_windows
from perpdesk.store.db import make_engine
from perpdesk.store.rate_windows import PgMovingWindowStorage, PgWritePacer


@pytest.fixture
async def engines(pg_module_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    one, two = make_engine(pg_module_url), make_engine(pg_module_url)
    try:
        yield one, two
    finally:
        await one.dispose()
        await two.dispose()


async def test_two_engines_acquiring_one_key_at_once_never_exceed_the_limit(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    stores = [PgMovingWindowStorage(e) for e in engines]
    key = f"k-{time.time_ns()}"
    granted = await asyncio.gather(*(stores[i % 2].acquire_entry(key, 10, 60) for i in range(40)))
    assert sum(granted) == 10
    start, count = await stores[1].get_moving_window(key, 10, 60)
    assert count == 10 and start <= time.time() + 1
    await stores[0].refund(key)
    assert await stores[1].acquire_entry(key, 10, 60)  # the refunded slot is free again
    assert not await stores[0].acquire_entry(key, 10, 60)
    await stores[1].clear(key)
    assert (await stores[0].get_moving_window(key, 10, 60))[1] == 0


async def test_entries_leave_the_window_when_they_expire_and_are_pruned_in_batches(
    engines: tuple[AsyncEngine, AsyncEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PgMovingWindowStorage(engines[0])
    key = f"short-{time.time_ns()}"
    assert await store.acquire_entry(key, 1, 1)
    assert not await store.acquire_entry(key, 1, 1)
    deadline = time.monotonic() + 10
    while not await store.acquire_entry(key, 1, 1):  # a 1 s window frees on the database's clock
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    stale = [f"gone-{time.time_ns()}-{i}" for i in range(5)]
    for k in stale:
        assert await store.acquire_entry(k, 1, 1)
    monkeypatch.setattr(rate_windows, "PRUNE_BATCH", 2)
    await asyncio.sleep(1.1)

    async def left() -> int:
        async with engines[0].connect() as conn:
            found = await conn.execute(
                text("SELECT count(*) FROM rate_window_entries WHERE key = ANY(:keys)"), {"keys": stale}
            )
            return int(found.scalar_one())

    assert await store.prune() <= 2  # bounded: one batch per call
    while await store.prune():
        pass
    assert await left() == 0


async def test_throttles_on_postgresql_hold_across_two_processes(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    one, two = (limits_for(1.0, e, shared=True) for e in engines)
    assert isinstance(one.storage, PgMovingWindowStorage)
    email = f"a{time.time_ns()}@x.io"
    rule = ("signin_account_client", email, "10.0.0.1")

    async def guess(limits: Limits) -> bool:
        try:
            async with limits.attempt("failed sign-in attempts", rule):
                await asyncio.sleep(0.01)
        except TooManyAttempts:
            return False
        return True

    allowed = await asyncio.gather(*(guess(one if i % 2 else two) for i in range(20)))
    assert sum(allowed) == 5  # 5 a minute, however the guesses are spread
    apart = [limits_for(1.0, e, shared=False) for e in engines]  # in memory: each its own count
    email_apart = ("signin_account_client", f"c{time.time_ns()}@x.io", "10.0.0.1")
    counted = 0
    for i in range(20):
        try:
            async with apart[i % 2].attempt("failed sign-in attempts", email_apart):
                counted += 1
        except TooManyAttempts:
            pass
    assert counted == 10  # what the shared storage prevents: 5 on each process
    with pytest.raises(TooManyAttempts) as refused:
        await guess_raising(two, rule)
    assert 1 <= refused.value.retry_after <= 60


async def guess_raising(limits: Limits, rule: tuple[str, ...]) -> None:
    async with limits.attempt("failed sign-in attempts", rule):
        pass


async def test_a_passed_attempt_is_refunded_and_one_process_stays_in_memory(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    shared = limits_for(1.0, engines[0], shared=True)
    rule = ("signin_account_client", f"b{time.time_ns()}@x.io", "10.0.0.2")
    for _ in range(10):  # successes never count
        async with shared.attempt("failed sign-in attempts", rule) as attempt:
            attempt.succeeded()
    for _ in range(5):
        await guess_raising(shared, rule)  # five failures
    with pytest.raises(TooManyAttempts):
        await guess_raising(shared, rule)
    assert not isinstance(limits_for(1.0, engines[0], shared=False).storage, PgMovingWindowStorage)


async def test_a_write_that_would_wait_past_the_bound_is_refused_before_it_leaves(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    pacer = PgWritePacer(PgMovingWindowStorage(engines[0]), max_wait_s=5)
    bucket = f"write:test:{time.time_ns()}:minute"
    assert await pacer.take(bucket, 1, 60) == 0
    with pytest.raises(RateLimited) as refused:
        await pacer.take(bucket, 1, 60)  # the slot frees in ~60 s: past the 5 s bound
    assert refused.value.retry_after is not None and 55 < refused.value.retry_after <= 60
    short = f"write:test:{time.time_ns()}:second"
    assert await pacer.take(short, 1, 0.3) == 0
    waited = await pacer.take(short, 1, 0.3)  # waits on the database's clock, then takes it
    assert 0.1 < waited < 5
