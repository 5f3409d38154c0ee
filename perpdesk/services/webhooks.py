"""Outgoing webhooks: each queued delivery is POSTed as JSON, signed with the user's secret, and
retried with exponential backoff until it is accepted (2xx) or the attempts run out; every
attempt's outcome is kept in the delivery log.

Signature: ``X-Perpdesk-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`` with
``X-Perpdesk-Timestamp: <unix seconds>``; a receiver recomputes it over the raw body and refuses a
timestamp older than a few minutes (replay). ``X-Perpdesk-Delivery`` is the same on every retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx

from perpdesk.core.background import PeriodicTask
from perpdesk.core.errors import InputError
from perpdesk.services import notifications, webhook_url
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.webhook_target import ALLOW_SETTING, TargetRefused, webhook_client
from perpdesk.store.base import utcnow
from perpdesk.store.records import DeliveryRecord

log = logging.getLogger(__name__)
TIMEOUT_S = 5.0
BATCH = 50  # users per pass (at most)
PER_USER = 20  # deliveries per user per pass
USERS_AT_ONCE = 8
# a claimed delivery is due again after this if its attempt never records an outcome (the process
# died): at least once, so receivers dedupe by X-Perpdesk-Delivery
CLAIM_HOLD = timedelta(seconds=60)
DELIVER_JOB = "webhooks.deliver"  # payload: a delivery's id; its first attempt, right away


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str, *, now: float | None = None,
           tolerance_s: int = 300) -> bool:
    """What a receiver does (used by the tests' receiver; documented in docs/platform.md)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


@dataclass(frozen=True)
class Backoff:
    base_s: float
    max_attempts: int

    def after(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.base_s * 2 ** max(attempts - 1, 0))


def delivery_view(d: DeliveryRecord) -> dict[str, Any]:
    return {"id": d.id, "notification_id": d.notification_id, "url": d.url, "attempts": d.attempts,
            "delivered": d.delivered, "gave_up": d.gave_up, "last_status": d.last_status,
            "last_error": d.last_error, "created_at": d.created_at.isoformat(),
            "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None}


async def deliveries(deps: AccountsDeps, user_id: str, limit: int = 50) -> list[DeliveryRecord]:
    async with deps.uow() as uow:
        return await uow.webhooks.recent(user_id, limit)


async def _attempt(
    client: httpx.AsyncClient, d: DeliveryRecord, secret: bytes | None
) -> tuple[int | None, str | None]:
    if secret is None:
        return None, "no webhook secret: make one in Settings > Notifications"
    try:  # the rules it was saved under, again: a row stored before them may not pass
        target = webhook_url.parse(d.url)
    except InputError as exc:
        return None, f"the saved URL is refused: {exc.problem}"[:300]
    if target is None:
        return None, "no webhook URL"
    body = d.payload.encode()
    ts = int(time.time())
    headers = {"content-type": "application/json", "user-agent": "perpdesk-webhook/1",
               "x-perpdesk-timestamp": str(ts), "x-perpdesk-signature": sign(secret, ts, body),
               "x-perpdesk-delivery": d.id}
    try:
        response = await client.post(target.url, content=body, headers=headers)
    except TargetRefused as exc:
        return None, f"refused: {exc}; webhooks may not reach it (see {ALLOW_SETTING})"[:300]
    except httpx.TooManyRedirects:
        return None, "too many redirects"
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    return response.status_code, None if response.is_success else f"HTTP {response.status_code}"


async def _due(deps: AccountsDeps) -> dict[str, list[str]]:
    """The due deliveries by user, oldest first, at most PER_USER each: a user with a long queue
    (or a receiver that times out) takes no more of a pass than anyone else."""
    async with deps.uow() as uow:
        return await uow.webhooks.due(utcnow(), per_user=PER_USER, users=BATCH)


def outcome(backoff: Backoff, d: DeliveryRecord, status: int | None, error: str | None) -> DeliveryRecord:
    """The delivery after one more attempt: delivered, given up, or due again after the backoff."""
    attempts = d.attempts + 1
    d = replace(d, attempts=attempts, last_status=status, last_error=error)
    if error is None:
        return replace(d, delivered=True, next_attempt_at=None)
    if attempts >= backoff.max_attempts:
        log.info("webhook delivery %s given up after %d attempts: %s", d.id, attempts, error)
        return replace(d, gave_up=True, next_attempt_at=None)
    log.info("webhook delivery %s failed (attempt %d): %s", d.id, attempts, error)  # once per attempt
    return replace(d, next_attempt_at=utcnow() + backoff.after(attempts))


async def _record(deps: AccountsDeps, backoff: Backoff, delivery_id: str, status: int | None,
                  error: str | None) -> bool:
    async with deps.uow() as uow:
        d = await uow.webhooks.get(delivery_id)
        if d is None:
            return False
        await uow.webhooks.save(outcome(backoff, d, status, error))
        await uow.commit()
    return error is None


async def _claim(deps: AccountsDeps, delivery_id: str) -> DeliveryRecord | None:
    """The delivery, taken for one attempt, or None when it is not due (or another has it)."""
    now = utcnow()
    async with deps.uow() as uow:
        if not await uow.webhooks.claim(delivery_id, now, now + CLAIM_HOLD):
            return None
        d = await uow.webhooks.get(delivery_id)
        await uow.commit()
    return d


async def _deliver_one(deps: AccountsDeps, backoff: Backoff, client: httpx.AsyncClient,
                       delivery_id: str) -> bool:
    try:
        d = await _claim(deps, delivery_id)
        if d is None:
            return False
        status, error = await _attempt(client, d, await notifications.webhook_secret(deps, d.user_id))
    except Exception as exc:  # whatever it was, it is this delivery's failure, not the sender's
        status, error = None, f"failed: {type(exc).__name__}"
    try:
        return await _record(deps, backoff, delivery_id, status, error)
    except Exception:
        log.exception("webhook delivery %s: its outcome could not be recorded", delivery_id)
        return False


async def deliver_due(deps: AccountsDeps, backoff: Backoff, client: httpx.AsyncClient) -> int:
    """One pass over the due deliveries, users side by side; returns how many were accepted."""
    gate = asyncio.Semaphore(USERS_AT_ONCE)

    async def one_user(ids: list[str]) -> int:
        async with gate:
            return sum([await _deliver_one(deps, backoff, client, i) for i in ids])

    return sum(await asyncio.gather(*(one_user(ids) for ids in (await _due(deps)).values())))


class WebhookSender(PeriodicTask):
    name = "perpdesk-webhooks"

    def __init__(self, deps: AccountsDeps, backoff: Backoff, poll_s: float = 1.0) -> None:
        super().__init__()
        self.deps, self.backoff, self.poll_s = deps, backoff, poll_s
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = webhook_client(allow_private=self.deps.webhook_allow_private, timeout_s=TIMEOUT_S)
        return self._client

    async def run_pass(self) -> int:
        return await deliver_due(self.deps, self.backoff, self.client())

    async def deliver(self, payload: bytes) -> None:
        """The job: one attempt at a delivery just queued, if still due (its retries are the
        pass's: the row keeps attempts, backoff and outcome)."""
        await _deliver_one(self.deps, self.backoff, self.client(), payload.decode())

    def interval_s(self) -> float:
        return self.poll_s

    async def stop(self) -> None:
        await super().stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
