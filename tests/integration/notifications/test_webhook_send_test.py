""""Send test" for the saved webhook: delivered now through the signed delivery (the receiver
verifies the signature), the receiver's status or the reason shown, kept in the delivery log
and never retried, refused without a saved URL, throttled per user, and held to the same target
checks as every delivery. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from perpdesk.core.errors import InputError
from perpdesk.services import notifications, webhooks
from perpdesk.services.users.throttle import Limits, TooManyAttempts
from perpdesk.services.webhook_test_send import send_test
from perpdesk.services.webhooks import Backoff, verify
from tests.integration.notifications.receiver import Receiver
from tests.integration.notifications.test_webhooks import deps, new_user  # noqa: F401


async def test_a_test_message_is_delivered_signed_and_its_outcome_told(
    deps: notifications.AccountsDeps, receiver: Receiver  # noqa: F811
) -> None:
    user_id = await new_user(deps)
    limits = Limits()
    with pytest.raises(InputError) as no_url:
        await send_test(deps, limits, user_id)
    assert no_url.value.field == "webhook_url" and "Save a webhook URL" in no_url.value.next_step

    _prefs, secret = await notifications.save_prefs(deps, user_id, liquidation_pct="",
                                                    webhook_url=receiver.url)
    assert secret
    ok = await send_test(deps, limits, user_id)
    assert (ok.delivered, ok.status, ok.error) == (True, 200, None)
    assert ok.text == "Test delivered: your webhook answered HTTP 200."
    ((headers, body),) = receiver.requests
    assert verify(secret.encode(), headers["x-perpdesk-timestamp"], body, headers["x-perpdesk-signature"])
    assert json.loads(body)["type"] == "test" and headers["x-perpdesk-delivery"] == ok.delivery_id

    receiver.statuses = [503]
    failed = await send_test(deps, limits, user_id)
    assert (failed.delivered, failed.status, failed.error) == (False, 503, "HTTP 503")
    assert failed.text == "Test not delivered: HTTP 503."

    log = {d.id: d for d in await webhooks.deliveries(deps, user_id)}
    assert log[ok.delivery_id].delivered and log[failed.delivery_id].gave_up  # in the log, finished
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:  # and never retried
        assert await webhooks.deliver_due(deps, Backoff(0.01, 3), client) == 0
    assert len(receiver.requests) == 2

    for _ in range(3):  # 5 a minute per user
        await send_test(deps, limits, user_id)
    with pytest.raises(TooManyAttempts):
        await send_test(deps, limits, user_id)
    assert len(receiver.requests) == 5
    other = await new_user(deps)  # another user is not held back
    await notifications.save_prefs(deps, other, liquidation_pct="", webhook_url=receiver.url)
    assert (await send_test(deps, limits, other)).delivered


async def test_a_test_message_obeys_the_target_checks(
    deps: notifications.AccountsDeps, receiver: Receiver  # noqa: F811
) -> None:
    user_id = await new_user(deps)
    await notifications.save_prefs(deps, user_id, liquidation_pct="", webhook_url=receiver.url)
    guarded = replace(deps, webhook_allow_private=False)  # as configured by default
    outcome = await send_test(guarded, Limits(), user_id)
    assert not outcome.delivered and outcome.status is None
    assert outcome.error is not None and "loopback" in outcome.error
    assert "PERPDESK_WEBHOOK_ALLOW_PRIVATE" in outcome.error
    assert receiver.requests == []
