"""The terminal API's answers, for the OpenAPI: prices, sizes and money as exact decimal strings.
Conditional orders and fills have the live read's shapes (web/live/schemas.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from perpdesk.core.decimal_input import DecimalOut as Dec
from perpdesk.web.answer import Answer
from perpdesk.web.live.schemas import FillOut, PlanOut
from perpdesk.web.trading.schemas import EnvelopeErrorOut


class TickerOut(BaseModel):
    symbol: str
    last_price: Dec
    mark_price: Dec
    change_24h: Dec = Field(description="A ratio: 0.0123 is +1.23 %.")
    high_24h: Dec
    low_24h: Dec
    volume_24h: Dec
    funding_rate: Dec
    next_funding_ms: int


class TickerAnswer(BaseModel):
    ticker: TickerOut


class CandleOut(BaseModel):
    time_s: int = Field(description="The candle's open, seconds since the epoch (UTC).")
    open: Dec
    high: Dec
    low: Dec
    close: Dec
    volume: Dec


class CandlesAnswer(BaseModel):
    interval: str
    candles: list[CandleOut]


class BookLevelOut(BaseModel):
    price: Dec
    size: Dec = Field(description="Contracts.")
    total: Dec = Field(description="Cumulative from the best price.")


class BookOut(BaseModel):
    symbol: str
    bids: list[BookLevelOut] = Field(description="Best (highest) first.")
    asks: list[BookLevelOut] = Field(description="Best (lowest) first.")
    timestamp_ms: int


class BookAnswer(BaseModel):
    book: BookOut


class ConditionalOrdersAnswer(BaseModel):
    orders: list[PlanOut]


class FillsAnswer(BaseModel):
    fills: list[FillOut]


class ModifiedAnswer(BaseModel):
    modified: str
    trigger_price: Dec


class CancelledAnswer(BaseModel):
    cancelled: str
    kind: str = Field(description="plan | take_profit | stop_loss | trailing")


class CancelCounts(BaseModel):
    orders: int
    conditional: int


class CancelAllAnswer(BaseModel):
    cancelled: CancelCounts


class PositionModeAnswer(BaseModel):
    mode: str = Field(description="one_way | hedge")


class ConditionalErrorOut(Answer):
    code: str
    message: str
    next_step: str
    exchange_code: str | None = None
    field: str | None = None


class ConditionalPlacementOut(Answer):
    kind: str = Field(description="plan | trailing")
    symbol: str
    status: str = Field(description="placed | rejected | unknown")
    client_order_id: str | None
    order_id: str | None
    error: ConditionalErrorOut | None


class ConditionalPlacedAnswer(Answer):
    """201: the orders; 202 (not confirmed) and 400 (refused): the orders beside the error."""

    orders: list[ConditionalPlacementOut]
    error: EnvelopeErrorOut | None = None
