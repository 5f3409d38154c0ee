"""The repositories of the unit of work that return frozen records, on SQLite and PostgreSQL:
account summaries and credentials read in one batch, sealed secrets renamed in place, users
updated and refused twice, notifications once per dedupe key, and due webhook deliveries shared
fairly across users."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.core.models import Credentials
from perpdesk.store.base import DuplicateRow, new_id, utcnow
from perpdesk.store.records import AccountRecord, AccountSummary, DeliveryRecord, NotificationPrefsRecord
from perpdesk.store.repos import SealedSecretRepo
from perpdesk.store.uow import SqlUnitOfWork
from perpdesk.vault import Keyring, StaticMasterKey, Vault

SM = async_sessionmaker[AsyncSession]


@pytest.fixture
def vault() -> Vault:
    return Vault(StaticMasterKey(Keyring.generate()))


async def _user(sm: SM, vault: Vault) -> str:
    async with SqlUnitOfWork(sm, vault) as uow:
        user = await uow.users.create(f"r-{secrets.token_hex(4)}@example.com", "hash")
        await uow.commit()
    return user.id


def _account(user_id: str, label: str, status: str = "active", **kw: Any) -> AccountRecord:
    created = utcnow() + timedelta(seconds=len(label))
    return AccountRecord(
        id=new_id(),
        user_id=user_id,
        exchange="bitmart",
        api_url="http://x.test",
        market="futures",
        label=label,
        method="manual",
        status=status,
        api_key_hash=secrets.token_hex(32),
        api_key_mask="ab…cd",
        warnings=("withdraw_enabled",),
        created_at=created,
        updated_at=created,
        **kw,
    )


async def test_an_account_is_a_frozen_record_written_back_by_save(db_sessionmaker: SM, vault: Vault) -> None:
    alice = await _user(db_sessionmaker, vault)
    balances = ({"asset": "USDT", "available": "1.5"},)
    row = _account(alice, "Main", ip_whitelist=("127.0.0.1",), balances=balances)
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        await uow.accounts.add(row)
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        read = await uow.accounts.owned(alice, row.id)
        assert read == row  # lists come back as the tuples they were given as
        assert await uow.accounts.owned("someone-else", row.id) is None
        await uow.accounts.save(replace(row, label="Renamed", warnings=(), check_attempts=2))
        # not committed: nothing changed
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        assert (await uow.accounts.owned(alice, row.id)) == row
        await uow.accounts.save(replace(row, label="Renamed", warnings=(), check_attempts=2))
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        saved = await uow.accounts.owned(alice, row.id)
        assert saved == replace(row, label="Renamed", warnings=(), check_attempts=2)
        await uow.accounts.remove(row.id)
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        assert await uow.accounts.of_user(alice) == []


async def test_account_summaries_and_credentials_come_in_one_batch(db_sessionmaker: SM, vault: Vault) -> None:
    alice, bob = await _user(db_sessionmaker, vault), await _user(db_sessionmaker, vault)
    rows = [
        _account(alice, "A"),
        _account(alice, "BB", "error", last_error="unknown_api_key"),
        _account(bob, "C"),
    ]
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        for r in rows:
            await uow.accounts.add(r)
        await uow.flush()
        await uow.credentials.put(Credentials("key-a", "sec-a", "m"), user_id=alice, account_id=rows[0].id)
        await uow.credentials.put(Credentials("key-b", "sec-b", "m"), user_id=alice, account_id=rows[1].id)
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        mine = await uow.accounts.summaries(user_id=alice)
        active = await uow.accounts.summaries(user_id=alice, status="active")
        creds = await uow.credentials.of_user(alice)
        other = await uow.accounts.summary(rows[2].id)
    assert [(a.label, a.status, a.last_error, a.warnings) for a in mine] == [
        ("A", "active", None, ("withdraw_enabled",)),
        ("BB", "error", "unknown_api_key", ("withdraw_enabled",)),
    ]
    assert all(isinstance(a, AccountSummary) for a in mine) and [a.label for a in active] == ["A"]
    assert {k: c.api_key for k, c in creds.items()} == {rows[0].id: "key-a", rows[1].id: "key-b"}
    assert other is not None and other.user_id == bob
    # a blob that no longer opens leaves its account out, and the others still open
    async with db_sessionmaker() as s:
        await SealedSecretRepo(s).put(
            user_id=alice, ref=rows[1].id, purpose="credentials", blob=b"\x00broken"
        )
        await s.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        assert list(await uow.credentials.of_user(alice)) == [rows[0].id]


async def test_secrets_rename_in_place_and_users_update_once(db_sessionmaker: SM, vault: Vault) -> None:
    user_id = await _user(db_sessionmaker, vault)
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        await uow.secrets.put(user_id=user_id, ref="user:totp", purpose="totp_pending", plaintext="SEED")
        assert await uow.secrets.rename(user_id=user_id, ref="user:totp", purpose="totp_pending", to="totp")
        assert not await uow.secrets.rename(user_id=user_id, ref="user:totp", purpose="nothing", to="totp")
        assert await uow.users.update(user_id, totp_enabled=True)
        assert not await uow.users.update(new_id(), totp_enabled=True)
        with pytest.raises(ValueError):
            await uow.users.update(user_id, email="x@example.com")
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        assert await uow.secrets.get(user_id=user_id, ref="user:totp", purpose="totp") == b"SEED"
        assert not await uow.secrets.exists(user_id=user_id, ref="user:totp", purpose="totp_pending")
        user = await uow.users.by_id(user_id)
        assert user is not None and user.totp_enabled
        with pytest.raises(DuplicateRow):
            await uow.users.create(user.email.upper(), "other")


async def test_notifications_once_per_key_and_deliveries_due_fairly(
    db_sessionmaker: SM, vault: Vault
) -> None:
    alice, bob = await _user(db_sessionmaker, vault), await _user(db_sessionmaker, vault)
    now = utcnow()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        first = await uow.notifications.add_once(
            user_id=alice, kind="fill", title="t", body="", dedupe_key="fill:1", account_id=None
        )
        again = await uow.notifications.add_once(
            user_id=alice, kind="fill", title="t", body="", dedupe_key="fill:1", account_id=None
        )
        await uow.notifications.save_prefs(alice, NotificationPrefsRecord(None, "https://h.example/x"))
        await uow.notifications.save_prefs(bob, NotificationPrefsRecord(None, None))
        for i in range(4):
            await uow.webhooks.save(
                DeliveryRecord(
                    new_id(),
                    alice,
                    None,
                    "https://h.example/x",
                    "{}",
                    now,
                    next_attempt_at=now - timedelta(seconds=10 - i),
                )
            )
        late = DeliveryRecord(
            new_id(), bob, None, "https://h.example/y", "{}", now, next_attempt_at=now - timedelta(seconds=1)
        )
        await uow.webhooks.save(late)
        await uow.webhooks.save(
            DeliveryRecord(new_id(), bob, None, "u", "{}", now, next_attempt_at=now + timedelta(hours=1))
        )
        await uow.commit()
    assert first is not None and again is None
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        due = await uow.webhooks.due(utcnow(), per_user=2, users=50)
        assert (await uow.notifications.prefs(alice)).webhook_url == "https://h.example/x"
        assert await uow.notifications.unread_count(alice) == 1
    assert len(due[alice]) == 2 and due[bob] == [late.id]  # a long queue takes no more than its share


async def test_a_due_delivery_is_claimed_by_one_of_many_at_once(db_sessionmaker: SM, vault: Vault) -> None:
    """The webhook pass and a delivery's job (in any process) may reach the same row at once:
    one claim wins, and the row is not due again before the claim's hold."""
    user_id = await _user(db_sessionmaker, vault)
    d = DeliveryRecord(new_id(), user_id, None, "https://example.com/h", "{}", utcnow(),
                       next_attempt_at=utcnow())
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        await uow.webhooks.save(d)
        await uow.commit()

    async def claim() -> bool:
        now = utcnow()
        async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
            won = await uow.webhooks.claim(d.id, now, now + timedelta(seconds=60))
            await uow.commit()
            return won

    assert sorted(await asyncio.gather(*(claim() for _ in range(6)))) == [False] * 5 + [True]
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        assert d.id not in [i for ids in (await uow.webhooks.due(utcnow(), per_user=9, users=9)).values()
                            for i in ids]
        await uow.webhooks.save(replace(d, delivered=True, next_attempt_at=None))
        await uow.commit()
    assert not await claim()  # delivered: never again


