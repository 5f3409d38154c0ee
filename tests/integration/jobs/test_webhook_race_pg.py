"""Two workers on one PostgreSQL, each with its job runner and its gated webhook pass (polling
fast, so the passes race the jobs): every notification's webhook is POSTed exactly once."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from perpdesk.jobs.pg_queue import PgJobQueue
from perpdesk.jobs.singleton import PgPassLeases
from perpdesk.services import notifications
from perpdesk.services.webhooks import DELIVER_JOB, Backoff, WebhookSender
from perpdesk.store.db import make_engine, make_sessionmaker, migrate
from perpdesk.store.repos import UserRepo
from tests.fixtures.db import PG_ENV, create_pg_database, drop_pg_database
from tests.fixtures.services import accounts_deps
from tests.integration.notifications.receiver import Receiver

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (scripts/pg.sh)")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    admin = os.environ[PG_ENV]
    url = await create_pg_database(admin)
    await migrate(url)
    try:
        yield url
    finally:
        await drop_pg_database(admin, url)


@pytest.fixture
def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    try:
        yield r  # type: ignore[misc]
    finally:
        r.close()


async def test_each_webhook_is_posted_once_when_two_workers_race(pg_url: str, receiver: Receiver) -> None:
    engines = [make_engine(pg_url), make_engine(pg_url)]
    first = accounts_deps(make_sessionmaker(engines[0]), connector=None,  # type: ignore[arg-type]
                          webhook_allow_private=True)
    workers = [first, dataclasses.replace(first, sessions=make_sessionmaker(engines[1]))]
    queues = [PgJobQueue(pg_url), PgJobQueue(pg_url)]
    leases = [PgPassLeases(e) for e in engines]
    senders = [WebhookSender(deps, Backoff(0.05, 3), poll_s=0.05) for deps in workers]
    for queue, sender, lease in zip(queues, senders, leases, strict=True):
        queue.register(DELIVER_JOB, sender.deliver)
        sender.gate = lease
    producer = queues[0]

    async def queued(delivery_id: str) -> None:
        await producer.enqueue(DELIVER_JOB, delivery_id.encode(), key=delivery_id)
    workers[0].on_webhook_queued = queued
    try:
        async with workers[0].sessions() as s, s.begin():
            user_id = (await UserRepo(s).create(f"race-{time.time_ns()}@example.com", "x")).id
        await notifications.save_prefs(workers[0], user_id, liquidation_pct=None, webhook_url=receiver.url)
        for queue, sender in zip(queues, senders, strict=True):
            queue.start()
            sender.start()
        count = 40
        for i in range(count):
            await notifications.notify(workers[0], user_id, "fill", f"fill {i}", "", f"fill:race:{i}")

        async def undelivered() -> int:
            async with engines[0].connect() as conn:
                return int(await conn.scalar(text(
                    "SELECT count(*) FROM webhook_deliveries WHERE NOT delivered")) or 0)
        deadline = time.monotonic() + 60
        while await undelivered():
            assert time.monotonic() < deadline, "webhooks not delivered"
            await asyncio.sleep(0.05)
        ids = [headers["x-perpdesk-delivery"] for headers, _ in receiver.requests]
        assert len(ids) == len(set(ids)) == count  # each once: jobs and passes never both POST one
    finally:
        for sender in senders:
            await sender.stop()
        for queue in queues:
            await queue.aclose()
        for lease in leases:
            await lease.aclose()
        for engine in engines:
            await engine.dispose()
