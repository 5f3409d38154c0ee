"""Value types of the trading terminal: market data (ticker, candles, book) and the conditional
orders the exchange keeps for an account (plan, TP/SL, trailing), plus the account's fills."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from perpdesk.core.models import MarginMode, OrderSide

# The chart's intervals (a subset of core.market.INTERVALS, the streams' names) and their length
# in minutes (BitMart's REST `step`).
CHART_INTERVALS: dict[str, int] = {
    "1m": 1,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1H": 60,
    "4H": 240,
    "1D": 1440,
    "1W": 10080,
}


@dataclass(frozen=True, slots=True)
class MarketSummary:
    """A symbol's REST ticker with its 24 h figures and funding (core.market.Ticker is the pushed one)."""

    symbol: str
    last_price: Decimal
    mark_price: Decimal
    change_24h: Decimal  # a ratio: 0.0123 = +1.23 %
    high_24h: Decimal
    low_24h: Decimal
    volume_24h: Decimal
    funding_rate: Decimal
    next_funding_ms: int


@dataclass(frozen=True, slots=True)
class ChartCandle:
    """A k-line of the chart's history (core.market.Candle is a pushed one, with its channel)."""

    time_s: int  # the candle's open, seconds since the epoch (UTC)
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Decimal
    size: Decimal  # contracts
    total: Decimal  # cumulative from the best price


@dataclass(frozen=True, slots=True)
class OrderBook:
    symbol: str
    bids: tuple[BookLevel, ...]  # best (highest) first
    asks: tuple[BookLevel, ...]  # best (lowest) first
    timestamp_ms: int


class PriceType(enum.StrEnum):
    """What a trigger watches: the last traded price or the mark ("fair") price."""

    LAST = "last"
    MARK = "mark"


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """A trigger (plan) order: when `trigger_price` is crossed, place a limit or market order."""

    symbol: str
    side: OrderSide
    size: Decimal
    trigger_price: Decimal
    client_order_id: str
    leverage: Decimal
    margin_mode: MarginMode
    executive_price: Decimal | None = None  # None: a market order
    price_type: PriceType = PriceType.LAST
    rising: bool = True  # fire when the price rises to the trigger (False: falls to it)


@dataclass(frozen=True, slots=True)
class TrailRequest:
    symbol: str
    side: OrderSide
    size: Decimal
    activation_price: Decimal
    callback_rate: Decimal  # percent, within the exchange's ExchangeInfo.trail_callback_pct
    leverage: Decimal
    margin_mode: MarginMode
    price_type: PriceType = PriceType.LAST
    client_order_id: str | None = None  # sent where the exchange keeps one (ExchangeInfo.trail_client_id)
