"""The connector contract the services are written against.

Connectors hold no secrets: credentials are passed per call, opened by the service from the vault
and dropped after. Per-key state (rate-limit buckets, clock offset) is keyed by the API key id.
Adding an exchange's perpetuals means implementing these Protocols and adding an entry to
exchanges/registry.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from perpdesk.core.ledger import Fill, Transaction
from perpdesk.core.market import MarketChannel, MarketEvent, PlanOrder
from perpdesk.core.models import (
    Balance,
    Credentials,
    Instrument,
    IssuedKey,
    KeyReport,
    MarginMode,
    Order,
    OrderRequest,
    OrderResult,
    Position,
    PositionMode,
    PositionSide,
    StreamEvent,
)
from perpdesk.core.terminal import (
    ChartCandle,
    MarketSummary,
    OrderBook,
    PlanRequest,
    PriceType,
    TrailRequest,
)


@dataclass(frozen=True, slots=True)
class ExchangeInfo:
    id: str  # "bitmart"
    name: str  # "Bitmart"
    markets: tuple[str, ...]  # ("futures",)
    credential_fields: tuple[str, ...]  # ("api_key", "secret", "passphrase")
    passphrase_hint: str  # "The Memo you gave the key on BitMart's API Management page"
    supports_fast_connect: bool
    unsupported_note: str = ""  # e.g. "BitMart Spot is not supported"
    # what the trading services ask of the exchange's conditional orders, as data:
    trail_callback_pct: tuple[Decimal, Decimal] = (Decimal("0.1"), Decimal(5))  # min, max (%)
    trail_client_id: bool = True  # a trailing stop keeps the client order id it was sent with
    # orders are sized in the contract's base asset (Binance's quantity: 2.5 SOL), not in contracts
    sizes_in_base: bool = False
    # The connect flow's words, in the exchange's own vocabulary (set in exchanges/registry.py):
    company: str = ""  # as the company spells itself in messages ("BitMart"); default: name
    on_verb: str = "turn on"  # how a permission is switched on its key page: "enable", "tick"
    off_verb: str = "turn off"
    key_page: str = "the exchange's API Management page"  # where keys are made and edited
    key_name: str = "API key"  # what the exchange calls the key's id: "Access Key", "API Key"
    secret_name: str = "Secret Key"  # noqa: S105 (a field's name, not a secret)
    edit_key: str = "edit the key"  # the action that changes a key's settings there
    futures_permission: str = "Futures trading"  # "Future-Trade", "Enable Futures"
    withdraw_permission: str = "Withdraw"  # "Withdraw", "Enable Withdrawals"
    spot_permission: str = "Spot trading"  # "Spot-Trade", "Enable Spot & Margin Trading"
    ip_setting: str = "its IP whitelist"  # where the platform's IP addresses go on the key
    futures_whitelist: bool = False  # the exchange whitelists accounts for futures API trading
    key_needs: tuple[str, ...] = ()  # what a key must have, shown beside the Manual connect form

    @property
    def said(self) -> str:
        return self.company or self.name

    def size_unit(self, base: str = "") -> str:
        """What an order's size counts, as the ticket's label says it: "contracts" or "SOL"."""
        if self.sizes_in_base:
            return base or "base asset"
        return "contracts"

    @property
    def has_passphrase(self) -> bool:
        return "passphrase" in self.credential_fields

    @property
    def default_label(self) -> str:
        return f"{self.name} Futures"


CredentialsOpener = Callable[[], Awaitable[Credentials]]


class MarketStream(Protocol):
    """One reconnecting public connection: channels added and removed while `events()` runs.
    `events()` yields typed market events and a StreamStatus on every drop and reconnection."""

    @property
    def channels(self) -> set[MarketChannel]: ...
    async def subscribe(self, channels: Iterable[MarketChannel]) -> None: ...
    async def unsubscribe(self, channels: Iterable[MarketChannel]) -> None: ...
    def events(self) -> AsyncIterator[MarketEvent]: ...
    async def close(self) -> None: ...


@runtime_checkable
class FuturesConnector(Protocol):
    info: ExchangeInfo

    async def inspect_key(self, creds: Credentials) -> KeyReport: ...
    async def balances(self, creds: Credentials) -> list[Balance]: ...
    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Position]: ...
    async def instruments(self) -> list[Instrument]: ...
    async def place_order(self, creds: Credentials, order: OrderRequest) -> OrderResult: ...
    def decided_after_ms(self) -> int: ...
    async def cancel_order(
        self, creds: Credentials, symbol: str, *, order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> None: ...
    async def amend_order(
        self, creds: Credentials, symbol: str, *, order_id: str | None = None,
        client_order_id: str | None = None, price: Decimal | None = None, size: Decimal | None = None,
    ) -> None: ...
    async def get_order(
        self, creds: Credentials, symbol: str, *, order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> Order | None: ...
    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Order]: ...
    async def order_history(self, creds: Credentials, symbol: str) -> list[Order]: ...
    async def fills(
        self, creds: Credentials, symbol: str | None = None, *,
        start_ms: int | None = None, end_ms: int | None = None,
    ) -> list[Fill]: ...
    async def transactions(
        self, creds: Credentials, *, start_ms: int | None = None, end_ms: int | None = None,
        max_pages: int = 20,
    ) -> list[Transaction]: ...
    async def set_leverage(
        self, creds: Credentials, symbol: str, leverage: Decimal, margin_mode: MarginMode
    ) -> None: ...
    async def set_position_mode(self, creds: Credentials, mode: PositionMode) -> None: ...
    async def set_tp_sl(
        self, creds: Credentials, symbol: str, side: PositionSide, *,
        take_profit: Decimal | None = None, stop_loss: Decimal | None = None,
    ) -> None: ...
    async def tp_sl_triggers(
        self, creds: Credentials, symbol: str
    ) -> list[tuple[str, PositionSide, Decimal]]: ...
    async def close_position(self, creds: Credentials, symbol: str, side: PositionSide) -> OrderResult: ...
    async def plan_orders(self, creds: Credentials, symbol: str | None = None) -> list[PlanOrder]: ...
    def stream(
        self, creds: Credentials | CredentialsOpener, symbols: Sequence[str] = ()
    ) -> AsyncIterator[StreamEvent]:
        """The private stream: 'resync' snapshots after every (re)connection, then 'asset',
        'position', 'order' updates, and 'disconnected' on every drop. With an opener, the
        credentials are opened per (re)connection and not kept."""
        ...
    def market_stream(self) -> MarketStream: ...
    async def aclose(self) -> None: ...


@runtime_checkable
class TerminalConnector(FuturesConnector, Protocol):
    """What the trading terminal needs beyond FuturesConnector: market data, conditional orders
    (plan, TP/SL, trailing), fills, cancel-all and the account's position mode."""

    async def ticker(self, symbol: str) -> MarketSummary: ...
    async def candles(
        self, symbol: str, step_min: int, start_s: int, end_s: int, *, mark: bool = False
    ) -> list[ChartCandle]: ...
    async def order_book(self, symbol: str, depth: int = 20) -> OrderBook: ...
    async def position_mode(self, creds: Credentials) -> PositionMode: ...
    async def leverage_setting(self, creds: Credentials, symbol: str) -> tuple[Decimal, MarginMode] | None:
        """The account's leverage and margin mode for the symbol, whether a position is open or not."""
        ...
    async def cancel_all(self, creds: Credentials, symbol: str) -> None: ...
    async def place_plan(self, creds: Credentials, req: PlanRequest) -> OrderResult: ...
    async def cancel_plan(self, creds: Credentials, symbol: str, order_id: str) -> None: ...
    async def modify_tp_sl(
        self, creds: Credentials, symbol: str, order_id: str, trigger_price: Decimal, *,
        price_type: PriceType = PriceType.LAST,
    ) -> None: ...
    async def place_trail(self, creds: Credentials, req: TrailRequest) -> OrderResult: ...
    async def cancel_trail(self, creds: Credentials, symbol: str, order_id: str) -> None: ...


@runtime_checkable
class FastConnectProvider(Protocol):
    """OAuth 2.0 authorisation-code + PKCE client side of an exchange's Fast Connect."""

    def authorize_url(
        self, *, state: str, code_challenge: str, redirect_uri: str, ip_whitelist: Sequence[str],
        label: str | None = None,
    ) -> str: ...
    async def redeem(self, *, code: str, code_verifier: str, redirect_uri: str) -> IssuedKey: ...
    async def revoke(self, api_key: str) -> None: ...
    async def aclose(self) -> None: ...
