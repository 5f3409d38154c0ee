"""The trading API's answers, for the OpenAPI: prices, sizes and money as exact decimal strings.
Balances and orders have the live read's shapes (web/live/schemas.py)."""

from __future__ import annotations

from pydantic import Field

from perpdesk.core.decimal_input import DecimalOut as Dec
from perpdesk.web.answer import Answer
from perpdesk.web.live.schemas import BalanceOut, OrderOut


class SnapshotPositionOut(Answer):
    symbol: str
    side: str = Field(description="long | short")
    size: Dec = Field(description="Contracts.")
    entry_price: Dec
    mark_price: Dec
    leverage: Dec
    margin_mode: str
    unrealized_pnl: Dec
    realized_pnl: Dec
    margin: Dec
    liquidation_price: Dec | None
    contract_size: Dec
    notional: Dec
    pnl_percent: Dec | None = Field(description="Unrealised PnL over margin, percent.")


class AccountRefOut(Answer):
    id: str
    label: str
    exchange: str
    status: str


class SnapshotOut(Answer):
    """One account's figures: from its live mirror while fresh, else read from the exchange."""

    account: AccountRefOut
    balances: list[BalanceOut]
    positions: list[SnapshotPositionOut]
    open_orders: list[OrderOut]
    unrealized_pnl: Dec
    errors: dict[str, dict[str, str]] = Field(description="Per part that could not be read: its error.")
    source: str = Field(description="exchange | live | live_last_known")
    freshness: str = Field(description="What the page shows beside the values.")


class OverviewAnswer(Answer):
    accounts: list[SnapshotOut]


class BalancesAnswer(Answer):
    balances: list[BalanceOut]


class PositionsAnswer(Answer):
    positions: list[SnapshotPositionOut]


class InstrumentOut(Answer):
    symbol: str
    base: str
    quote: str
    contract_size: Dec
    price_tick: Dec
    size_step: Dec
    min_size: Dec
    max_size: Dec
    min_leverage: Dec
    max_leverage: Dec
    last_price: Dec | None
    index_price: Dec | None


class InstrumentsAnswer(Answer):
    instruments: list[InstrumentOut]


class IntentOut(Answer):
    """perpdesk's own record of an order, written before it is sent."""

    client_order_id: str
    purpose: str
    symbol: str
    side: str
    type: str
    size: Dec
    price: Dec | None
    status: str
    order_id: str | None
    error_code: str | None
    error_message: str | None
    created_at: str
    decided_after: str | None = Field(description="An unknown outcome is known by then (ISO, UTC).")


class OrdersAnswer(Answer):
    """state=open or history: `orders`; state=intents: `intents`."""

    orders: list[OrderOut] | None = None
    intents: list[IntentOut] | None = None


class OrderErrorOut(Answer):
    code: str
    message: str
    next_step: str | None = None
    field: str | None = None


class PlacementOut(Answer):
    client_order_id: str
    status: str = Field(description="pending | placed | rejected | unknown (being confirmed) | not_placed")
    symbol: str
    side: str
    type: str
    size: Dec
    price: Dec | None
    order_id: str | None
    error: OrderErrorOut | None
    decided_after: str | None


class EnvelopeErrorOut(Answer):
    code: str
    message: str
    field: str | None
    next_step: str | None


class PlacementAnswer(Answer):
    """201: the order; 202 (being confirmed) and 400 (refused): the order beside the error."""

    order: PlacementOut
    error: EnvelopeErrorOut | None = None


class SettledAnswer(Answer):
    orders: list[PlacementOut]


class ChangeOut(Answer):
    id: str | None
    kind: str = Field(description="cancel | amend | tp_sl")
    status: str = Field(description="applied | unknown | not_applied")
    message: str
    next_step: str | None
    decided_after: str | None


class ChangesAnswer(Answer):
    changes: list[ChangeOut]


class ChangePendingAnswer(Answer):
    """202: the exchange did not answer; perpdesk reads it and decides."""

    change: ChangeOut
    error: EnvelopeErrorOut


class AmendedAnswer(Answer):
    amended: str = Field(description="The order's id.")


class LeverageAnswer(Answer):
    symbol: str
    leverage: Dec
    margin_mode: str


class TpSlAnswer(Answer):
    symbol: str
    side: str = Field(description="long | short")
