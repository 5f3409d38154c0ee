"""Mirror ownership across processes on the real PostgreSQL: each owner holds exactly its share
(rendezvous hashing over the live members), a member joining takes its share once the previous
owner released it, and a member whose connection is gone leaves the members and its locks."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from sqlalchemy import text

from perpdesk.live.pg_lease import PgLeaseOwnership, lock_key
from perpdesk.live.spread import assign
from perpdesk.store.db import make_engine
from tests.fixtures.db import PG_ENV, create_pg_database, drop_pg_database

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (scripts/pg.sh)")
ACCOUNTS = [f"acct-{i}" for i in range(12)]


def share(members: list[str], owner: str, accounts: list[str] = ACCOUNTS) -> set[str]:
    return {a for a, m in assign(accounts, members).items() if m == owner}


async def until_members(owner: PgLeaseOwnership, members: tuple[str, ...]) -> set[str]:
    """Claims until the owner sees these members (a closed session ends within moments)."""
    deadline = time.monotonic() + 10
    while True:
        got = await owner.claim(ACCOUNTS)
        if owner.members == members:
            return got
        assert time.monotonic() < deadline, f"{owner.owner_id} sees {owner.members}"
        await asyncio.sleep(0.05)


async def converge(*owners: PgLeaseOwnership) -> int:
    """Claim in turns until every owner holds its whole share; returns the rounds it took."""
    for rounds in range(1, 5):
        got = [await o.claim(ACCOUNTS) for o in owners]
        if all(g == o.held == share(list(o.members), o.owner_id) for g, o in zip(got, owners, strict=True)):
            return rounds
    raise AssertionError([sorted(o.held) for o in owners])


async def test_each_owner_holds_its_share_and_a_handover_never_holds_twice() -> None:
    admin_url = os.environ[PG_ENV]
    url = await create_pg_database(admin_url)
    e1, e2, e3 = make_engine(url), make_engine(url), make_engine(url)
    a, b, c = PgLeaseOwnership(e1, "a"), PgLeaseOwnership(e2, "b"), PgLeaseOwnership(e3, "c")
    try:
        assert await a.claim(ACCOUNTS) == set() and a.waiting == len(ACCOUNTS)  # joining first
        assert await a.claim(ACCOUNTS) == set(ACCOUNTS) and a.members == ("a",)  # alone: all of them
        # b joins: its share is still a's until a lets go
        assert await b.claim(ACCOUNTS) == set() and b.members == ("a", "b")
        assert await b.claim(ACCOUNTS) == set()
        assert b.waiting == len(share(["a", "b"], "b")) > 0
        kept = await a.claim(ACCOUNTS)
        assert kept == share(["a", "b"], "a") and a.held == set(ACCOUNTS)  # still locked: mirrors stop first
        await a.release(sorted(set(ACCOUNTS) - kept))  # what the supervisor does once they stopped
        assert await b.claim(ACCOUNTS) == share(["a", "b"], "b") and b.waiting == 0
        assert 5 <= len(kept) <= 7  # 12 over 2: 6 each, one more or less
        # c joins; a and b do not release by hand: their next claim lets go of what they handed over
        assert await c.claim(ACCOUNTS) == set() == await c.claim(ACCOUNTS)
        for owner in (a, b):
            await owner.claim(ACCOUNTS)
        for owner in (a, b):
            await owner.claim(ACCOUNTS)
        assert await c.claim(ACCOUNTS) == share(["a", "b", "c"], "c")
        held = [o.held for o in (a, b, c)]
        assert set().union(*held) == set(ACCOUNTS) and sum(map(len, held)) == len(ACCOUNTS)
        assert sorted(map(len, held)) == [4, 4, 4]
        # a's connection dies (crash, network): its membership and locks go with it
        pid = a.dedicated.backend_pid
        assert pid is not None
        async with e2.connect() as killer:
            assert await killer.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        assert await until_members(b, ("b", "c")) == share(["b", "c"], "b")  # one claim: a's are free
        await c.claim(ACCOUNTS)  # a's and maybe one of b's, which b lets go at its next claim
        await b.claim(ACCOUNTS)
        assert await c.claim(ACCOUNTS) == share(["b", "c"], "c") and b.held | c.held == set(ACCOUNTS)
        assert await a.claim(ACCOUNTS) == set()  # a notices, reconnects, rejoins
        assert a.dedicated.losses == 1 and a.dedicated.backend_pid not in (None, pid)
        assert await a.claim(ACCOUNTS) == set()  # nothing free yet
        assert a.members == ("a", "b", "c") and a.waiting == 4
        # c leaves in good order: the others' next claim has its accounts
        await c.aclose()
        await until_members(b, ("a", "b"))
        assert await converge(a, b) <= 2  # a handover between them takes one more claim each
        assert a.held | b.held == set(ACCOUNTS) and len(a.held) + len(b.held) == len(ACCOUNTS)
    finally:
        for owner in (a, b, c):
            await owner.aclose()
        for engine in (e1, e2, e3):
            await engine.dispose()
        await drop_pg_database(admin_url, url)
    assert lock_key("x") != lock_key("y") and -(2**63) <= lock_key("x") < 2**63


async def test_each_owner_tells_which_accounts_the_others_hold() -> None:
    """The passes over every account leave another worker's accounts to it: the others' locks,
    read from pg_locks (negative keys too), never this owner's own."""
    admin_url = os.environ[PG_ENV]
    url = await create_pg_database(admin_url)
    e1, e2 = make_engine(url), make_engine(url)
    a, b = PgLeaseOwnership(e1, "a"), PgLeaseOwnership(e2, "b")
    try:
        assert await a.held_elsewhere(ACCOUNTS) == set()  # nobody holds anything yet
        await a.claim(ACCOUNTS)
        await b.claim(ACCOUNTS)
        await converge(a, b)
        assert a.held and b.held and a.held | b.held == set(ACCOUNTS)
        assert any(lock_key(x) < 0 for x in b.held) and any(lock_key(x) >= 0 for x in b.held)
        assert await a.held_elsewhere(ACCOUNTS) == b.held
        assert await b.held_elsewhere(ACCOUNTS) == a.held
        assert await a.held_elsewhere(["acct-x", *sorted(a.held)]) == set()  # unknown, or a's own
        await b.aclose()  # b leaves: its accounts are nobody's until a claims them
        assert await a.held_elsewhere(ACCOUNTS) == set()
    finally:
        for owner in (a, b):
            await owner.aclose()
        for engine in (e1, e2):
            await engine.dispose()
        await drop_pg_database(admin_url, url)


def test_sqlite_and_unnamed_owners_are_refused() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        PgLeaseOwnership(make_engine("sqlite+aiosqlite:///:memory:"))
    engine = make_engine("postgresql+asyncpg://u@127.0.0.1:1/x")
    with pytest.raises(ValueError, match="owner id"):
        PgLeaseOwnership(engine, "has spaces'")
    with pytest.raises(ValueError, match="owner id"):
        PgLeaseOwnership(engine, "x" * 41)
