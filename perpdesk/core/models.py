"""Value types shared by connectors, services and the sandbox. Frozen, Decimal, no I/O."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from perpdesk.core.errors import ExchangeError


class Permission(enum.StrEnum):
    READ = "read"
    SPOT_TRADE = "spot_trade"
    FUTURE_TRADE = "future_trade"
    WITHDRAW = "withdraw"


class Market(enum.StrEnum):
    FUTURES = "futures"


class ConnectMethod(enum.StrEnum):
    MANUAL = "manual"
    FAST_CONNECT = "fast_connect"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    AWAITING_WHITELIST = "awaiting_whitelist"
    ERROR = "error"


def mask(value: str, keep: int = 4) -> str:
    """Show only the last `keep` characters of an identifier (never used on secrets' content)."""
    if len(value) <= keep:
        return "*" * len(value)
    return "…" + value[-keep:]


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key with its secret and passphrase (BitMart's memo). repr never shows secrets."""

    api_key: str
    secret: str = field(repr=False)
    passphrase: str = field(repr=False, default="")

    def __repr__(self) -> str:
        return f"Credentials(api_key={mask(self.api_key)!r}, secret=***, passphrase=***)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    equity: Decimal
    available: Decimal
    unrealized_pnl: Decimal = Decimal(0)
    position_margin: Decimal = Decimal(0)
    frozen: Decimal = Decimal(0)


class PositionSide(enum.StrEnum):
    LONG = "long"
    SHORT = "short"


class MarginMode(enum.StrEnum):
    CROSS = "cross"
    ISOLATED = "isolated"


class PositionMode(enum.StrEnum):
    ONE_WAY = "one_way"
    HEDGE = "hedge"


@dataclass(frozen=True, slots=True)
class Instrument:
    """A perpetual contract's trading rules."""

    symbol: str
    base: str
    quote: str
    contract_size: Decimal
    price_tick: Decimal
    size_step: Decimal  # in contracts; BitMart's vol_precision
    min_size: Decimal
    max_size: Decimal
    min_leverage: Decimal
    max_leverage: Decimal
    last_price: Decimal | None = None
    index_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    side: PositionSide
    size: Decimal  # contracts
    entry_price: Decimal
    mark_price: Decimal
    leverage: Decimal
    margin_mode: MarginMode
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    margin: Decimal
    liquidation_price: Decimal | None = None
    contract_size: Decimal = Decimal(1)


class OrderSide(enum.StrEnum):
    BUY_OPEN_LONG = "buy_open_long"
    BUY_CLOSE_SHORT = "buy_close_short"
    SELL_CLOSE_LONG = "sell_close_long"
    SELL_OPEN_SHORT = "sell_open_short"


class OrderType(enum.StrEnum):
    LIMIT = "limit"
    MARKET = "market"


class TimeInForce(enum.StrEnum):
    GTC = "gtc"
    FOK = "fok"
    IOC = "ioc"
    POST_ONLY = "post_only"


class OrderState(enum.StrEnum):
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


CLIENT_ID_PREFIX = "pd"  # every order perpdesk sends carries it (reconciliation looks for it)


def new_client_order_id() -> str:
    """30 letters and digits: within BitMart's 1-31 [A-Za-z0-9] and unique enough to never collide."""
    return CLIENT_ID_PREFIX + uuid.uuid4().hex[:28]


@dataclass(frozen=True, slots=True)
class OrderRequest:
    symbol: str
    side: OrderSide
    size: Decimal  # contracts
    client_order_id: str
    type: OrderType = OrderType.LIMIT
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    leverage: Decimal | None = None
    margin_mode: MarginMode | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Order:
    symbol: str
    order_id: str
    client_order_id: str | None
    side: OrderSide
    type: OrderType
    state: OrderState
    size: Decimal
    filled_size: Decimal
    price: Decimal | None
    avg_fill_price: Decimal | None
    leverage: Decimal | None
    margin_mode: MarginMode | None
    created_at_ms: int
    updated_at_ms: int


class PlacementStatus(enum.StrEnum):
    PLACED = "placed"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class OrderResult:
    """Outcome of place_order: placed (with the exchange's id), rejected (why), or unknown.

    `sent_timestamp_ms` is the signed timestamp the request left with (exchange time);
    `decided_after_ms` (our wall clock) is when the exchange can no longer execute it: an unknown
    outcome becomes "not placed" only after that, and only if a look-up then finds nothing."""

    status: PlacementStatus
    client_order_id: str
    order_id: str | None = None
    error: ExchangeError | None = None
    sent_timestamp_ms: int | None = None
    decided_after_ms: int | None = None


@dataclass(frozen=True, slots=True)
class KeyReport:
    """What one API key can do, as far as the exchange lets us see.

    Tri-state fields: True / False / None (None = could not be determined, e.g. because an
    earlier check failed or the exchange does not reveal it).
    """

    key_known: bool | None
    signature_valid: bool | None  # covers secret and passphrase together on BitMart
    ip_allowed: bool | None
    futures_whitelisted: bool | None
    permissions: frozenset[Permission] | None
    ip_whitelist: tuple[str, ...] | None
    balances: tuple[Balance, ...] = ()
    account_id: str | None = None  # the exchange's account id (BitMart uid), to refuse duplicates
    passphrase_distinguishable: bool = False  # can a wrong passphrase be told from a wrong secret?
    error: ExchangeError | None = None  # the first blocking problem, if any

    @property
    def usable_for_futures(self) -> bool:
        return (
            self.error is None
            and bool(self.signature_valid)
            and bool(self.ip_allowed)
            and bool(self.futures_whitelisted)
            and self.permissions is not None
            and Permission.FUTURE_TRADE in self.permissions
        )


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key the exchange created for us through Fast Connect (secret and memo included)."""

    credentials: Credentials
    permissions: frozenset[Permission]
    ip_whitelist: tuple[str, ...]
    label: str | None = None


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One private-stream update, normalised: kind is 'asset', 'position' or 'order', or 'resync': a
    REST snapshot (balances, positions, open_orders) emitted after every (re)connection."""

    kind: str
    payload: dict[str, object]
