"""Send a test message to the saved webhook now ("Send test" in Settings > Notifications), through
the same signed delivery and target checks as every notification, and tell the outcome: the
receiver's status code, or why it could not be reached. Kept in the delivery log; never retried.
Throttled per user, since each one makes this server open a connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from perpdesk.core.errors import InputError
from perpdesk.services import notifications
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.users.throttle import Limits
from perpdesk.services.webhook_target import webhook_client
from perpdesk.services.webhooks import TIMEOUT_S
from perpdesk.services.webhooks import _attempt as attempt  # the one delivery code path
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.records import DeliveryRecord

RULE = "webhook_test_user"
REASONS = {  # the delivery logs httpx's exception name; a person reads what it means
    "ConnectError": "could not connect (the host does not resolve, or refused the connection)",
    "ConnectTimeout": f"could not connect within {TIMEOUT_S:.0f} s",
    "ReadTimeout": f"no answer within {TIMEOUT_S:.0f} s",
    "RemoteProtocolError": "the server did not answer HTTP properly",
}


@dataclass(frozen=True)
class SendTestOutcome:
    delivery_id: str
    delivered: bool
    status: int | None  # the receiver's HTTP status, when it answered
    error: str | None  # why it was not accepted

    def to_dict(self) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "delivered": self.delivered, "status": self.status,
                "error": self.error}

    @property
    def text(self) -> str:
        if self.delivered:
            return f"Test delivered: your webhook answered HTTP {self.status}."
        reason = REASONS.get(self.error or "", self.error)
        return f"Test not delivered: {reason}."


async def send_test(deps: AccountsDeps, limits: Limits, user_id: str) -> SendTestOutcome:
    prefs = await notifications.get_prefs(deps, user_id)
    if not prefs.webhook_url:
        raise InputError("webhook_url", "is not saved yet", "Save a webhook URL first, then send a test.")
    await limits.spend("webhook tests", RULE, user_id)
    now = utcnow()
    payload = {"id": new_id(), "type": "test", "title": "perpdesk test message",
               "body": "Your webhook works: perpdesk will POST your notifications here.",
               "account_id": None, "created_at": now.isoformat()}
    d = DeliveryRecord(new_id(), user_id, None, prefs.webhook_url,
                       json.dumps(payload, separators=(",", ":")), now)
    secret = await notifications.webhook_secret(deps, user_id)
    async with webhook_client(allow_private=deps.webhook_allow_private, timeout_s=TIMEOUT_S) as client:
        status, error = await attempt(client, d, secret)
    d = replace(d, attempts=1, last_status=status, last_error=error, delivered=error is None,
                gave_up=error is not None)
    async with deps.uow() as uow:
        await uow.webhooks.save(d)
        await uow.commit()
    return SendTestOutcome(d.id, error is None, status, error)
