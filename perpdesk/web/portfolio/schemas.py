"""The portfolio and notifications APIs' answers, for the OpenAPI: money as exact decimal strings."""

from __future__ import annotations

from pydantic import Field

from perpdesk.core.decimal_input import DecimalOut as Dec
from perpdesk.web.answer import Answer
from perpdesk.web.trading.schemas import SnapshotOut


class TotalOut(Answer):
    equity: Dec
    available: Dec
    margin: Dec = Field(description="Position margin plus order margin.")
    unrealized_pnl: Dec


class SummaryAnswer(Answer):
    accounts: list[SnapshotOut]
    total: TotalOut = Field(description="USDT, over every account.")


class PnlTotalOut(Answer):
    realised_pnl: Dec
    fees: Dec = Field(description="Paid fees are negative.")
    funding: Dec = Field(description="Received positive, paid negative.")
    net: Dec


class PnlRowOut(PnlTotalOut):
    period: str = Field(description="The period's first day, YYYY-MM-DD.")


class PnlAnswer(Answer):
    period: str = Field(description="day | week | month")
    rows: list[PnlRowOut] = Field(description="Newest period first.")
    total: PnlTotalOut


class EquityPointOut(Answer):
    taken_at: str
    equity: Dec
    unrealized_pnl: Dec


class EquityAnswer(Answer):
    points: list[EquityPointOut] = Field(description="Oldest first.")


class FillRowOut(Answer):
    account_id: str
    account: str = Field(description="The account's label.")
    time: str = Field(description="ISO 8601, UTC, milliseconds.")
    time_ms: int
    symbol: str
    side: str
    price: Dec
    size: Dec
    realised_pnl: Dec
    fee: Dec
    order_id: str
    trade_id: str


class FillsHistoryAnswer(Answer):
    fills: list[FillRowOut] = Field(description="Newest first.")


class NotificationOut(Answer):
    id: str
    kind: str
    title: str
    body: str
    account_id: str | None
    created_at: str
    read: bool


class NotificationsAnswer(Answer):
    notifications: list[NotificationOut]
    unread: int


class MarkedAnswer(Answer):
    marked: int = Field(description="How many were marked read.")


class NotifySettingsAnswer(Answer):
    liquidation_pct: Dec | None
    webhook_url: str | None
    webhook_secret_set: bool
    webhook_secret: str | None = Field(
        None, description="Only when a first webhook URL is saved: store it now."
    )


class WebhookSecretAnswer(Answer):
    webhook_secret: str = Field(description="Shown this once.")


class DeliveryOut(Answer):
    id: str
    notification_id: str | None
    url: str
    attempts: int
    delivered: bool
    gave_up: bool
    last_status: int | None
    last_error: str | None
    created_at: str
    next_attempt_at: str | None


class DeliveriesAnswer(Answer):
    deliveries: list[DeliveryOut]


class TestSentAnswer(Answer):
    delivery_id: str
    delivered: bool
    status: int | None = Field(description="The receiver's HTTP status, when it answered.")
    error: str | None = Field(description="Why it was not accepted.")
