"""Manual connection, edit, check and disconnect against the real sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from perpdesk.core.errors import NotFound
from perpdesk.core.models import Credentials
from perpdesk.services import account_checks, accounts, audit_log, connect_manual, whitelist_watch
from perpdesk.services.errors_text import ConnectRefused
from perpdesk.services.key_audit import Verdict
from perpdesk.services.trading import load_account
from perpdesk.store.accounts import ExchangeAccount
from perpdesk.store.sealed_secrets import SealedSecret
from tests.integration.accounts.conftest import Ctx


def creds_of(key: dict[str, str], **over: str) -> Credentials:
    d = {"api_key": key["api_key"], "secret": key["secret_key"], "passphrase": key["memo"], **over}
    return Credentials(**d)


async def count(ctx: Ctx, model: type) -> int:
    async with ctx.deps.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_save_then_add_stores_sealed_and_audits(ctx: Ctx) -> None:
    uid = await ctx.user()
    _, key = ctx.bitmart_key(permissions=("future_trade", "spot_trade"))
    creds = creds_of(key)
    before = await count(ctx, ExchangeAccount)

    result = await connect_manual.inspect(ctx.deps, uid, creds)
    assert result.verdict is Verdict.OK, result.problem
    assert [w.code for w in result.warnings] == ["spot_trade_enabled"]
    assert result.balances and result.balances[0].currency == "USDT"
    assert await count(ctx, ExchangeAccount) == before  # Save stores nothing

    account, _ = await connect_manual.add(ctx.deps, uid, creds, label="Main")
    assert account.status == "active" and account.label == "Main" and account.method == "manual"
    assert account.api_key_mask.endswith(key["api_key"][-4:])
    listed = await accounts.list_accounts(ctx.deps, uid)
    assert [a.id for a in listed] == [account.id]

    async with ctx.deps.sessions() as s:
        row = await s.get(ExchangeAccount, account.id)
        assert row is not None and key["api_key"] not in str(vars(row))
        blobs = list(await s.scalars(select(SealedSecret.blob).where(SealedSecret.ref == account.id)))
        assert len(blobs) == 1
        for secret in (key["secret_key"], key["api_key"], key["memo"]):
            assert secret.encode() not in blobs[0]
        _ref, opened = await load_account(ctx.deps, uid, account.id)
        assert opened == creds
        log = await audit_log.entries(ctx.deps, uid)
    assert [e.action for e in log] == ["account.connected"]
    assert key["secret_key"] not in str(log[0].detail) and key["memo"] not in str(log[0].detail)


async def test_duplicate_key_and_account_refused_without_saying_whose(ctx: Ctx) -> None:
    alice, bob = await ctx.user(), await ctx.user()
    user, key = ctx.bitmart_key()
    await connect_manual.add(ctx.deps, alice, creds_of(key))
    for who in (alice, bob):
        with pytest.raises(ConnectRefused) as info:
            await connect_manual.inspect(ctx.deps, who, creds_of(key))
        assert info.value.user_message.code == "duplicate_key"
        assert alice not in str(info.value.to_dict())
    # whoever holds only the API key learns nothing: the signature is checked at the exchange first
    probe = await connect_manual.inspect(ctx.deps, bob, creds_of(key, secret="guessed-" + key["api_key"]))
    assert probe.problem is not None and probe.problem.code == "invalid_signature"
    # a second key of the same BitMart account
    key2 = ctx.sandbox.admin.create_key(user["email"], memo="second")
    with pytest.raises(ConnectRefused) as info2:
        await connect_manual.add(ctx.deps, bob, creds_of(key2))
    assert info2.value.user_message.code == "duplicate_account"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("wrong_secret", "invalid_signature"),
        ("wrong_memo", "invalid_signature"),
        ("unknown_key", "unknown_api_key"),
        ("no_future_trade", "permission_missing"),
        ("foreign_ip", "ip_not_allowed"),
    ],
)
async def test_refused_keys_store_nothing(ctx: Ctx, case: str, code: str) -> None:
    uid = await ctx.user()
    if case == "no_future_trade":
        _, key = ctx.bitmart_key(permissions=("spot_trade",))
    elif case == "foreign_ip":
        _, key = ctx.bitmart_key(ip=("127.0.0.2",))
    else:
        _, key = ctx.bitmart_key()
    creds = {
        "wrong_secret": creds_of(key, secret="0" * len(key["secret_key"])),
        "wrong_memo": creds_of(key, passphrase="not-the-memo"),
        "unknown_key": creds_of(key, api_key="f" * len(key["api_key"])),
    }.get(case, creds_of(key))
    result = await connect_manual.inspect(ctx.deps, uid, creds)
    assert result.verdict is Verdict.REFUSED and result.problem is not None
    assert result.problem.code == code
    with pytest.raises(ConnectRefused):
        await connect_manual.add(ctx.deps, uid, creds)
    assert await accounts.list_accounts(ctx.deps, uid) == []
    async with ctx.deps.sessions() as s:
        n = await s.scalar(text("select count(*) from sealed_secrets where user_id = :u"), {"u": uid})
    assert n == 0


async def test_awaiting_whitelist_then_watcher_activates_with_notice(ctx: Ctx) -> None:
    uid = await ctx.user()
    user, key = ctx.bitmart_key(whitelisted=False)
    with pytest.raises(ConnectRefused) as info:
        await connect_manual.add(ctx.deps, uid, creds_of(key))
    assert info.value.user_message.code == "futures_not_whitelisted"
    assert await accounts.list_accounts(ctx.deps, uid) == []

    account, _ = await connect_manual.add(ctx.deps, uid, creds_of(key), accept_awaiting_whitelist=True)
    assert account.status == "awaiting_whitelist"
    await asyncio.sleep(0.05)  # past recheck_base
    await whitelist_watch.run_once(ctx.deps)  # still not whitelisted: backs off
    async with ctx.deps.sessions() as s:
        row = await s.get(ExchangeAccount, account.id)
        assert row is not None and row.status == "awaiting_whitelist" and row.check_attempts >= 1

    ctx.sandbox.admin.whitelist(user["email"])
    watcher = whitelist_watch.WhitelistWatcher(ctx.deps)
    watcher.start()
    try:
        for _ in range(100):
            if (await accounts.get_account(ctx.deps, uid, account.id)).status == "active":
                break
            await asyncio.sleep(0.05)
    finally:
        await watcher.stop()
    assert (await accounts.get_account(ctx.deps, uid, account.id)).status == "active"
    notes = await audit_log.unread_notices(ctx.deps, uid)
    assert len(notes) == 1 and "whitelisted" in notes[0].message


async def test_rename_replace_check_disconnect(ctx: Ctx) -> None:
    uid, other = await ctx.user(), await ctx.user()
    user, key = ctx.bitmart_key()
    account, _ = await connect_manual.add(ctx.deps, uid, creds_of(key))
    assert account.label == "Bitmart Futures"

    renamed = await accounts.rename(ctx.deps, uid, account.id, "  Scalping  ")
    assert renamed.label == "Scalping"
    with pytest.raises(NotFound):
        await accounts.rename(ctx.deps, other, account.id, "mine now")

    # a bad replacement leaves the old credentials in place
    with pytest.raises(ConnectRefused):
        await accounts.replace_credentials(ctx.deps, uid, account.id, creds_of(key, passphrase="nope"))
    # a key of another BitMart account is refused
    _, foreign = ctx.bitmart_key()
    with pytest.raises(ConnectRefused) as info:
        await accounts.replace_credentials(ctx.deps, uid, account.id, creds_of(foreign))
    assert info.value.user_message.code == "different_account"

    key2 = ctx.sandbox.admin.create_key(user["email"], memo="rotated")
    replaced, _ = await accounts.replace_credentials(ctx.deps, uid, account.id, creds_of(key2))
    assert replaced.api_key_mask.endswith(key2["api_key"][-4:])
    async with ctx.deps.sessions() as s:
        row = await s.get(ExchangeAccount, account.id)
        assert row is not None
        assert (await load_account(ctx.deps, uid, account.id))[1] == creds_of(key2)

    checked, result = await account_checks.check(ctx.deps, uid, account.id)
    assert result.verdict is Verdict.OK and checked.last_check_at is not None

    warnings = await accounts.disconnect(ctx.deps, uid, account.id)
    assert warnings == []
    assert await accounts.list_accounts(ctx.deps, uid) == []
    async with ctx.deps.sessions() as s:
        actions = [e.action for e in await audit_log.entries(ctx.deps, uid)]
        secrets_left = await s.scalar(
            text("select count(*) from sealed_secrets where ref = :r"), {"r": account.id}
        )
    assert secrets_left == 0
    for action in (
        "account.connected",
        "account.renamed",
        "account.credentials_replaced",
        "account.checked",
        "account.disconnected",
    ):
        assert action in actions
    # the key can be connected again after a disconnect
    again, _ = await connect_manual.add(ctx.deps, uid, creds_of(key2))
    assert again.id != account.id
