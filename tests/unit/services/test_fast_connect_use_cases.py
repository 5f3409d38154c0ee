"""Fast Connect's use cases on an in-memory unit of work, a fake exchange and a fake OAuth side:
one grant connects once, only from the browser session that started it; a refused key is
revoked and nothing is stored; disconnecting a Fast Connect account revokes its key."""

from __future__ import annotations

import pytest

from perpdesk.core.models import Permission
from perpdesk.services import accounts, fast_connect
from perpdesk.services.errors_text import ConnectRefused
from perpdesk.vault.key_hash import sha256_hex
from tests.unit.services.fakes import FakeConnector, FakeFastConnect, Tables, fake_deps

SESSION = "s" * 64


@pytest.fixture
def world() -> tuple[Tables, FakeConnector, FakeFastConnect]:
    exchange = FakeConnector()
    return Tables(), exchange, FakeFastConnect(exchange)


async def test_a_grant_connects_once_from_its_own_session(
    world: tuple[Tables, FakeConnector, FakeFastConnect],
) -> None:
    tables, exchange, oauth = world
    deps = fake_deps(tables, exchange, fast_connect=oauth)
    started = await fast_connect.start(deps, user_id="alice", session_hash=SESSION)
    assert oauth.asked["state"] == started.state and oauth.asked["ip_whitelist"] == ["127.0.0.1"]
    grant_id, grant = next(iter(tables.grants.items()))
    assert grant.state_hash == sha256_hex(started.state) and started.state not in repr(grant)
    assert (
        await fast_connect.status(deps, user_id="alice", session_hash=SESSION, state=started.state)
    ).status == ("pending")

    code = oauth.approve()
    # the callback in another browser session touches nothing
    other = await fast_connect.finish(deps, session_hash="x" * 64, state=started.state, code=code)
    assert other.status == "failed" and tables.grants[grant_id].status == "pending"

    done = await fast_connect.finish(deps, session_hash=SESSION, state=started.state, code=code)
    assert done.status == "connected" and done.account is not None
    assert done.account.label == "Fast Connect Futures" and done.account.method == "fast_connect"
    grant = tables.grants[grant_id]
    assert grant.status == "connected" and grant.sealed_issued_key is None
    again = await fast_connect.finish(deps, session_hash=SESSION, state=started.state, code=code)
    assert again.status == "failed" and len(tables.accounts) == 1
    polled = await fast_connect.status(deps, user_id="alice", session_hash=SESSION, state=started.state)
    assert (
        polled.status == "connected" and polled.account is not None and polled.account.id == done.account.id
    )
    assert [e.action for e in tables.audit] == ["fast_connect.started", "account.connected"]

    # disconnecting revokes the key the exchange created for us
    assert await accounts.disconnect(deps, "alice", done.account.id) == []
    assert len(oauth.revoked) == 1 and tables.accounts == {}


async def test_denied_and_refused_keys_store_nothing(
    world: tuple[Tables, FakeConnector, FakeFastConnect],
) -> None:
    tables, exchange, oauth = world
    deps = fake_deps(tables, exchange, fast_connect=oauth)
    first = await fast_connect.start(deps, user_id="alice", session_hash=SESSION)
    denied = await fast_connect.finish(deps, session_hash=SESSION, state=first.state, error="access_denied")
    assert denied.status == "denied"

    second = await fast_connect.start(deps, user_id="alice", session_hash=SESSION)
    code = oauth.approve(
        permissions=frozenset({Permission.READ, Permission.FUTURE_TRADE, Permission.WITHDRAW})
    )
    refused = await fast_connect.finish(deps, session_hash=SESSION, state=second.state, code=code)
    assert refused.status == "failed" and refused.message is not None
    assert refused.message.code == "withdraw_refused"
    assert len(oauth.revoked) == 1 and tables.accounts == {} and tables.credentials == {}

    with pytest.raises(ConnectRefused) as off:
        await fast_connect.start(deps, user_id="alice", session_hash=SESSION, enable_futures=False)
    assert off.value.user_message.code == "futures_not_enabled"
