"""One user's broken webhook never stops another user's: a URL the HTTP client refuses (a TAB, as
saved before URLs were normalised) or a delivery that fails in an unexpected way (its secret no
longer opens) is recorded as failed with its reason and backed off, while the other users' due
deliveries reach a real receiver on loopback in the same pass. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from perpdesk.core.errors import InputError
from perpdesk.services import notifications, webhooks
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.webhooks import Backoff
from perpdesk.store.base import utcnow
from perpdesk.store.notifications import NotificationSettings, WebhookDelivery
from perpdesk.store.sealed_secrets import SealedSecret
from tests.integration.notifications.receiver import Receiver
from tests.integration.notifications.test_webhooks import deps, new_user  # noqa: F401

BACKOFF = Backoff(base_s=60.0, max_attempts=5)


async def _user_with_webhook(deps: AccountsDeps, url: str) -> str:  # noqa: F811
    user_id = await new_user(deps)
    await notifications.save_prefs(deps, user_id, liquidation_pct=None, webhook_url=url)
    return user_id


async def _poison_url(deps: AccountsDeps, user_id: str, url: str) -> None:  # noqa: F811
    """What a database written before the URL rules holds: the raw URL, as typed."""
    async with deps.sessions() as s, s.begin():
        await s.execute(update(NotificationSettings).where(NotificationSettings.user_id == user_id)
                        .values(webhook_url=url))


@pytest.mark.parametrize("control", ["\t", "\r", "\n", "\x00", "\x7f"])
async def test_a_url_with_a_control_character_is_refused_on_the_field(
    deps: AccountsDeps, control: str  # noqa: F811
) -> None:
    user_id = await new_user(deps)
    with pytest.raises(InputError) as bad:
        await notifications.save_prefs(deps, user_id, liquidation_pct=None,
                                       webhook_url=f"https://hooks.example.com/x{control}y")
    assert bad.value.field == "webhook_url"
    assert "control characters" in str(bad.value) and "hooks.example.com" not in str(bad.value)
    assert (await notifications.get_prefs(deps, user_id)).webhook_url is None


async def test_poisoned_deliveries_fail_alone_and_back_off(
    deps: AccountsDeps, receiver: Receiver, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    tabbed = await _user_with_webhook(deps, receiver.url)
    await _poison_url(deps, tabbed, "https://hooks.example.com/x\ty")
    sealed_gone = await _user_with_webhook(deps, receiver.url)
    async with deps.sessions() as s, s.begin():  # its secret no longer opens (a vault error)
        await s.execute(update(SealedSecret).where(SealedSecret.user_id == sealed_gone)
                        .values(blob=b"not a sealed blob"))
    healthy = await _user_with_webhook(deps, receiver.url)
    for user_id in (tabbed, sealed_gone, healthy):  # the poisoned ones are due first
        await notifications.notify(deps, user_id, "fill", "Main: buy 1 BTCUSDT", "", f"fill:{user_id}")
    async with deps.sessions() as s, s.begin():
        await s.execute(update(WebhookDelivery).where(WebhookDelivery.user_id != healthy)
                        .values(next_attempt_at=utcnow() - timedelta(hours=1)))

    caplog.set_level(logging.INFO, logger="perpdesk.services.webhooks")
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        assert await webhooks.deliver_due(deps, BACKOFF, client) == 1
        assert await webhooks.deliver_due(deps, BACKOFF, client) == 0  # the failed ones wait
        assert await webhooks.deliver_due(deps, BACKOFF, client) == 0

    (ok,) = await webhooks.deliveries(deps, healthy)
    assert ok.delivered and len(receiver.requests) == 1
    (bad_url,) = await webhooks.deliveries(deps, tabbed)
    assert bad_url.attempts == 1 and not bad_url.delivered
    assert "control characters" in (bad_url.last_error or "")
    (bad_secret,) = await webhooks.deliveries(deps, sealed_gone)
    assert bad_secret.attempts == 1 and (bad_secret.last_error or "").startswith("failed: ")
    for d in (bad_url, bad_secret):
        assert d.next_attempt_at is not None and d.next_attempt_at > utcnow() + timedelta(seconds=50)
    failures = [r for r in caplog.records if "failed (attempt" in r.getMessage()]
    assert len(failures) == 2  # once each for the step, not once per pass


async def test_one_users_long_queue_leaves_room_for_others(
    deps: AccountsDeps, receiver: Receiver, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setattr(webhooks, "PER_USER", 2)
    monkeypatch.setattr(webhooks, "BATCH", 2)  # a pass takes 4 deliveries at most
    busy = await _user_with_webhook(deps, receiver.url)
    for i in range(8):  # older than anyone else's: first in line
        await notifications.notify(deps, busy, "fill", f"fill {i}", "", f"fill:busy:{i}")
    async with deps.sessions() as s, s.begin():
        await s.execute(update(WebhookDelivery).where(WebhookDelivery.user_id == busy)
                        .values(next_attempt_at=utcnow() - timedelta(hours=1)))
    other = await _user_with_webhook(deps, receiver.url)
    await notifications.notify(deps, other, "fill", "theirs", "", "fill:other")
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        await webhooks.deliver_due(deps, BACKOFF, client)
    assert [d.delivered for d in await webhooks.deliveries(deps, other)] == [True]
    assert sum(d.delivered for d in await webhooks.deliveries(deps, busy)) == 2
