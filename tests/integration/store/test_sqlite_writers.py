"""Many writers at once on one SQLite file, as `perpdesk serve` has them with 100 accounts trading:
they queue in the engine (store/sqlite_writes.py), one at a time, so none waits in SQLite's busy
handler and none is refused with "database is locked" because other users were busy.

The busy timeout is set to 0 here: a writer that met another one inside SQLite would fail at once,
so the test sees every collision the platform's 10 s timeout only shows once it has run out under
load (the reliability suite's 100 Binance accounts, twice)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from perpdesk.services.in_flight import TicketDesk, TicketTerms
from perpdesk.store.base import DuplicateRow, new_id, utcnow
from perpdesk.store.db import Sessions, make_engine, make_sessionmaker, migrate
from perpdesk.store.order_records import FIRST_SLOT, ClaimRecord, IntentRecord
from perpdesk.store.sqlite_writes import WriteLock, write_lock, writes
from perpdesk.store.ticket_claims import TicketClaim
from perpdesk.store.uow import SqlUnitOfWork
from perpdesk.vault import Keyring, StaticMasterKey, Vault
from tests.integration.store.test_record_repos import _account

ACCOUNTS = 100
ROUNDS = 4


def _no_busy_wait(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=0")  # after make_engine's own PRAGMAs: overrides its 10 s
    cur.close()


@pytest.fixture
def vault() -> Vault:
    return Vault(StaticMasterKey(Keyring.generate()))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'perpdesk.sqlite3'}"
    await migrate(url)
    eng = make_engine(url)
    event.listen(eng.sync_engine, "connect", _no_busy_wait)
    try:
        yield eng
    finally:
        await eng.dispose()


def _lock(engine: AsyncEngine) -> WriteLock:
    lock = write_lock(engine)
    assert lock is not None
    return lock


async def _accounts(sm: Sessions, vault: Vault, n: int) -> list[tuple[str, str]]:
    out = []
    async with SqlUnitOfWork(sm, vault) as uow:
        for i in range(n):
            user = await uow.users.create(f"w{i}-{secrets.token_hex(3)}@example.com", "hash")
            row = _account(user.id, f"A{i}")
            await uow.accounts.add(row)
            out.append((user.id, row.id))
        await uow.commit()
    return out


def _intent(user_id: str, account_id: str, cid: str, size: Decimal) -> IntentRecord:
    now = utcnow()
    return IntentRecord(
        id=new_id(), user_id=user_id, account_id=account_id, exchange="binance", client_order_id=cid,
        purpose="order", symbol="ETHUSDT", side="buy_open_long", type="limit", time_in_force="gtc",
        size=size, price=Decimal("3000"), status="pending", created_at=now, updated_at=now,
        decided_after=now + timedelta(seconds=10),
    )


async def test_a_hundred_accounts_trading_at_once_never_find_the_database_locked(
    engine: AsyncEngine, vault: Vault
) -> None:
    """Each account claims a ticket and writes its intent in one transaction (as send_intent
    does), records the outcome and releases the claim (as _record_outcome does), ROUNDS times, all
    accounts at once, while pages read the same tables."""
    sm = make_sessionmaker(engine)
    accounts = await _accounts(sm, vault, ACCOUNTS)
    desk = TicketDesk()
    done = 0
    stop = asyncio.Event()

    def uows() -> SqlUnitOfWork:
        return SqlUnitOfWork(sm, vault)

    async def trader(user_id: str, account_id: str) -> None:
        nonlocal done
        for n in range(ROUNDS):
            cid = secrets.token_hex(8)
            intent = _intent(user_id, account_id, cid, Decimal(n + 1))

            async def write_intent(uow: Any, intent: IntentRecord = intent) -> None:
                await uow.orders.by_client_id(user_id, account_id, intent.client_order_id)
                await uow.orders.add(intent)

            terms = TicketTerms("order", "ETHUSDT", "buy_open_long", Decimal(n + 1), Decimal("3000"))
            claim = await desk.claim(uows, user_id, account_id, terms, cid, also=write_intent)
            await asyncio.sleep(0)  # the exchange answers
            async with uows() as uow:
                await desk.release_in(uow, claim)
                row = await uow.orders.by_client_id(user_id, account_id, cid)
                assert row is not None
                await uow.orders.save(replace(row, status="placed", settled_at=utcnow()))
                await uow.commit()
            done += 1

    async def page(user_id: str, account_id: str) -> int:
        reads = 0
        while not stop.is_set():
            async with uows() as uow:
                await uow.accounts.owned(user_id, account_id)
                await uow.orders.for_account(user_id, account_id)
            reads += 1
            await asyncio.sleep(0)
        return reads

    pages = [asyncio.create_task(page(u, a)) for u, a in accounts[:20]]
    try:
        results = await asyncio.gather(*(trader(u, a) for u, a in accounts), return_exceptions=True)
    finally:
        stop.set()
        reads = await asyncio.gather(*pages, return_exceptions=True)
    failures = [r for r in [*results, *reads] if isinstance(r, BaseException)]
    assert failures == [], f"{len(failures)} refused, first: {failures[0]!r}"
    assert done == ACCOUNTS * ROUNDS
    assert _lock(engine).waits > 0  # they did meet: the writers queued
    async with sm() as s:
        assert await s.scalar(select(func.count()).select_from(TicketClaim)) == 0
        placed = await s.scalar(text("SELECT count(*) FROM order_intents WHERE status = 'placed'"))
        assert placed == ACCOUNTS * ROUNDS


async def test_every_way_a_write_transaction_ends_lets_the_next_writer_in(
    engine: AsyncEngine, vault: Vault
) -> None:
    sm = make_sessionmaker(engine)
    lock = _lock(engine)
    [(user_id, account_id)] = await _accounts(sm, vault, 1)
    terms = TicketTerms("order", "ETHUSDT", "buy_open_long", Decimal(1))
    desk = TicketDesk()

    def uows() -> SqlUnitOfWork:
        return SqlUnitOfWork(sm, vault)

    async with sm() as s:  # reads take no lock
        await s.execute(select(TicketClaim))
        assert lock.holder is None
    claim = await desk.claim(uows, user_id, account_id, terms, None)  # commit
    assert lock.holder is None
    async with uows() as uow:  # closed without commit: rolled back
        await uow.tickets.drop(claim.id)
        assert lock.holder is not None
    assert lock.holder is None
    async with sm() as s:  # rollback
        await s.execute(text("DELETE FROM ticket_claims"))
        await s.rollback()
        assert lock.holder is None
    async with uows() as uow:  # a duplicate row: the transaction fails
        await uow.tickets.add(_claim_like(user_id, account_id, terms))
        await uow.tickets.add(_claim_like(user_id, account_id, terms))
        with pytest.raises(DuplicateRow):
            await uow.flush()
    assert lock.holder is None
    async with engine.connect() as conn:  # a connection that breaks mid-transaction
        await conn.execute(text("DELETE FROM ticket_claims WHERE id = 'none'"))
        assert lock.holder is not None
        await conn.invalidate()
    assert lock.holder is None
    async with engine.begin() as conn:  # Core, and DDL
        await conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        await conn.execute(text("INSERT INTO scratch VALUES (1)"))
    assert lock.holder is None
    await asyncio.wait_for(desk.release(uows, claim), 5)  # and the next writer is not kept waiting


def _claim_like(user_id: str, account_id: str, terms: TicketTerms) -> ClaimRecord:
    now = utcnow()
    return ClaimRecord(
        id=new_id(), user_id=user_id, account_id=account_id, ticket_key=terms.key, slot=FIRST_SLOT,
        kind="order", client_order_id=None, symbol=terms.symbol, side=terms.side, size=terms.size,
        price=None, owner="t", since=now, expires_at=now + timedelta(seconds=10),
    )


async def test_a_reader_never_waits_for_the_writer(engine: AsyncEngine, vault: Vault) -> None:
    sm = make_sessionmaker(engine)
    await _accounts(sm, vault, 1)
    async with sm() as writer:
        await writer.execute(text("DELETE FROM exchange_accounts"))  # not committed
        async with sm() as reader:  # WAL: the committed rows, at once
            found = await asyncio.wait_for(reader.scalar(text("SELECT count(*) FROM exchange_accounts")), 2)
            assert found == 1


async def test_one_task_writing_on_two_connections_is_refused_at_once(
    engine: AsyncEngine, vault: Vault
) -> None:
    """It would wait for itself: the second write fails straight away instead of after WAIT_S,
    and the first transaction still commits."""
    sm = make_sessionmaker(engine)
    await _accounts(sm, vault, 1)
    async with sm() as first, sm() as second:
        await first.execute(text("UPDATE exchange_accounts SET label = 'first'"))
        with pytest.raises(OperationalError, match="two SQLite connections"):
            await second.execute(text("UPDATE exchange_accounts SET label = 'second'"))
        await first.commit()
    async with sm() as s:
        assert await s.scalar(text("SELECT label FROM exchange_accounts")) == "first"
    assert _lock(engine).holder is None


@pytest.mark.parametrize(
    ("statement", "write"),
    [
        ("SELECT 1", False),
        ("  select * from x", False),
        ("PRAGMA foreign_keys=ON", False),
        ("INSERT INTO x VALUES (1)", True),
        ("\n UPDATE x SET y = 1", True),
        ("delete from x", True),
        ("WITH gone AS (DELETE FROM x RETURNING 1) SELECT 1", True),
        ("CREATE TABLE x (y INT)", True),
        ("SAVEPOINT sa_savepoint_1", True),
    ],
)
def test_which_statements_write(statement: str, write: bool) -> None:
    assert writes(statement) is write


async def test_postgresql_engines_have_no_writer_queue() -> None:
    engine = make_engine("postgresql+asyncpg://u:p@127.0.0.1:1/none")
    try:
        assert write_lock(engine) is None
    finally:
        await engine.dispose()


async def test_engines_on_the_same_file_share_one_queue(engine: AsyncEngine, vault: Vault) -> None:
    other = make_engine(str(engine.url))
    event.listen(other.sync_engine, "connect", _no_busy_wait)
    try:
        assert write_lock(other) is _lock(engine)
        sm, other_sm = make_sessionmaker(engine), make_sessionmaker(other)
        await _accounts(sm, vault, 1)

        async def second_writer() -> None:
            async with other_sm() as s:
                await s.execute(text("UPDATE exchange_accounts SET label = 'second'"))
                await s.commit()

        async with sm() as first:
            await first.execute(text("UPDATE exchange_accounts SET label = 'first'"))
            waiting = asyncio.create_task(second_writer())
            await asyncio.sleep(0.2)
            assert not waiting.done()  # queued behind the first, not refused by SQLite
            await first.commit()
        await asyncio.wait_for(waiting, 5)
        async with other_sm() as s:
            assert await s.scalar(text("SELECT label FROM exchange_accounts")) == "second"
    finally:
        await other.dispose()
