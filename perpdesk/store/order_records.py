"""What the order repositories hand the trading use cases: frozen intents, lost changes and ticket
claims, and their vocabularies. No SQLAlchemy here (services import these freely); a service
changes a record with `dataclasses.replace` and writes it back through its repository (`save`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class IntentStatus(enum.StrEnum):
    PENDING = "pending"  # written, about to be sent (a crash here leaves it pending: settle it)
    PLACED = "placed"
    REJECTED = "rejected"  # the exchange answered no
    UNKNOWN = "unknown"  # being confirmed: may still be executed until `decided_after`
    NOT_PLACED = "not_placed"  # no answer, and absent at the exchange after its window closed

    @property
    def final(self) -> bool:
        return self not in (IntentStatus.PENDING, IntentStatus.UNKNOWN)


UNSETTLED = (IntentStatus.UNKNOWN.value, IntentStatus.PENDING.value)


class ChangeKind(enum.StrEnum):
    CANCEL = "cancel"
    AMEND = "amend"
    TP_SL = "tp_sl"


class ChangeStatus(enum.StrEnum):
    UNKNOWN = "unknown"  # sent, no answer: being confirmed by reading the exchange
    APPLIED = "applied"
    NOT_APPLIED = "not_applied"


class IntentPurpose(enum.StrEnum):
    ORDER = "order"  # an order from the ticket or the API
    CLOSE = "close"  # a market order closing a whole position
    ADOPTED = "adopted"  # found at the exchange with our client-id prefix but no record: repaired
    PLAN = "plan"  # a trigger order: matched at the exchange by its terms when its answer is lost
    TRAIL = "trail"  # a trailing stop (BitMart gives it no client id): matched by its terms

    @property
    def conditional(self) -> bool:
        return self in (IntentPurpose.PLAN, IntentPurpose.TRAIL)


FIRST_SLOT = "-"  # the slot of an unconfirmed ticket: a second identical one collides on it


@dataclass(frozen=True, slots=True)
class IntentRecord:
    """One order as written before it was sent, and what became of it (store/orders.py)."""

    id: str
    user_id: str
    account_id: str
    exchange: str
    client_order_id: str
    purpose: str  # IntentPurpose
    symbol: str
    side: str  # OrderSide
    type: str  # OrderType
    time_in_force: str
    size: Decimal
    status: str  # IntentStatus
    created_at: datetime
    updated_at: datetime
    price: Decimal | None = None
    leverage: Decimal | None = None
    margin_mode: str | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    order_id: str | None = None  # the exchange's id
    error_code: str | None = None
    error_message: str | None = None
    settle_attempts: int = 0
    settled_at: datetime | None = None
    sent_timestamp_ms: int | None = None
    decided_after: datetime | None = None
    next_check_at: datetime | None = None
    trigger_price: Decimal | None = None
    callback_rate: Decimal | None = None
    price_type: str | None = None

    @property
    def terms(self) -> tuple[object, ...]:
        """What makes two intents the same ticket (`unsettled_like`)."""
        return (self.symbol, self.side, self.type, self.size, self.price, self.trigger_price,
                self.callback_rate)


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A cancel, amend or TP/SL change whose answer was lost."""

    id: str
    user_id: str
    account_id: str
    kind: str  # ChangeKind
    symbol: str
    status: str  # ChangeStatus
    created_at: datetime
    updated_at: datetime
    order_id: str | None = None
    client_order_id: str | None = None
    side: str | None = None  # TP/SL: the position side
    price: Decimal | None = None
    size: Decimal | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    message: str | None = None
    settle_attempts: int = 0
    decided_after: datetime | None = None
    next_check_at: datetime | None = None
    settled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A ticket being sent (store/ticket_claims.py)."""

    id: str
    user_id: str
    account_id: str
    ticket_key: str  # a hash of the ticket's terms
    slot: str
    kind: str  # order, close, plan, trail, tp_sl
    symbol: str
    side: str
    owner: str  # the sending process's token
    since: datetime
    expires_at: datetime
    client_order_id: str | None = None
    size: Decimal | None = None
    price: Decimal | None = None


__all__ = [
    "FIRST_SLOT",
    "UNSETTLED",
    "ChangeKind",
    "ChangeRecord",
    "ChangeStatus",
    "ClaimRecord",
    "IntentPurpose",
    "IntentRecord",
    "IntentStatus",
]
