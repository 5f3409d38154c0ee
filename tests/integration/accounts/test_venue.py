"""Each account remembers its venue: the URL a key was connected against is stored with the
account, and every later call builds the account's connector from it, never from the platform's
configured default (a CLI run with other settings still reaches the account's own exchange)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import update

from perpdesk.exchanges.pool import ConnectorPool
from perpdesk.exchanges.registry import Egress, Endpoints, Venue
from perpdesk.services import account_checks, connect_manual, portfolio
from perpdesk.services.account_access import VenueNotRecorded
from perpdesk.store.account_repos import AccountRepo
from perpdesk.store.accounts import ExchangeAccount
from tests.integration.accounts.conftest import Ctx
from tests.integration.accounts.test_manual_and_edit import creds_of

NOWHERE = "http://127.0.0.1:9"  # nothing listens: a call sent there fails


async def test_connectors_come_from_the_stored_venue_not_the_default(ctx: Ctx) -> None:
    uid = await ctx.user()
    _, key = ctx.bitmart_key()
    account, _ = await connect_manual.add(ctx.deps, uid, creds_of(key))
    async with ctx.deps.sessions() as s:
        row = await s.get(ExchangeAccount, account.id)
        assert row is not None and row.api_url == ctx.sandbox.base_url
    assert account.to_dict()["api_url"] == ctx.sandbox.base_url

    # Another process whose configured venue is elsewhere (the public exchange, say).
    pool = ConnectorPool({"bitmart": Endpoints(api_url=NOWHERE, web_url=NOWHERE, timeout_s=2)}, Egress())
    elsewhere = dataclasses.replace(ctx.deps, connector_for=pool.connector, venue_for=pool.venue)
    try:
        got = await portfolio.balances(elsewhere, uid, account.id)
        assert [(b.currency, str(b.equity)) for b in got] == [("USDT", "10000")]
        checked, _ = await account_checks.check(elsewhere, uid, account.id)
        assert checked.status == "active"
        assert set(pool._connectors) == {Venue("bitmart", ctx.sandbox.base_url, None)}  # never NOWHERE
    finally:
        await pool.aclose()


async def test_an_older_account_gets_the_configured_venue_once(ctx: Ctx) -> None:
    uid = await ctx.user()
    _, key = ctx.bitmart_key()
    account, _ = await connect_manual.add(ctx.deps, uid, creds_of(key))
    async with ctx.deps.sessions() as s, s.begin():  # as migration 0008 leaves a row connected before it
        await s.execute(update(ExchangeAccount).where(ExchangeAccount.id == account.id).values(api_url=None))

    with pytest.raises(VenueNotRecorded) as refused:  # no default is ever assumed
        await portfolio.balances(ctx.deps, uid, account.id)
    assert "perpdesk serve" in (refused.value.next_step or "")

    async with ctx.deps.sessions() as s, s.begin():
        assert await AccountRepo(s).record_missing_venue("bitmart", ctx.sandbox.base_url, None) >= 1
    async with ctx.deps.sessions() as s, s.begin():  # a second start changes nothing
        assert await AccountRepo(s).record_missing_venue("bitmart", NOWHERE, None) == 0
    got = await portfolio.balances(ctx.deps, uid, account.id)
    assert [b.currency for b in got] == ["USDT"]
