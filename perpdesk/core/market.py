"""Market-data and account-activity value types the live streams carry. Frozen, Decimal, no I/O.

Market data is public and shared by every user (one subscription per symbol and channel); plan
orders and fills belong to one account and feed its mirror.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from perpdesk.core.models import OrderSide

# k-line intervals every connector names the same way (BitMart's WebSocket names)
INTERVALS = ("1m", "5m", "15m", "30m", "1H", "2H", "4H", "1D", "1W")


class MarketKind(enum.StrEnum):
    TICKER = "ticker"
    DEPTH = "depth"
    KLINE = "kline"  # last-price candles
    MARK_KLINE = "mark_kline"  # mark-price candles
    FUNDING = "funding"


@dataclass(frozen=True, slots=True, order=True)
class MarketChannel:
    """One public subscription: kind + symbol (+ interval for the k-line kinds)."""

    kind: MarketKind
    symbol: str
    interval: str = ""

    def __post_init__(self) -> None:
        wants_interval = self.kind in (MarketKind.KLINE, MarketKind.MARK_KLINE)
        if wants_interval and self.interval not in INTERVALS:
            raise ValueError(f"interval {self.interval!r}: one of {', '.join(INTERVALS)}")
        if not wants_interval and self.interval:
            raise ValueError(f"{self.kind.value} takes no interval")
        if not self.symbol:
            raise ValueError("symbol is required")

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.symbol}" + (f":{self.interval}" if self.interval else "")


@dataclass(frozen=True, slots=True)
class Ticker:
    symbol: str
    last_price: Decimal
    mark_price: Decimal
    index_price: Decimal
    change_24h: Decimal  # fraction: 0.0123 = +1.23 %
    volume_24h: Decimal
    bid_price: Decimal
    ask_price: Decimal
    at_ms: int


@dataclass(frozen=True, slots=True)
class Depth:
    """A whole book of `levels` per side, best first: (price, size in contracts)."""

    symbol: str
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]
    at_ms: int
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Candle:
    symbol: str
    interval: str
    mark: bool  # mark-price candle (else last price)
    start_s: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class FundingRate:
    symbol: str
    rate: Decimal
    funding_time_ms: int
    next_rate: Decimal | None
    next_funding_time_ms: int | None
    at_ms: int


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """The connection itself: up (subscriptions restored) or down (since `at_ms`, reason)."""

    connected: bool
    at_ms: int
    reason: str = ""


MarketEvent = Ticker | Depth | Candle | FundingRate | StreamStatus


class PlanKind(enum.StrEnum):
    PLAN = "plan"  # trigger order
    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"
    TRAILING = "trailing"


@dataclass(frozen=True, slots=True)
class PlanOrder:
    """A waiting conditional order: trigger (plan), position TP/SL, or trailing stop."""

    symbol: str
    order_id: str
    client_order_id: str | None
    kind: PlanKind
    side: OrderSide
    size: Decimal
    trigger_price: Decimal  # activation price for a trailing stop
    execution_price: Decimal | None  # None: market on trigger
    price_type: str  # "last_price" | "mark_price"
    callback_rate: Decimal | None
    created_at_ms: int
