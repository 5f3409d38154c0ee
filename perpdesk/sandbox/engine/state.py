"""The engine's mutable records and how they become JSON documents for `Persist`.

Decimal fields are stored as exact strings and parsed back on load; nothing goes through float.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

ZERO = Decimal(0)

T = TypeVar("T")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # dataclasses.fields() is slow, and the clock
# saves every contract's market and candles each tick


def to_doc(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cls = type(obj)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(obj))
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, dict):
            value = {k: str(v) if isinstance(v, Decimal) else v for k, v in value.items()}
        out[name] = value
    return out


def from_doc(cls: type[T], doc: dict[str, Any]) -> T:
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in doc:
            continue
        value = doc[f.name]
        ftype = str(f.type)
        if value is not None and ftype.startswith("Decimal"):
            value = Decimal(value)
        elif ftype.startswith("dict[str, Decimal]"):
            value = {k: Decimal(v) for k, v in value.items()}
        kwargs[f.name] = value
    return cls(**kwargs)


@dataclass(slots=True)
class Account:
    uid: str
    spot: dict[str, Decimal] = field(default_factory=dict)  # available per currency
    balance: Decimal = ZERO  # futures USDT wallet balance (includes isolated margins)
    position_mode: str = "hedge_mode"
    # symbol -> {"leverage": "10", "open_type": "cross"}
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    # symbol -> cancel-all-after deadline in ms
    cancel_after: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Order:
    order_id: str
    uid: str
    symbol: str
    client_order_id: str
    side: int
    type: str  # limit | market | liquidate
    mode: int  # 1 GTC, 2 FOK, 3 IOC, 4 maker-only
    price: Decimal
    size: int
    leverage: Decimal
    open_type: str
    position_mode: str
    create_time: int
    update_time: int
    state: int = 2  # 2 = in the book (BitMart "check"), 4 = finished
    deal_size: int = 0
    deal_value: Decimal = ZERO  # sum(price * contracts) of fills, for deal_avg_price
    fee: Decimal = ZERO
    frozen: Decimal = ZERO  # margin + fee reserved for the unfilled opening part
    close_frozen: int = 0  # position volume reserved by an unfilled closing order
    tp_price: Decimal | None = None
    tp_type: int | None = None
    sl_price: Decimal | None = None
    sl_type: int | None = None
    stp_mode: int | None = None
    plan_order_id: str = ""

    @property
    def remaining(self) -> int:
        return self.size - self.deal_size

    @property
    def avg_price(self) -> Decimal:
        return self.deal_value / self.deal_size if self.deal_size else ZERO

    @property
    def closing(self) -> bool:
        return self.side in (2, 3)


@dataclass(slots=True)
class Position:
    uid: str
    symbol: str
    side: str  # long | short
    size: int
    entry: Decimal
    leverage: Decimal
    open_type: str
    open_time: int
    update_time: int
    margin: Decimal = ZERO  # isolated margin (cross margin is derived from entry / leverage)
    realized: Decimal = ZERO
    fee: Decimal = ZERO
    funding: Decimal = ZERO
    close_vol: int = 0
    close_value: Decimal = ZERO
    frozen_close: int = 0

    @property
    def key(self) -> str:
        return f"{self.uid}:{self.symbol}:{self.side}"

    @property
    def sign(self) -> int:
        return 1 if self.side == "long" else -1


@dataclass(slots=True)
class PlanOrder:
    order_id: str
    uid: str
    symbol: str
    client_order_id: str
    kind: str  # plan | take_profit | stop_loss
    side: int
    size: int  # 0 = the whole position (position TP/SL)
    trigger_price: Decimal
    price_type: int  # 1 last price, 2 fair (mark) price
    price_way: int  # 1 fires when the price rises to the trigger, 2 when it falls to it
    category: str  # limit | market: the order sent when triggered
    executive_price: Decimal | None
    leverage: Decimal
    open_type: str
    mode: int
    plan_category: int  # 1 TP/SL, 2 position TP/SL
    position_mode: str
    create_time: int
    update_time: int
    state: int = 1  # 1 waiting, 4 triggered or cancelled
    executive_order_id: str = ""
    tp_price: Decimal | None = None
    tp_type: int | None = None
    sl_price: Decimal | None = None
    sl_type: int | None = None
    # trailing orders (kind "trailing"): trigger_price is the activation price, price_type its
    # kind; once activated, `extreme` is the best price since (high for a sell, low for a buy)
    callback_rate: Decimal | None = None  # percent: 1 = 1%
    activated: bool = False
    extreme: Decimal | None = None


@dataclass(slots=True)
class Fill:
    trade_id: str
    order_id: str
    uid: str
    symbol: str
    side: int
    price: Decimal
    vol: int
    exec_type: str  # Taker | Maker
    realised_profit: Decimal
    paid_fees: Decimal
    create_time: int


@dataclass(slots=True)
class Txn:
    tran_id: str
    uid: str
    symbol: str
    flow_type: int  # 1 transfer, 2 realized pnl, 3 funding, 4 commission, 5 liquidation clearance
    amount: Decimal
    time: int


@dataclass(slots=True)
class Transfer:
    transfer_id: str
    uid: str
    currency: str
    amount: Decimal
    type: str
    timestamp: int
    state: str = "FINISHED"


@dataclass(slots=True)
class MarketState:
    symbol: str
    mark: Decimal
    last: Decimal
    last_tick_ms: int
    funding_rate: Decimal = ZERO
    next_funding_ms: int = 0
    open_interest: int = 0  # contracts held by sandbox users (one side)
    steps: int = 0  # random-walk steps taken: the walk's next draw follows from it


@dataclass(slots=True)
class Candle:
    symbol: str
    kind: str  # last | mark
    minute: int  # ms at the start of the minute
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = ZERO


@dataclass(slots=True)
class FundingRecord:
    symbol: str
    rate: Decimal
    time: int


@dataclass(slots=True)
class SubTransfer:
    """A futures USDT move between a main account and one of its sub-accounts."""

    request_no: str
    from_uid: str
    to_uid: str
    from_account: str  # usernames (emails), as BitMart lists them
    to_account: str
    currency: str
    amount: Decimal
    submission_time: int  # seconds
