"""Processes that open exchange WebSockets from one source address share its cap, counted
through PostgreSQL: a second process halves each one's share, a dead one (its connection gone)
gives it back, and addresses used by one process only keep the whole cap."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from perpdesk.exchanges.common.egress import EgressFull, SourceAddresses
from perpdesk.live.egress_share import PgEgressShare
from tests.fixtures.db import PG_ENV

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (scripts/pg.sh)")


async def test_processes_on_one_address_share_its_cap(pg_url: str) -> None:
    engines = [create_async_engine(pg_url) for _ in range(2)]  # one per "process"
    first_pool = SourceAddresses(["127.0.0.2", "127.0.0.3"], per_address_max=4)
    second_pool = SourceAddresses(["127.0.0.2"], per_address_max=4)
    first, second = PgEgressShare(engines[0], first_pool), PgEgressShare(engines[1], second_pool)
    try:
        assert await first.refresh() == {"127.0.0.2": 1, "127.0.0.3": 1}
        assert await second.refresh() == {"127.0.0.2": 2}
        assert await first.refresh() == {"127.0.0.2": 2, "127.0.0.3": 1}
        assert (first_pool.cap("127.0.0.2"), first_pool.cap("127.0.0.3")) == (2, 4)
        assert second_pool.cap("127.0.0.2") == 2
        # the first fills the address with the most room first: .3 to 4, then .2 to its share of 2
        taken = [first_pool.take() for _ in range(6)]
        assert taken.count("127.0.0.2") == 2 and taken.count("127.0.0.3") == 4
        with pytest.raises(EgressFull) as full:
            first_pool.take()
        assert "127.0.0.2 (2 of 2)" in str(full.value)
        assert [second_pool.take(), second_pool.take()] == ["127.0.0.2", "127.0.0.2"]
        with pytest.raises(EgressFull):
            second_pool.take()  # 2 + 2 = the address's 4, over both processes

        await second.aclose()  # the second process stops (or dies: its connection ends)
        assert await first.refresh() == {"127.0.0.2": 1, "127.0.0.3": 1}
        assert first_pool.take() == "127.0.0.2"  # its share is the whole cap again
    finally:
        await first.aclose()
        await second.aclose()
        for engine in engines:
            await engine.dispose()


async def test_a_lost_connection_holds_the_locks_again(pg_url: str) -> None:
    engine = create_async_engine(pg_url)
    pool = SourceAddresses(["127.0.0.2"], per_address_max=10)
    share = PgEgressShare(engine, pool)
    other = PgEgressShare(create_async_engine(pg_url), SourceAddresses(["127.0.0.2"], 10))
    try:
        await share.refresh()
        assert await other.refresh() == {"127.0.0.2": 2}
        async with engine.connect() as killer:  # the connection breaks under it (waits for its end)
            assert await killer.scalar(text("SELECT pg_terminate_backend(:p, 10000)"),
                                       {"p": share.dedicated.backend_pid})
        assert await other.refresh() == {"127.0.0.2": 1}
        assert await share.refresh() == {"127.0.0.2": 2}  # it notices, reconnects and joins again
        assert share.dedicated.losses == 1
        assert pool.cap("127.0.0.2") == 5
    finally:
        await share.aclose()
        await other.aclose()
        await engine.dispose()
        await other.engine.dispose()


async def test_cluster_roles_share_their_addresses_and_serve_alone_does_not(
    pg_url: str, tmp_path: Path
) -> None:
    from perpdesk.bootstrap import bootstrap
    from perpdesk.settings import Settings

    def settings(**kw: Any) -> Settings:
        return Settings(
            data_dir=tmp_path, master_key=base64.b64encode(bytes(32)).decode(),
            egress_source_addresses=["127.0.0.2", "127.0.0.3"], ws_per_address_max=10, **kw)

    web = bootstrap(settings(database_url=pg_url), role="web")
    alone = bootstrap(settings(), role="all")  # SQLite, one process: the whole cap
    try:
        assert web.egress_share is not None and alone.egress_share is None
        other = PgEgressShare(create_async_engine(pg_url), SourceAddresses(["127.0.0.3"], 10))
        try:
            await other.refresh()
            assert await web.egress_share.refresh() == {"127.0.0.2": 1, "127.0.0.3": 2}
            assert web.connectors._egress.ws_sources is web.egress_share.pool
            assert web.egress_share.pool.cap("127.0.0.3") == 5
        finally:
            await other.aclose()
            await other.engine.dispose()
    finally:
        await web.aclose()
        await alone.aclose()
