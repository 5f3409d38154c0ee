"""The supervisor's view of the database (SQLite and PostgreSQL): active accounts listed, the key
opened through the vault only when the opener is called, a disconnected account refused, drift
audits written to the account's audit log; a supervisor over it starts and stops the mirror."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import delete

from perpdesk.core.errors import NotFound
from perpdesk.live.bus import InProcessBus
from perpdesk.live.market_hub import MarketHub
from perpdesk.live.ownership import InProcessOwnership
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.live.views import Freshness
from perpdesk.services import audit_log
from perpdesk.services.live_accounts import DbAccountSource
from perpdesk.store.accounts import ExchangeAccount
from tests.integration.trading.conftest import TCtx, Trader


async def test_accounts_from_the_database_feed_the_supervisor(tctx: TCtx, sandbox: Any) -> None:
    from perpdesk.exchanges.bitmart import BitmartFuturesConnector

    trader = await tctx.trader()
    source = DbAccountSource(tctx.deps)
    active = {a.ref.account_id: a for a in await source.active()}
    assert trader.account_id in active
    ref = active[trader.account_id].ref
    assert (ref.user_id, ref.exchange) == (trader.user_id, "bitmart")
    assert await source.opener(ref)() == trader.creds

    await source.audit(ref.user_id, ref.account_id, "live.drift_repaired", {"drift": [{"part": "plans"}]})
    entries = await audit_log.entries(tctx.deps, trader.user_id)
    assert [(e.action, e.actor, e.detail) for e in entries[:1]] == [
        ("live.drift_repaired", "perpdesk", {"drift": [{"part": "plans"}]})]

    conn = BitmartFuturesConnector(sandbox.base_url, ws_url=sandbox.ws_url, timeout_s=5)
    bus = InProcessBus()
    hub = MarketHub(lambda _ex: conn, bus)
    sup = LiveSupervisor(source, lambda _ex: conn, bus, hub, InProcessOwnership(), scan_interval_s=30)
    try:
        await sup.scan()
        mirror = sup.mirror(trader.account_id)
        assert mirror is not None
        async with asyncio.timeout(10):
            while mirror.freshness.state is not Freshness.FRESH:
                await asyncio.sleep(0.05)
        async with tctx.deps.sessions() as s, s.begin():  # disconnected
            await s.execute(delete(ExchangeAccount).where(ExchangeAccount.id == trader.account_id))
        with pytest.raises(NotFound):
            await source.opener(ref)()
        await sup.scan()
        assert sup.mirror(trader.account_id) is None and not mirror.running
    finally:
        await sup.aclose()
        await hub.aclose()
        await conn.aclose()


async def test_the_accounts_are_read_again_only_when_they_changed(
    tctx: TCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every worker scans every few seconds: an unchanged set of accounts costs one row (the
    marker), and any change (a new account, a renamed one, one gone, a kick) is seen at the next
    scan."""
    from perpdesk.services import accounts as account_service
    from perpdesk.store.account_repos import AccountRepo

    reads: list[str] = []
    summaries = AccountRepo.summaries

    async def counted(self: AccountRepo, **kw: Any) -> Any:
        reads.append("summaries")
        return await summaries(self, **kw)

    monkeypatch.setattr(AccountRepo, "summaries", counted)
    source = DbAccountSource(tctx.deps)
    first = await tctx.trader()
    second: Trader | None = None

    async def ours() -> set[str]:  # the database may hold other tests' accounts
        mine = {first.account_id, second.account_id if second else ""}
        return {a.ref.account_id for a in await source.active()} & mine

    assert await ours() == {first.account_id}
    assert await ours() == {first.account_id} and len(reads) == 1

    second = await tctx.trader()
    assert await ours() == {first.account_id, second.account_id}
    assert len(reads) == 2

    await account_service.rename(tctx.deps, first.user_id, first.account_id, "Renamed")
    labels = {a.ref.account_id: a.ref.label for a in await source.active()}
    assert labels[first.account_id] == "Renamed" and len(reads) == 3

    async with tctx.deps.sessions() as s, s.begin():
        await s.execute(delete(ExchangeAccount).where(ExchangeAccount.id == second.account_id))
    assert await ours() == {first.account_id} and len(reads) == 4

    await source.active()
    assert len(reads) == 4
    source.changed()  # a kick: read whole whatever the marker says
    await source.active()
    assert len(reads) == 5


async def test_a_mirror_reads_its_sealed_key_once_and_again_after_a_master_key_rotation(
    tctx: TCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select, update

    from perpdesk.store.sealed import SealedCredentials
    from perpdesk.store.sealed_secrets import SealedSecret
    from perpdesk.vault.keys import StaticMasterKey

    reads: list[str] = []
    sealed_of_account = SealedCredentials.sealed_of_account

    async def counted(self: SealedCredentials, **kw: Any) -> Any:
        reads.append(kw["account_id"])
        return await sealed_of_account(self, **kw)

    monkeypatch.setattr(SealedCredentials, "sealed_of_account", counted)
    trader = await tctx.trader()
    source = DbAccountSource(tctx.deps)
    (acct,) = [a for a in await source.active() if a.ref.account_id == trader.account_id]
    open_creds = source.opener(acct.ref)
    assert await open_creds() == trader.creds and await open_creds() == trader.creds
    assert reads == [trader.account_id]  # read once, opened twice

    # the master key rotated: the blob re-wrapped under the new version, the old version pruned
    vault = tctx.deps.vault
    provider = vault.provider
    assert isinstance(provider, StaticMasterKey)
    new = provider.keyring().with_new_key()
    provider.set(new)
    async with tctx.deps.sessions() as s, s.begin():
        where = (SealedSecret.ref == trader.account_id, SealedSecret.purpose == "credentials")
        blob = await s.scalar(select(SealedSecret.blob).where(*where))
        await s.execute(update(SealedSecret).where(*where).values(blob=vault.rewrap(blob).to_bytes()))
    provider.set(new.only({new.current}))
    assert await open_creds() == trader.creds
    assert reads == [trader.account_id] * 2

    async with tctx.deps.sessions() as s, s.begin():  # disconnected: a new mirror's opener refuses
        await s.execute(delete(ExchangeAccount).where(ExchangeAccount.id == trader.account_id))
    with pytest.raises(NotFound):
        await source.opener(acct.ref)()


async def test_a_check_of_the_key_does_not_restart_the_mirror_and_a_new_key_does(tctx: TCtx) -> None:
    """A mirror restarts (a login and a snapshot) when its account gets another key, label or
    venue: a re-check of the same key moves the marker (its warnings may have changed) but not the
    mirror's version."""
    import secrets

    from perpdesk.core.models import Credentials
    from perpdesk.services import account_checks
    from perpdesk.services import accounts as account_service

    source = DbAccountSource(tctx.deps)
    t = await tctx.trader()

    async def version() -> str:
        return {a.ref.account_id: a.version for a in await source.active()}[t.account_id]

    before = await version()
    await account_checks.check(tctx.deps, t.user_id, t.account_id)
    assert await version() == before
    await account_service.rename(tctx.deps, t.user_id, t.account_id, "Desk two")
    renamed = await version()
    assert renamed != before
    key = tctx.sandbox.admin.create_key(t.email, memo="memo-" + secrets.token_hex(3))
    await account_service.replace_credentials(tctx.deps, t.user_id, t.account_id,
                                              Credentials(key["api_key"], key["secret_key"], key["memo"]))
    assert await version() not in (before, renamed)
