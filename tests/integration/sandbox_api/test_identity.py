"""The sandbox's Identity on a real SQLite state file: users, keys, OAuth clients, outbox."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest

from perpdesk.sandbox.identity import MAX_IPS_PER_KEY, Identity, IdentityClock, IdentityError
from perpdesk.sandbox.persist import Persist

T0 = 1_800_000_000.0  # a fixed "now" for the identity clock


@pytest.fixture
def state(tmp_path: Path) -> str:
    return str(tmp_path / "state.sqlite")


def test_users_keys_and_clients_survive_a_restart(state: str) -> None:
    persist = Persist(state)
    ident = Identity(persist)
    user = ident.create_user("Alice@Example.com", "correct horse battery")
    assert user.uid.isdigit() and len(user.uid) == 8
    pyotp.TOTP(user.totp_secret).now()  # a valid base32 secret
    key = ident.create_key(user.uid, "my memo", {"future_trade"}, ["127.0.0.1", "10.0.0.2"], label="bot")
    assert len(key.api_key) == 40 and len(key.secret_key) == 64
    assert key.permissions == {"read", "future_trade"}
    client, secret = ident.create_oauth_client("Platform", ["http://127.0.0.1:9000/cb"], "127.0.0.1")
    ident.request_whitelist(user.uid, user.email, "@alice")
    persist.close()

    raw = Path(state).read_bytes()
    assert b"correct horse battery" not in raw and secret.encode() not in raw  # only hashes are stored

    persist2 = Persist(state)
    again = Identity(persist2)
    loaded = again.user_by_email("alice@example.com")
    assert loaded is not None and loaded.uid == user.uid
    assert again.verify_password(loaded, "correct horse battery")
    assert not again.verify_password(loaded, "wrong horse battery")
    reloaded_key = again.key_by_api_key(key.api_key)
    assert reloaded_key is not None
    assert (reloaded_key.secret_key, reloaded_key.memo, reloaded_key.ip_whitelist) == (
        key.secret_key,
        "my memo",
        ["127.0.0.1", "10.0.0.2"],
    )
    assert loaded.whitelist_request.state == "pending" and loaded.whitelist_request.contact == "@alice"
    stored_client = again.oauth_client(client.client_id)
    assert stored_client is not None and again.verify_client_secret(stored_client, secret)
    assert not again.verify_client_secret(stored_client, secret + "x")
    persist2.close()


async def test_async_variants_do_not_block(state: str) -> None:
    ident = Identity(Persist(state))
    user = await ident.acreate_user("bob@example.com", "password-123")
    assert await ident.averify_password(user, "password-123")
    assert not await ident.averify_password(user, "password-124")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"memo": ""}, "memo"),
        ({"memo": "has#hash"}, "memo"),
        ({"memo": "x" * 65}, "memo"),
        ({"permissions": {"trade_everything"}}, "permissions"),
        ({"ip_whitelist": ["300.1.1.1"]}, "ip_whitelist"),
        ({"ip_whitelist": ["::1"]}, "ip_whitelist"),
        ({"ip_whitelist": [f"10.0.0.{i}" for i in range(MAX_IPS_PER_KEY + 1)]}, "ip_whitelist"),
    ],
)
def test_key_validation_names_the_field(state: str, kwargs: dict[str, object], field: str) -> None:
    ident = Identity(Persist(state))
    user = ident.create_user("carol@example.com", "password-123")
    args: dict[str, object] = {"memo": "ok", "permissions": {"future_trade"}, "ip_whitelist": []} | kwargs
    with pytest.raises(IdentityError) as info:
        ident.create_key(user.uid, **args)  # type: ignore[arg-type]
    assert info.value.field == field


def test_user_validation(state: str) -> None:
    ident = Identity(Persist(state))
    ident.create_user("dave@example.com", "password-123")
    with pytest.raises(IdentityError, match="already registered"):
        ident.create_user("DAVE@example.com", "password-123")
    with pytest.raises(IdentityError) as info:
        ident.create_user("not-an-email", "password-123")
    assert info.value.field == "email"
    with pytest.raises(IdentityError) as info:
        ident.create_user("erin@example.com", "short")
    assert info.value.field == "password"


def test_update_and_delete_key(state: str) -> None:
    ident = Identity(Persist(state))
    user = ident.create_user("frank@example.com", "password-123")
    key = ident.create_key(user.uid, "m", {"spot_trade"}, "127.0.0.1, 127.0.0.2")
    assert key.ip_whitelist == ["127.0.0.1", "127.0.0.2"]
    ident.update_key(key.api_key, permissions={"future_trade"}, ip_whitelist=[])
    assert key.permissions == {"read", "future_trade"} and key.ip_whitelist == []
    assert [k.api_key for k in ident.keys_of(user.uid)] == [key.api_key]
    assert ident.delete_key(key.api_key) and ident.key_by_api_key(key.api_key) is None
    assert not ident.delete_key(key.api_key)


def test_whitelist_request_is_auto_approved_after_the_delay(state: str) -> None:
    ident = Identity(Persist(state), auto_whitelist_after=60, clock=IdentityClock(lambda: T0))
    user = ident.create_user("gina@example.com", "password-123")
    assert not ident.is_futures_whitelisted(user.uid)
    ident.request_whitelist(user.uid, "gina@example.com", "gina@example.com")
    assert not ident.is_futures_whitelisted(user.uid)
    ident.clock.advance(59)
    assert not ident.is_futures_whitelisted(user.uid)
    ident.clock.advance(1)
    assert ident.is_futures_whitelisted(user.uid)
    assert user.whitelist_request.state == "approved"
    assert [m.subject for m in ident.outbox("GINA@example.com")] == [
        "BitMart Futures API whitelisting approved"
    ]


def test_due_requests_are_approved_in_bulk(state: str) -> None:
    ident = Identity(Persist(state), auto_whitelist_after=60, clock=IdentityClock(lambda: T0))
    users = [ident.create_user(f"bulk{i}@example.com", "password-123") for i in range(3)]
    for user in users[:2]:
        ident.request_whitelist(user.uid, user.email, user.email)
    assert ident.approve_due_whitelists() == 0
    ident.clock.advance(60)
    assert ident.approve_due_whitelists() == 2
    assert [u.futures_whitelisted for u in users] == [True, True, False]


def test_whitelist_without_auto_approval_waits_for_the_admin(state: str) -> None:
    ident = Identity(Persist(state))
    user = ident.create_user("hank@example.com", "password-123")
    with pytest.raises(IdentityError) as info:
        ident.request_whitelist(user.uid, "", "x")
    assert info.value.field == "cid_or_email"
    ident.request_whitelist(user.uid, user.uid, "@hank")
    assert not ident.is_futures_whitelisted(user.uid)
    ident.approve_whitelist(user.uid)
    assert ident.is_futures_whitelisted(user.uid)
