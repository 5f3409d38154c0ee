"""The account use cases on an in-memory unit of work and a fake exchange: connect, duplicates,
rename, replace, check, disconnect. Fast, and no database: the SQL side is in
tests/integration/accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from perpdesk.core.errors import NotFound
from perpdesk.core.models import Credentials, Permission
from perpdesk.services import account_checks, accounts, audit_log, connect_manual
from perpdesk.services.errors_text import ConnectRefused
from perpdesk.services.key_audit import Verdict
from tests.unit.services.fakes import FakeConnector, Tables, fake_deps


@pytest.fixture
def world() -> tuple[Tables, FakeConnector]:
    return Tables(), FakeConnector()


async def test_add_seals_stores_and_audits_in_one_commit(world: tuple[Tables, FakeConnector]) -> None:
    tables, exchange = world
    deps = fake_deps(tables, exchange)
    creds = exchange.issue()
    account, result = await connect_manual.add(deps, "alice", creds, label="  Main  ")
    assert result.verdict is Verdict.OK and account.label == "Main" and account.status == "active"
    assert tables.commits == 1
    assert tables.credentials[("alice", account.id)] == creds
    assert [e.action for e in tables.audit] == ["account.connected"]
    assert creds.secret not in str(tables.audit[0].detail) and creds.api_key not in str(
        tables.audit[0].detail
    )
    assert [a.id for a in await accounts.list_accounts(deps, "alice")] == [account.id]
    assert await accounts.list_accounts(deps, "bob") == []


async def test_a_refused_key_stores_nothing(world: tuple[Tables, FakeConnector]) -> None:
    tables, exchange = world
    deps = fake_deps(tables, exchange)
    good = exchange.issue()
    with pytest.raises(ConnectRefused) as refused:
        await connect_manual.add(deps, "alice", Credentials(good.api_key, "wrong", good.passphrase))
    assert refused.value.user_message.code == "invalid_signature"
    assert tables.accounts == {} and tables.credentials == {} and tables.audit == []


async def test_duplicate_is_told_only_after_the_signature_is_verified(
    world: tuple[Tables, FakeConnector],
) -> None:
    tables, exchange = world
    deps = fake_deps(tables, exchange)
    creds = exchange.issue()
    await connect_manual.add(deps, "alice", creds)
    # someone holding only the API key learns nothing about whether it is connected here
    probe = await connect_manual.inspect(deps, "mallory", Credentials(creds.api_key, "guess", "guess"))
    assert probe.verdict is Verdict.REFUSED and probe.problem is not None
    assert probe.problem.code == "invalid_signature"
    # the key's holder is told it is connected already
    with pytest.raises(ConnectRefused) as dup:
        await connect_manual.inspect(deps, "bob", creds)
    assert dup.value.status == 409 and dup.value.user_message.code == "duplicate_key"
    # another key of the same exchange account is refused too, and nothing was stored for it
    other = exchange.issue(account_id=exchange.keys[creds.api_key].account_id)
    with pytest.raises(ConnectRefused) as dup_account:
        await connect_manual.add(deps, "bob", other)
    assert dup_account.value.status == 409 and len(tables.accounts) == 1


async def test_awaiting_whitelisting_needs_the_users_choice(world: tuple[Tables, FakeConnector]) -> None:
    tables, exchange = world
    deps = fake_deps(tables, exchange, recheck_base=timedelta(seconds=10), recheck_max=timedelta(seconds=30))
    creds = exchange.issue(whitelisted=False)
    with pytest.raises(ConnectRefused) as refused:
        await connect_manual.add(deps, "alice", creds)
    assert refused.value.user_message.code == "futures_not_whitelisted" and tables.accounts == {}
    account, _ = await connect_manual.add(deps, "alice", creds, accept_awaiting_whitelist=True)
    assert account.status == "awaiting_whitelist"
    row = tables.accounts[account.id]
    assert row.next_check_at is not None and row.last_error == "futures_not_whitelisted"

    # re-checks back off while waiting, then the account turns active with a notice
    await account_checks.check(deps, "alice", account.id, actor="system")
    await account_checks.check(deps, "alice", account.id, actor="system")
    assert tables.accounts[account.id].check_attempts == 2
    assert account_checks.backoff(deps, 3) == timedelta(seconds=30)
    exchange.keys[creds.api_key].whitelisted = True
    checked, result = await account_checks.check(deps, "alice", account.id, actor="system")
    assert result.verdict is Verdict.OK and checked.status == "active"
    assert tables.accounts[account.id].next_check_at is None
    notices = await audit_log.unread_notices(deps, "alice")
    assert len(notices) == 1 and notices[0].kind == "whitelisted"
    assert [e.action for e in await audit_log.entries(deps, "alice")][:2] == [
        "account.status_changed",
        "account.checked",
    ]


async def test_rename_replace_disconnect(world: tuple[Tables, FakeConnector]) -> None:
    tables, exchange = world
    deps = fake_deps(tables, exchange)
    creds = exchange.issue()
    account, _ = await connect_manual.add(deps, "alice", creds)
    renamed = await accounts.rename(deps, "alice", account.id, " Scalping ")
    assert renamed.label == "Scalping"
    with pytest.raises(NotFound):
        await accounts.rename(deps, "bob", account.id, "mine now")

    foreign = exchange.issue()  # a key of another exchange account
    with pytest.raises(ConnectRefused) as different:
        await accounts.replace_credentials(deps, "alice", account.id, foreign)
    assert different.value.user_message.code == "different_account"
    assert tables.credentials[("alice", account.id)] == creds

    same_account = exchange.issue(account_id=exchange.keys[creds.api_key].account_id)
    replaced, _ = await accounts.replace_credentials(deps, "alice", account.id, same_account)
    assert replaced.api_key_mask.endswith(same_account.api_key[-4:])
    assert tables.credentials[("alice", account.id)] == same_account

    assert await accounts.disconnect(deps, "alice", account.id) == []
    assert tables.accounts == {} and tables.credentials == {}
    assert [e.action for e in tables.audit] == [
        "account.connected",
        "account.renamed",
        "account.credentials_replaced",
        "account.disconnected",
    ]


async def test_a_withdraw_key_needs_an_explicit_acceptance_kept_in_the_audit_log(
    world: tuple[Tables, FakeConnector],
) -> None:
    tables, exchange = world
    deps = fake_deps(tables, exchange)
    creds = exchange.issue(
        permissions=frozenset({Permission.READ, Permission.FUTURE_TRADE, Permission.WITHDRAW})
    )
    refused = await connect_manual.inspect(deps, "alice", creds)
    assert refused.verdict is Verdict.REFUSED and refused.problem is not None
    assert refused.problem.code == "withdraw_refused"
    with pytest.raises(ConnectRefused):
        await connect_manual.add(deps, "alice", creds)
    assert tables.accounts == {}

    account, _ = await connect_manual.add(deps, "alice", creds, allow_withdraw=True)
    assert account.withdraw_allowed and "withdraw_enabled" in account.warnings
    accepted = [e for e in tables.audit if e.action == "account.withdraw_accepted"]
    assert len(accepted) == 1 and accepted[0].account_id == account.id
    assert accepted[0].detail["key"] == account.api_key_mask
    # a later check keeps honouring the acceptance given for this key
    checked, again = await account_checks.check(deps, "alice", account.id)
    assert again.verdict is Verdict.OK and checked.status == "active"
    # a replacement key is asked again: without the acceptance it is refused
    same_account = exchange.issue(
        account_id=exchange.keys[creds.api_key].account_id,
        permissions=exchange.keys[creds.api_key].permissions,
    )
    with pytest.raises(ConnectRefused) as again_refused:
        await accounts.replace_credentials(deps, "alice", account.id, same_account)
    assert again_refused.value.user_message.code == "withdraw_refused"
