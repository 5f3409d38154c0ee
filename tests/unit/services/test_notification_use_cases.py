"""Notifications on the in-memory unit of work: the settings (threshold, webhook URL, its secret
shown once), one notification per event (dedupe key) with its webhook queued alongside, read
state, and the watcher's pass over every account. No database, no exchange server: those sides
are in tests/integration/notifications and tests/integration/trading/test_notification_watch.py."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from perpdesk.core.errors import InputError
from perpdesk.core.ledger import Fill
from perpdesk.core.models import Credentials, MarginMode, Position, PositionSide
from perpdesk.services import notification_watch, notifications
from perpdesk.store.base import utcnow
from tests.unit.services.store_fakes import Book, BookConnector, StoreTables, store_deps

HOOK = "http://127.0.0.1:9/hook"


async def test_settings_validate_then_save_and_a_first_webhook_gets_its_secret_once() -> None:
    tables = StoreTables()
    deps = store_deps(tables, BookConnector(), webhook_allow_private=True)
    assert (await notifications.get_prefs(deps, "alice")).to_dict() == {
        "liquidation_pct": None,
        "webhook_url": None,
        "webhook_secret_set": False,
    }
    prefs, secret = await notifications.save_prefs(deps, "alice", liquidation_pct=" 12.5 ", webhook_url=HOOK)
    assert prefs.to_dict() == {"liquidation_pct": "12.5", "webhook_url": HOOK, "webhook_secret_set": True}
    assert secret is not None and secret.startswith("whsec_")
    assert await notifications.webhook_secret(deps, "alice") == secret.encode()
    again, none = await notifications.save_prefs(deps, "alice", liquidation_pct=None, webhook_url=HOOK)
    assert none is None and again.liquidation_pct is None  # the secret stays; it is never shown again
    assert await notifications.webhook_secret(deps, "alice") == secret.encode()
    assert await notifications.get_prefs(deps, "bob") == notifications.Prefs(None, None, False)


@pytest.mark.parametrize(
    ("field", "pct", "url"),
    [
        ("liquidation_pct", "250", None),
        ("liquidation_pct", "abc", None),
        ("webhook_url", None, "ftp://example.com/hook"),
        (
            "webhook_url",
            None,
            "https://127.0.0.1/hook",
        ),  # this machine: refused unless the operator allows it
    ],
)
async def test_bad_settings_are_refused_on_their_field_and_nothing_is_saved(
    field: str, pct: str | None, url: str | None
) -> None:
    tables = StoreTables()
    deps = store_deps(tables, BookConnector())
    with pytest.raises(InputError) as refused:
        await notifications.save_prefs(deps, "alice", liquidation_pct=pct, webhook_url=url)
    assert refused.value.field == field
    for value in (pct, url):
        assert value is None or value not in refused.value.message
    assert tables.prefs == {} and tables.secrets == {}


async def test_one_notification_per_event_with_its_webhook_queued() -> None:
    tables, told = StoreTables(), []
    deps = store_deps(
        tables, BookConnector(), webhook_allow_private=True, on_notifications_changed=told.append
    )
    await notifications.save_prefs(deps, "alice", liquidation_pct=None, webhook_url=HOOK)
    first = await notifications.notify(deps, "alice", "fill", "Main: buy 1 BTCUSDT", "body", "fill:a:1", "a")
    assert first is not None and first.kind == "fill" and not first.read
    assert await notifications.notify(deps, "alice", "fill", "again", "", "fill:a:1", "a") is None
    assert (
        await notifications.notify(deps, "bob", "fill", "Bob's", "", "fill:a:1") is not None
    )  # bob has no hook
    assert told == ["alice", "bob"]
    (d,) = tables.deliveries.values()
    assert d.user_id == "alice" and d.url == HOOK and d.notification_id == first.id
    assert json.loads(d.payload) == {
        "id": first.id,
        "type": "fill",
        "title": "Main: buy 1 BTCUSDT",
        "body": "body",
        "account_id": "a",
        "created_at": first.created_at.isoformat(),
    }
    assert await notifications.unread_count(deps, "alice") == 1
    assert await notifications.mark_read(deps, "alice") == 1
    assert await notifications.unread_count(deps, "alice") == 0
    assert [n.read for n in await notifications.listing(deps, "alice")] == [True]
    assert await notifications.unread_count(deps, "bob") == 1


def _position(mark: str, liq: str) -> Position:
    return Position(
        "BTCUSDT",
        PositionSide.LONG,
        Decimal(2),
        Decimal(100),
        Decimal(mark),
        Decimal(10),
        MarginMode.ISOLATED,
        Decimal(0),
        Decimal(0),
        Decimal(20),
        Decimal(liq),
    )


async def test_the_watch_notifies_key_problems_fills_and_liquidation_once_each() -> None:
    tables, exchange = StoreTables(), BookConnector()
    now_ms = int(utcnow().timestamp() * 1000)
    fill = Fill(
        "t1",
        "o1",
        "BTCUSDT",
        "buy_open_long",
        Decimal("100.5"),
        Decimal(2),
        Decimal(0),
        Decimal("0.1"),
        now_ms - 60_000,
    )
    exchange.books["key-main"] = Book(positions=[_position("100", "97")], fills=[fill])  # 3 % away
    main = tables.add_account(
        "alice", "Main", Credentials("key-main", "s", "m"), warnings=["withdraw_enabled"]
    )
    tables.add_account("alice", "Waiting", Credentials("key-none", "s", "m"), status="awaiting_whitelist")
    deps = store_deps(tables, exchange, webhook_allow_private=True)
    await notifications.save_prefs(deps, "alice", liquidation_pct="5", webhook_url=None)
    for _ in range(2):
        await notification_watch.run_once(deps, rest=True)
    kinds = sorted((n.kind, n.account_id) for n in await notifications.listing(deps, "alice"))
    assert kinds == [("fill", main), ("key", main), ("liquidation", main)]
    (key,) = [n for n in await notifications.listing(deps, "alice") if n.kind == "key"]
    assert key.title.startswith("Main: ") and key.dedupe_key == f"key:{main}:withdraw_enabled"
    assert "key-none" not in exchange.books  # the account that cannot trade was not asked


async def test_with_live_mirrors_the_watch_reads_only_key_problems() -> None:
    tables, exchange = StoreTables(), BookConnector()
    tables.add_account("alice", "Main", Credentials("key-main", "s", "m"), warnings=["withdraw_enabled"])
    deps = store_deps(tables, exchange)
    await notification_watch.run_once(deps, rest=False)
    assert [n.kind for n in await notifications.listing(deps, "alice")] == ["key"]
    assert sum(exchange.calls.values()) == 0


async def test_a_warning_that_stays_is_stored_once_and_not_tried_again_each_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tables, exchange = StoreTables(), BookConnector()
    tables.add_account("alice", "Main", Credentials("key-main", "s", "m"), warnings=["withdraw_enabled"])
    deps = store_deps(tables, exchange)
    tried: list[str] = []
    real_notify = notification_watch.notify

    async def counting(*args: object, **kw: object) -> object:
        tried.append(str(args[5]))  # the dedupe key
        return await real_notify(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(notification_watch, "notify", counting)
    stored = notification_watch.KnownKeys()
    for _ in range(3):
        await notification_watch.run_once(deps, rest=False, stored=stored)
    assert len(tried) == 1  # not a write attempt per pass
    # another process taking the pass over reads what is stored in one query: no attempt either
    await notification_watch.run_once(deps, rest=False, stored=notification_watch.KnownKeys())
    assert len(tried) == 1
    assert [n.kind for n in await notifications.listing(deps, "alice")] == ["key"]
    # a new warning is notified at the next pass
    (acct,) = tables.accounts.accounts.values()
    tables.accounts.accounts[acct.id] = replace(acct, warnings=("withdraw_enabled", "no_ip"))
    await notification_watch.run_once(deps, rest=False, stored=stored)
    assert tried[1:] == [f"key:{acct.id}:no_ip"]


async def test_a_full_memo_of_stored_warnings_forgets_them_and_still_stores_each_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past `most` keys the memo starts over (bounded memory): the warnings it forgot are tried
    again, and the store's dedupe key keeps each to one notification."""
    tables, exchange = StoreTables(), BookConnector()
    for label in ("A", "B", "C"):
        creds = Credentials(f"key-{label}", "s", "m")
        tables.add_account("alice", label, creds, warnings=["withdraw_enabled"])
    deps = store_deps(tables, exchange)
    tried: list[str] = []
    real_notify = notification_watch.notify

    async def counting(*args: object, **kw: object) -> object:
        tried.append(str(args[5]))
        return await real_notify(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(notification_watch, "notify", counting)
    stored = notification_watch.KnownKeys(most=2)
    stored.load(set())  # a first pass with nothing stored yet
    await notification_watch.run_once(deps, rest=False, stored=stored)
    assert len(tried) == 3 and len(set(tried)) == 3
    assert len(stored._keys) <= 2  # never more than `most`
    await notification_watch.run_once(deps, rest=False, stored=stored)
    assert 3 < len(tried) <= 6  # the forgotten ones tried again...
    listed = await notifications.listing(deps, "alice")
    assert sorted(n.dedupe_key for n in listed) == sorted(set(tried))  # ...and stored once each


async def test_with_live_mirrors_the_warned_accounts_are_read_again_only_when_accounts_changed() -> None:
    tables, exchange = StoreTables(), BookConnector()
    tables.add_account("alice", "Main", Credentials("key-main", "s", "m"), warnings=["withdraw_enabled"])
    deps = store_deps(tables, exchange)
    watcher = notification_watch.NotificationWatcher(deps, 15.0, rest=False)
    for _ in range(3):
        await watcher.run_pass()
    assert tables.reads["accounts.with_key_problems"] == 1
    (acct,) = tables.accounts.accounts.values()
    checked = replace(acct, warnings=("withdraw_enabled", "no_ip"), updated_at=utcnow())
    tables.accounts.accounts[acct.id] = checked
    await watcher.run_pass()
    assert tables.reads["accounts.with_key_problems"] == 2
    assert sorted(n.dedupe_key for n in await notifications.listing(deps, "alice")) == [
        f"key:{acct.id}:no_ip", f"key:{acct.id}:withdraw_enabled"]
