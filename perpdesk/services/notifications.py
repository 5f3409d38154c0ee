"""In-app notifications per user (read/unread) and each user's notification settings: the
liquidation-distance threshold and the optional webhook (URL, and a signing secret sealed in the
vault and shown once when made). A notification is stored once per event (its dedupe key) and,
when the user has a webhook, queued for delivery in the same transaction."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perpdesk.core.decimal_input import NumberError, parse_number
from perpdesk.core.money import fmt
from perpdesk.services import webhook_url as webhook_url_rules
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.records import DeliveryRecord, NotificationPrefsRecord, NotificationRecord

log = logging.getLogger(__name__)

PCT_PLACES = 4
WEBHOOK_REF, WEBHOOK_PURPOSE = "webhook", "webhook_secret"
# a fill; a take profit, stop loss, trailing stop or trigger (plan) order fired; near liquidation;
# a key problem
KINDS = ("fill", "take_profit", "stop_loss", "trailing_stop", "trigger", "liquidation", "key")


def view(n: NotificationRecord) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "account_id": n.account_id,
            "created_at": n.created_at.isoformat(), "read": n.read}


async def notify(
    deps: AccountsDeps, user_id: str, kind: str, title: str, body: str, dedupe_key: str,
    account_id: str | None = None,
) -> NotificationRecord | None:
    """Store the notification unless this event was notified already; queue its webhook."""
    n, delivery_id = await _store(deps, user_id, kind, title, body, dedupe_key, account_id)
    if n is not None:
        changed(deps, user_id)
    if delivery_id is not None and deps.on_webhook_queued is not None:
        try:
            await deps.on_webhook_queued(delivery_id)
        except Exception:  # the delivery is stored: the webhook pass sends it
            log.warning("webhook delivery %s: its job could not be queued", delivery_id, exc_info=True)
    return n


def changed(deps: AccountsDeps, user_id: str) -> None:
    """Tell open pages the user's unread count may have changed (after the commit)."""
    if deps.on_notifications_changed is not None:
        deps.on_notifications_changed(user_id)


async def _store(
    deps: AccountsDeps, user_id: str, kind: str, title: str, body: str, dedupe_key: str,
    account_id: str | None,
) -> tuple[NotificationRecord | None, str | None]:
    """The notification (None: notified already) and its webhook delivery's id, if one was queued."""
    delivery_id = None
    async with deps.uow() as uow:
        n = await uow.notifications.add_once(user_id=user_id, kind=kind, title=title[:200], body=body[:1000],
                                             dedupe_key=dedupe_key[:200], account_id=account_id)
        if n is None:
            return None, None
        prefs = await uow.notifications.prefs(user_id)
        if prefs.webhook_url:
            payload = {"id": n.id, "type": kind, "title": n.title, "body": n.body,
                       "account_id": account_id, "created_at": n.created_at.isoformat()}
            delivery_id = new_id()
            await uow.webhooks.save(DeliveryRecord(delivery_id, user_id, n.id, prefs.webhook_url,
                                                   json.dumps(payload, separators=(",", ":")), utcnow(),
                                                   next_attempt_at=utcnow()))
        await uow.commit()
        return n, delivery_id


async def listing(
    deps: AccountsDeps, user_id: str, *, unread_only: bool = False, limit: int = 50
) -> list[NotificationRecord]:
    async with deps.uow() as uow:
        return await uow.notifications.recent(user_id, unread_only=unread_only, limit=limit)


async def unread_count(deps: AccountsDeps, user_id: str) -> int:
    async with deps.uow() as uow:
        return await uow.notifications.unread_count(user_id)


async def mark_read(deps: AccountsDeps, user_id: str, ids: list[str] | None = None) -> int:
    async with deps.uow() as uow:
        marked = await uow.notifications.mark_read(user_id, ids)
        await uow.commit()
    if marked:
        changed(deps, user_id)
    return marked


@dataclass(frozen=True)
class Prefs:
    liquidation_pct: Decimal | None
    webhook_url: str | None
    has_secret: bool

    def to_dict(self) -> dict[str, Any]:
        return {"liquidation_pct": fmt(self.liquidation_pct) if self.liquidation_pct is not None else None,
                "webhook_url": self.webhook_url, "webhook_secret_set": self.has_secret}


async def get_prefs(deps: AccountsDeps, user_id: str) -> Prefs:
    async with deps.uow() as uow:
        row = await uow.notifications.prefs(user_id)
        sealed = await uow.secrets.exists(user_id=user_id, ref=WEBHOOK_REF, purpose=WEBHOOK_PURPOSE)
        return Prefs(stored_pct(row.liquidation_pct), row.webhook_url, sealed)


def parse_pct(value: str | None) -> Decimal | None:
    """The liquidation distance in percent of the mark price: more than 0, less than 100."""
    if value is None or not str(value).strip():
        return None
    return parse_number(value, "liquidation_pct", "liquidation distance", above=Decimal(0),
                        below=Decimal(100), places=PCT_PLACES)


def stored_pct(value: Decimal | None) -> Decimal | None:
    """A threshold saved before the bounds (say 1e-99999999, megabytes when written out) is off."""
    try:
        return parse_pct(str(value)) if value is not None else None
    except NumberError:
        return None


async def save_prefs(
    deps: AccountsDeps, user_id: str, *, liquidation_pct: str | None, webhook_url: str | None
) -> tuple[Prefs, str | None]:
    """Validate everything first, then save; a first webhook URL gets a new secret (returned once)."""
    pct, parsed = parse_pct(liquidation_pct), webhook_url_rules.parse(webhook_url)
    if parsed is not None:
        await webhook_url_rules.check_target(parsed, allow_private=deps.webhook_allow_private)
    url = parsed.url if parsed is not None else None
    async with deps.uow() as uow:
        await uow.notifications.save_prefs(user_id, NotificationPrefsRecord(pct, url))
        await uow.commit()
    prefs = await get_prefs(deps, user_id)
    if url and not prefs.has_secret:
        secret = await rotate_secret(deps, user_id)
        return await get_prefs(deps, user_id), secret
    return prefs, None


async def rotate_secret(deps: AccountsDeps, user_id: str) -> str:
    """A new webhook signing secret: sealed in the vault; this return is the only time it is seen."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    async with deps.uow() as uow:
        await uow.secrets.put(user_id=user_id, ref=WEBHOOK_REF, purpose=WEBHOOK_PURPOSE, plaintext=secret)
        await uow.commit()
    return secret


async def webhook_secret(deps: AccountsDeps, user_id: str) -> bytes | None:
    async with deps.uow() as uow:
        return await uow.secrets.get(user_id=user_id, ref=WEBHOOK_REF, purpose=WEBHOOK_PURPOSE)
