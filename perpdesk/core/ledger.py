"""What an account's history is made of: fills (trades) and ledger transactions (realised PnL,
fees, funding, transfers), as the exchange reports them. Amounts are signed as the exchange signs
them: a fee paid or funding paid is negative."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal


class Flow(enum.StrEnum):
    TRANSFER = "transfer"
    REALIZED_PNL = "realized_pnl"
    FUNDING = "funding"
    FEE = "fee"
    LIQUIDATION = "liquidation"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Fill:
    trade_id: str
    order_id: str
    symbol: str
    side: str  # buy_open_long | buy_close_short | sell_close_long | sell_open_short
    price: Decimal
    size: Decimal  # contracts
    realised_pnl: Decimal
    fee: Decimal  # paid, positive
    time_ms: int


@dataclass(frozen=True, slots=True)
class Transaction:
    tran_id: str
    symbol: str
    flow: Flow
    amount: Decimal
    currency: str
    time_ms: int