async def test_stored_dedupe_keys_by_prefix_across_users(db_sessionmaker: SM, vault: Vault) -> None:
    alice, bob = await _user(db_sessionmaker, vault), await _user(db_sessionmaker, vault)
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        for user, key in ((alice, "key:a1:no_ip"), (bob, "key:b1:withdraw_enabled"), (alice, "fill:1"),
                          (bob, "keyX:not_this_prefix")):
            await uow.notifications.add_once(user_id=user, kind="key", title="t", body="", dedupe_key=key,
                                             account_id=None)
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        assert await uow.notifications.dedupe_keys("key:", 100) == {"key:a1:no_ip", "key:b1:withdraw_enabled"}
        assert await uow.notifications.dedupe_keys("key_", 100) == set()  # "_" is not a wildcard
        assert len(await uow.notifications.dedupe_keys("key", 1)) == 1


async def test_accounts_with_key_problems_are_the_warned_and_the_failed(db_sessionmaker: SM,
                                                                        vault: Vault) -> None:
    """What the notification pass reads with live mirrors on: accounts with warnings, and those in
    error with a message; a clean account (no warning: `[]`) and an error without one are not read."""
    alice = await _user(db_sessionmaker, vault)
    rows = {
        "warned": _account(alice, "W"),
        "failed": replace(_account(alice, "FF", "error", last_error="unknown_api_key"), warnings=()),
        "clean": replace(_account(alice, "CCC"), warnings=()),
        "error-without-message": replace(_account(alice, "EEEE", "error"), warnings=()),
    }
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        for r in rows.values():
            await uow.accounts.add(r)
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        found = [a.id for a in await uow.accounts.with_key_problems() if a.user_id == alice]
    assert found == [rows["warned"].id, rows["failed"].id]


