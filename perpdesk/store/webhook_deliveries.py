"""The webhook delivery log: deliveries queued with their notification, each attempt's outcome,
and the due ones picked fairly across users (the table is in store/notifications.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.store.notifications import WebhookDelivery
from perpdesk.store.records import DeliveryRecord


def _record(d: WebhookDelivery) -> DeliveryRecord:
    return DeliveryRecord(
        d.id, d.user_id, d.notification_id, d.url, d.payload, d.created_at, d.attempts, d.delivered,
        d.gave_up, d.last_status, d.last_error, d.next_attempt_at,
    )


class WebhookDeliveryRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def save(self, d: DeliveryRecord) -> None:
        """Insert the delivery, or write its new state over the stored one."""
        row = await self.s.get(WebhookDelivery, d.id)
        if row is None:
            row = WebhookDelivery(id=d.id)
            self.s.add(row)
        for name in DeliveryRecord.__dataclass_fields__:
            setattr(row, name, getattr(d, name))
        await self.s.flush()

    async def get(self, delivery_id: str) -> DeliveryRecord | None:
        row = await self.s.get(WebhookDelivery, delivery_id)
        return _record(row) if row is not None else None

    async def recent(self, user_id: str, limit: int) -> list[DeliveryRecord]:
        rows = await self.s.scalars(
            select(WebhookDelivery).where(WebhookDelivery.user_id == user_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)
        )
        return [_record(r) for r in rows]

    async def claim(self, delivery_id: str, now: datetime, until: datetime) -> bool:
        """Take a due delivery for one attempt: it is not due again before `until` (unless its
        outcome says so). False when it is not due: delivered, given up, or taken by another
        process or task; so a delivery is attempted by one of them at a time."""
        d = WebhookDelivery
        result = await self.s.execute(
            update(d).where(d.id == delivery_id, d.delivered.is_(False), d.gave_up.is_(False),
                            d.next_attempt_at <= now)
            .values(next_attempt_at=until).execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def due(self, now: datetime, *, per_user: int, users: int) -> dict[str, list[str]]:
        """Ids of the due deliveries by user, oldest first, at most `per_user` each."""
        d = WebhookDelivery
        order = (d.next_attempt_at, d.id)
        rank = func.row_number().over(partition_by=d.user_id, order_by=order).label("rank")
        due = select(d.id, d.user_id, d.next_attempt_at, rank).where(
            d.delivered.is_(False), d.gave_up.is_(False), d.next_attempt_at <= now).subquery()
        rows = (await self.s.execute(
            select(due.c.id, due.c.user_id).where(due.c.rank <= per_user)
            .order_by(due.c.next_attempt_at, due.c.id).limit(users * per_user)
        )).all()
        by_user: dict[str, list[str]] = {}
        for delivery_id, user_id in rows:
            by_user.setdefault(user_id, []).append(delivery_id)
        return by_user
