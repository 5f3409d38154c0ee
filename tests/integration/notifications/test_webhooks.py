"""Webhooks delivered to a real HTTP server on loopback that verifies the HMAC signature; a 500
is retried with backoff and then delivered; settings validate the URL and show the secret once.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.core.errors import InputError
from perpdesk.services import notifications, webhooks
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.webhooks import Backoff, sign, verify
from perpdesk.store.records import DeliveryRecord
from perpdesk.store.repos import UserRepo
from tests.fixtures.services import accounts_deps
from tests.integration.notifications.receiver import Receiver


@pytest.fixture
def deps(db_sessionmaker: async_sessionmaker[AsyncSession]) -> AccountsDeps:
    # the receiver is on loopback: private targets allowed (tests/.../test_webhook_targets.py: refused)
    return accounts_deps(db_sessionmaker, connector=None, webhook_allow_private=True)  # type: ignore[arg-type]


async def new_user(deps: AccountsDeps) -> str:
    async with deps.sessions() as s, s.begin():
        return (await UserRepo(s).create(f"w-{time.time_ns()}@example.com", "x")).id


async def test_signed_delivery_retried_after_a_500(deps: AccountsDeps, receiver: Receiver) -> None:
    user_id = await new_user(deps)
    save = notifications.save_prefs
    prefs, secret = await save(deps, user_id, liquidation_pct="12.5", webhook_url=receiver.url)
    assert secret and secret.startswith("whsec_") and prefs.has_secret and prefs.webhook_url == receiver.url
    assert "whsec_" not in json.dumps((await notifications.get_prefs(deps, user_id)).to_dict())
    again, no_secret = await save(deps, user_id, liquidation_pct="10", webhook_url=receiver.url)
    assert no_secret is None and str(again.liquidation_pct) == "10"

    n = await notifications.notify(deps, user_id, "fill", "Main: buy 1 BTCUSDT", "fee 0.1", "fill:a:1", None)
    assert n is not None
    assert await notifications.notify(deps, user_id, "fill", "dup", "", "fill:a:1") is None  # once per event

    receiver.statuses = [500]
    backoff = Backoff(base_s=0.05, max_attempts=3)
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        assert await webhooks.deliver_due(deps, backoff, client) == 0
        (d,) = await webhooks.deliveries(deps, user_id)
        assert (d.attempts, d.delivered, d.last_status, d.last_error) == (1, False, 500, "HTTP 500")
        assert await webhooks.deliver_due(deps, backoff, client) == 0  # not due yet: no second request
        assert len(receiver.requests) == 1
        deadline = time.monotonic() + 5
        delivered = 0
        while not delivered and time.monotonic() < deadline:
            time.sleep(0.05)
            delivered = await webhooks.deliver_due(deps, backoff, client)
    assert delivered == 1
    (d,) = await webhooks.deliveries(deps, user_id)
    assert d.delivered and d.attempts == 2 and d.last_status == 200

    first, second = receiver.requests
    for headers, body in (first, second):
        assert verify(secret.encode(), headers["x-perpdesk-timestamp"], body, headers["x-perpdesk-signature"])
        assert not verify(secret.encode(), headers["x-perpdesk-timestamp"], body + b" ",
                          headers["x-perpdesk-signature"])
        assert headers["x-perpdesk-delivery"] == d.id
        assert json.loads(body)["id"] == n.id and json.loads(body)["type"] == "fill"
    ts = int(first[0]["x-perpdesk-timestamp"])
    assert not verify(secret.encode(), str(ts), first[1], sign(secret.encode(), ts, first[1]), now=ts + 301)


async def test_gives_up_after_the_attempts_and_logs_why(deps: AccountsDeps, receiver: Receiver) -> None:
    user_id = await new_user(deps)
    await notifications.save_prefs(deps, user_id, liquidation_pct=None, webhook_url=receiver.url)
    await notifications.notify(deps, user_id, "key", "Main: wrong key", "", "key:a:wrong")
    receiver.statuses = [503, 503]
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        await webhooks.deliver_due(deps, Backoff(0.0, 2), client)
        await webhooks.deliver_due(deps, Backoff(0.0, 2), client)
        await webhooks.deliver_due(deps, Backoff(0.0, 2), client)
    (d,) = await webhooks.deliveries(deps, user_id)
    assert isinstance(d, DeliveryRecord) and d.gave_up and not d.delivered and d.attempts == 2
    assert len(receiver.requests) == 2 and webhooks.delivery_view(d)["last_error"] == "HTTP 503"


@pytest.mark.parametrize(
    ("pct", "url", "field"),
    [
        ("0", None, "liquidation_pct"),
        ("abc", None, "liquidation_pct"),
        ("100", None, "liquidation_pct"),
        (None, "ftp://example.com/x", "webhook_url"),
        (None, "https://user:pw@example.com/x", "webhook_url"),
        (None, "https:///nohost", "webhook_url"),
        (None, "https://example.com:99999/x", "webhook_url"),
    ],
)
async def test_bad_settings_name_the_field_and_change_nothing(
    deps: AccountsDeps, pct: str | None, url: str | None, field: str
) -> None:
    user_id = await new_user(deps)
    with pytest.raises(InputError) as bad:
        await notifications.save_prefs(deps, user_id, liquidation_pct=pct, webhook_url=url)
    assert bad.value.field == field and bad.value.next_step
    prefs = await notifications.get_prefs(deps, user_id)
    assert (prefs.liquidation_pct, prefs.webhook_url, prefs.has_secret) == (None, None, False)


async def test_read_and_unread(deps: AccountsDeps) -> None:
    user_id, other = await new_user(deps), await new_user(deps)
    a = await notifications.notify(deps, user_id, "fill", "one", "", "k1")
    await notifications.notify(deps, user_id, "fill", "two", "", "k2")
    await notifications.notify(deps, other, "fill", "theirs", "", "k1")
    assert await notifications.unread_count(deps, user_id) == 2
    assert a is not None and await notifications.mark_read(deps, user_id, [a.id]) == 1
    assert [n.title for n in await notifications.listing(deps, user_id, unread_only=True)] == ["two"]
    assert await notifications.mark_read(deps, user_id) == 1
    assert await notifications.unread_count(deps, user_id) == 0
    assert await notifications.unread_count(deps, other) == 1


async def test_a_threshold_stored_before_the_bounds_reads_as_off(deps: AccountsDeps) -> None:
    """1e-99999999 was once accepted: written out it is 100 MB, so it is read as no threshold."""
    user_id = await new_user(deps)
    await notifications.save_prefs(deps, user_id, liquidation_pct="5", webhook_url=None)
    async with deps.sessions() as s, s.begin():  # as text: PostgreSQL refuses it written out
        await s.execute(text("UPDATE notification_settings SET liquidation_pct = '1E-99999999' "
                             "WHERE user_id = :u"), {"u": user_id})
    prefs = await notifications.get_prefs(deps, user_id)
    assert prefs.liquidation_pct is None and len(json.dumps(prefs.to_dict())) < 200
    for hostile in ("1e-99999999", "1e-999999999", "\u0665", "\U0001d7d3", "\uff11\uff10", "12.34567"):
        with pytest.raises(InputError) as bad:
            await notifications.save_prefs(deps, user_id, liquidation_pct=hostile, webhook_url=None)
        assert bad.value.field == "liquidation_pct" and hostile not in str(bad.value)
