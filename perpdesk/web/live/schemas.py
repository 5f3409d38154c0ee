"""The live read's JSON shape, for the OpenAPI. Money, prices and sizes are exact decimal strings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from perpdesk.core.decimal_input import DecimalOut as Dec  # an exact decimal string, e.g. "95000.5"


class FreshnessOut(BaseModel):
    state: str = Field(description="starting | fresh | stale | disconnected | stopped")
    since_ms: int = Field(description="When the account entered this state (ms since the epoch).")
    reason: str = Field(description="Why it is not fresh, in plain words; empty when fresh.")
    fresh: bool


class BalanceOut(BaseModel):
    currency: str
    equity: Dec = Field(description="At the live mark price (moved by the uPnL since the exchange's figure).")
    available: Dec
    unrealized_pnl: Dec
    position_margin: Dec
    frozen: Dec


class PositionOut(BaseModel):
    symbol: str
    side: str = Field(description="long | short")
    size: Dec = Field(description="Contracts.")
    entry_price: Dec
    mark_price: Dec
    leverage: Dec
    margin_mode: str
    unrealized_pnl: Dec = Field(description="At mark_price.")
    realized_pnl: Dec
    margin: Dec
    liquidation_price: Dec | None
    contract_size: Dec
    notional: Dec
    pnl_percent: Dec | None = Field(description="Unrealised PnL over margin, percent.")
    live_mark: bool = Field(description="mark_price is the live one (else the last snapshot's).")


class OrderOut(BaseModel):
    symbol: str
    order_id: str
    client_order_id: str | None
    side: str
    type: str
    state: str
    size: Dec
    filled_size: Dec
    price: Dec | None
    avg_fill_price: Dec | None
    leverage: Dec | None
    margin_mode: str | None
    created_at_ms: int
    updated_at_ms: int


class PlanOut(BaseModel):
    symbol: str
    order_id: str
    client_order_id: str | None
    kind: str = Field(description="plan | take_profit | stop_loss | trailing")
    side: str
    size: Dec
    trigger_price: Dec = Field(description="The activation price for a trailing stop.")
    execution_price: Dec | None = Field(description="None: market when triggered.")
    price_type: str = Field(description="last_price | mark_price")
    callback_rate: Dec | None
    created_at_ms: int


class FillOut(BaseModel):
    trade_id: str
    order_id: str
    symbol: str
    side: str
    price: Dec
    size: Dec
    realised_pnl: Dec
    fee: Dec
    time_ms: int


class LiveAccountOut(BaseModel):
    account_id: str
    label: str
    exchange: str
    freshness: FreshnessOut
    balances: list[BalanceOut]
    positions: list[PositionOut]
    unrealized_pnl: Dec
    margin_in_use: Dec | None = Field(None, description="USDT position margin + order margin.")
    snapshot_at_ms: int = Field(description="When the exchange was last read in full.")
    open_orders: list[OrderOut]
    plans: list[PlanOut]
    fills: list[FillOut] = Field(description="Recent fills, newest first.")
    order_history: list[OrderOut] = Field(description="Recent filled and cancelled orders, newest first.")
    position_mode: str | None = Field(description="one_way | hedge; null until read.")