async def test_an_equity_pass_stores_one_sample_per_account_and_says_which_have_none(
    db_sessionmaker: SM, vault: Vault
) -> None:
    """Workers and the installation's pass may race over one pass: the second sample of an account
    is left out, not stored twice (the chart would sum it twice) nor refused with the rest."""
    from decimal import Decimal

    from perpdesk.store.records import EquitySample

    alice = await _user(db_sessionmaker, vault)
    a, b, off = _account(alice, "A"), _account(alice, "BB"), _account(alice, "OFF", "error")
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        for r in (a, b, off):
            await uow.accounts.add(r)
        await uow.commit()
    taken = utcnow().replace(microsecond=0)

    def sample(account_id: str, equity: str) -> EquitySample:
        d = Decimal(equity)
        return EquitySample(alice, account_id, taken, d, d, Decimal(0), Decimal("0.000001"))

    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        mine = {x.id for x in (a, b, off)}
        assert {p for p in await uow.snapshots.without_sample(taken, "active") if p[1] in mine} == {
            (alice, a.id), (alice, b.id)}
        await uow.snapshots.add([sample(a.id, "100.123456789")])
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        assert [p for p in await uow.snapshots.without_sample(taken, "active") if p[1] in mine] == [
            (alice, b.id)]
        await uow.snapshots.add([sample(a.id, "999"), sample(b.id, "5")])  # a's again: left out
        await uow.snapshots.add([])
        await uow.commit()
    async with SqlUnitOfWork(db_sessionmaker, vault) as uow:
        got = await uow.snapshots.since(alice, taken - timedelta(seconds=1))
        assert [(s.account_id, s.equity, s.unrealized_pnl) for s in got] == sorted(
            [(a.id, Decimal("100.123456789"), Decimal("0.000001")), (b.id, Decimal(5), Decimal("0.000001"))])
        assert [p for p in await uow.snapshots.without_sample(taken, "active") if p[1] in mine] == []
        assert {p[1] for p in await uow.snapshots.without_sample(taken + timedelta(seconds=1), "active")} >= {
            a.id, b.id}
