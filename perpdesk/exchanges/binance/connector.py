"""BinanceFuturesConnector: the FuturesConnector and TerminalConnector Protocols over Binance
USDⓈ-M Futures, natively on perpdesk/http. Composed of small parts, each holding one concern:
the REST envelope (rest), symbol rules (markets), account settings (modes), orders, algo orders,
market data, the ledger, the key audit and the two streams."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

from perpdesk.core.ledger import Fill, Transaction
from perpdesk.core.market import PlanOrder
from perpdesk.core.models import (
    Balance,
    Credentials,
    Instrument,
    KeyReport,
    MarginMode,
    Order,
    OrderRequest,
    OrderResult,
    PlacementStatus,
    Position,
    PositionMode,
    PositionSide,
    StreamEvent,
)
from perpdesk.core.terminal import ChartCandle, MarketSummary, OrderBook, PlanRequest, PriceType, TrailRequest
from perpdesk.exchanges.base import CredentialsOpener, ExchangeInfo
from perpdesk.exchanges.binance import parse
from perpdesk.exchanges.binance.algo import MAX_CALLBACK, MIN_CALLBACK, AlgoDesk
from perpdesk.exchanges.binance.key_inspection import inspect_key
from perpdesk.exchanges.binance.ledger import Ledger
from perpdesk.exchanges.binance.market_data import MarketData
from perpdesk.exchanges.binance.market_stream import BinanceMarketStream
from perpdesk.exchanges.binance.markets import Markets
from perpdesk.exchanges.binance.modes import AccountModes
from perpdesk.exchanges.binance.orders import OrderDesk
from perpdesk.exchanges.binance.ratelimit import BinanceLimiter
from perpdesk.exchanges.binance.rest import BinanceRest
from perpdesk.exchanges.binance.user_stream import UserStream
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.exchanges.common.order_checks import check_leverage
from perpdesk.exchanges.common.write_pacing import WritePacer
from perpdesk.exchanges.shared_reads import SharedReads
from perpdesk.http import HttpClient

BINANCE_INFO = ExchangeInfo(
    id="binance",
    name="Binance",
    markets=("futures",),
    credential_fields=("api_key", "secret"),
    passphrase_hint="",
    supports_fast_connect=False,
    trail_callback_pct=(MIN_CALLBACK, MAX_CALLBACK),
    sizes_in_base=True,
    unsupported_note=(
        "Only Binance USDⓈ-M Futures perpetuals are supported; Spot, COIN-M and options are not."
    ),
    # the connect flow's words, as Binance's API Management page says them
    on_verb="tick",
    off_verb="untick",
    key_page="Binance's API Management page",
    key_name="API Key",
    secret_name="Secret Key",  # noqa: S106
    edit_key="click Edit restrictions on the key",
    futures_permission="Enable Futures",
    withdraw_permission="Enable Withdrawals",
    spot_permission="Enable Spot & Margin Trading",
    ip_setting=(
        '"Restrict access to trusted IPs only (Recommended)", with perpdesk\'s IP addresses as its '
        "trusted IPs"
    ),
    key_needs=(
        "Enable Futures ticked",
        "Enable Withdrawals off",
        "Restrict access to trusted IPs only (Recommended), with perpdesk's IP addresses",
    ),
)
POSITION_RISK = "/fapi/v2/positionRisk"


class BinanceFuturesConnector:
    info = BINANCE_INFO

    def __init__(
        self,
        base_url: str,
        *,
        spot_api_url: str | None = None,
        ws_url: str | None = None,
        source_address: str | None = None,
        ws_sources: SourceAddresses | None = None,
        write_pacer: WritePacer | None = None,
        proxy: str | None = None,
        timeout_s: float = 10,
        ssl_context: ssl.SSLContext | None = None,
        clock: ExchangeClock | None = None,
        limiter: BinanceLimiter | None = None,
        settle_attempts: int = 4,
        settle_delay_s: float = 0.25,
        markets_ttl_s: float = 300.0,
        recv_window_ms: int = 5_000,
        settle_margin_s: float = 2.0,
        keepalive_s: float = 30 * 60,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.ws_url = ws_url
        self.source_address = source_address
        self.ws_sources = ws_sources  # the addresses its WebSockets take turns on (None: source_address)
        self.proxy = proxy
        self.keepalive_s = keepalive_s
        self.http = HttpClient(source_address=source_address, proxy=proxy, ssl_context=ssl_context)
        self.rest = BinanceRest(
            self.base_url,
            self.http,
            timeout_s=timeout_s,
            clock=clock,
            limiter=limiter,
            recv_window_ms=recv_window_ms,
            settle_margin_ms=int(settle_margin_s * 1000),
            write_pacer=write_pacer,
        )
        # /sapi (the key's restrictions) lives on Binance's spot host; the sandbox serves it beside /fapi
        self.sapi = BinanceRest(
            (spot_api_url or self.base_url).rstrip("/"),
            self.http,
            timeout_s=timeout_s,
            clock=self.rest.clock,
            limiter=BinanceLimiter(self.rest.clock.now_ms),
            recv_window_ms=recv_window_ms,
        )
        self.markets = Markets(self.rest, markets_ttl_s)
        self.modes = AccountModes(self.rest)
        self.orders = OrderDesk(
            self.rest,
            self.markets,
            self.modes,
            self.positions,
            settle_attempts=settle_attempts,
            settle_delay_s=settle_delay_s,
        )
        self.algos = AlgoDesk(
            self.rest,
            self.markets,
            self.modes,
            settle_attempts=settle_attempts,
            settle_delay_s=settle_delay_s,
        )
        self.market_data = MarketData(self.rest, SharedReads())
        self.ledger = Ledger(self.rest)

    @property
    def clock(self) -> ExchangeClock:
        return self.rest.clock

    @property
    def limiter(self) -> BinanceLimiter:
        return self.rest.limiter

    # ------------------------------------------------------------------ markets and account

    async def instruments(self) -> list[Instrument]:
        return await self.markets.all()

    async def instrument(self, symbol: str) -> Instrument:
        return await self.markets.instrument(symbol)

    async def inspect_key(self, creds: Credentials) -> KeyReport:
        return await inspect_key(self, creds)

    async def balances(self, creds: Credentials) -> list[Balance]:
        return parse.balances(await self.rest.call("GET", "/fapi/v2/balance", None, creds))

    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Position]:
        rows = await self.rest.call("GET", POSITION_RISK, {"symbol": symbol} if symbol else None, creds)
        self.modes.remember(creds.api_key, rows)
        found = [parse.position(r) for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
        return [p for p in found if p is not None]

    async def set_leverage(
        self, creds: Credentials, symbol: str, leverage: Decimal, margin_mode: MarginMode
    ) -> None:
        check_leverage(await self.instrument(symbol), leverage)
        await self.modes.ensure(creds, symbol, leverage, margin_mode)

    async def leverage_setting(self, creds: Credentials, symbol: str) -> tuple[Decimal, MarginMode] | None:
        rows = await self.rest.call("GET", POSITION_RISK, {"symbol": symbol}, creds)
        self.modes.remember(creds.api_key, rows)
        return self.modes.known(creds.api_key, symbol)

    async def set_position_mode(self, creds: Credentials, mode: PositionMode) -> None:
        await self.modes.set_position_mode(creds, mode)

    async def position_mode(self, creds: Credentials) -> PositionMode:
        return await self.modes.position_mode(creds)

    # ------------------------------------------------------------------ orders

    def decided_after_ms(self) -> int:
        """Our wall-clock time after which no write signed up to now can be acted on any more."""
        return self.rest.decided_after_ms(self.clock.now_ms())

    async def place_order(self, creds: Credentials, order: OrderRequest) -> OrderResult:
        result = await self.orders.place(creds, order)
        if result.status is PlacementStatus.PLACED and (order.take_profit or order.stop_loss):
            await self.algos.attach_to_entry(creds, order)  # markets.order_params: market entries only
        return result

    async def cancel_order(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> None:
        await self.orders.cancel(creds, symbol, order_id=order_id, client_order_id=client_order_id)

    async def cancel_all(self, creds: Credentials, symbol: str) -> None:
        await self.orders.cancel_all(creds, symbol)

    async def amend_order(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        price: Decimal | None = None,
        size: Decimal | None = None,
    ) -> None:
        await self.orders.amend(
            creds, symbol, order_id=order_id, client_order_id=client_order_id, price=price, size=size
        )

    async def get_order(
        self,
        creds: Credentials,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> Order | None:
        return await self.orders.get(creds, symbol, order_id=order_id, client_order_id=client_order_id)

    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Order]:
        return await self.orders.open(creds, symbol)

    async def order_history(self, creds: Credentials, symbol: str) -> list[Order]:
        return await self.orders.history(creds, symbol)

    async def close_position(self, creds: Credentials, symbol: str, side: PositionSide) -> OrderResult:
        return await self.orders.close_position(creds, symbol, side)

    # ------------------------------------------------------------------ conditional (algo) orders

    async def set_tp_sl(
        self,
        creds: Credentials,
        symbol: str,
        side: PositionSide,
        *,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
    ) -> None:
        await self.algos.set_tp_sl(creds, symbol, side, take_profit=take_profit, stop_loss=stop_loss)

    async def tp_sl_triggers(
        self, creds: Credentials, symbol: str
    ) -> list[tuple[str, PositionSide, Decimal]]:
        return await self.algos.tp_sl_triggers(creds, symbol)

    async def plan_orders(self, creds: Credentials, symbol: str | None = None) -> list[PlanOrder]:
        return await self.algos.plan_orders(creds, symbol)

    async def place_plan(self, creds: Credentials, req: PlanRequest) -> OrderResult:
        return await self.algos.place_plan(creds, req)

    async def cancel_plan(self, creds: Credentials, symbol: str, order_id: str) -> None:
        await self.algos.cancel(creds, symbol, order_id)

    async def modify_tp_sl(
        self,
        creds: Credentials,
        symbol: str,
        order_id: str,
        trigger_price: Decimal,
        *,
        price_type: PriceType = PriceType.LAST,
    ) -> None:
        await self.algos.modify_tp_sl(creds, symbol, order_id, trigger_price, price_type=price_type)

    async def place_trail(self, creds: Credentials, req: TrailRequest) -> OrderResult:
        return await self.algos.place_trail(creds, req)

    async def cancel_trail(self, creds: Credentials, symbol: str, order_id: str) -> None:
        await self.algos.cancel(creds, symbol, order_id)

    # ------------------------------------------------------------------ ledger and market data

    async def fills(
        self,
        creds: Credentials,
        symbol: str | None = None,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[Fill]:
        return await self.ledger.fills(creds, symbol, start_ms=start_ms, end_ms=end_ms)

    async def transactions(
        self,
        creds: Credentials,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        max_pages: int = 20,
    ) -> list[Transaction]:
        return await self.ledger.transactions(creds, start_ms=start_ms, end_ms=end_ms, max_pages=max_pages)

    async def ticker(self, symbol: str) -> MarketSummary:
        return await self.market_data.ticker(symbol)

    async def candles(
        self, symbol: str, step_min: int, start_s: int, end_s: int, *, mark: bool = False
    ) -> list[ChartCandle]:
        return await self.market_data.candles(symbol, step_min, start_s, end_s, mark=mark)

    async def order_book(self, symbol: str, depth: int = 20) -> OrderBook:
        return await self.market_data.order_book(symbol, depth)

    # ------------------------------------------------------------------ streams

    def stream(
        self, creds: Credentials | CredentialsOpener, symbols: Sequence[str] = ()
    ) -> AsyncIterator[StreamEvent]:
        if not self.ws_url:
            raise ValueError("this connector has no ws_url; pass ws_url= to stream")
        return UserStream(self, creds, symbols, keepalive_s=self.keepalive_s).events()

    def market_stream(self) -> BinanceMarketStream:
        if not self.ws_url:
            raise ValueError("this connector has no ws_url; pass ws_url= to stream")
        return BinanceMarketStream(self.ws_url, proxy=self.proxy, source_address=self.source_address,
                                   sources=self.ws_sources)

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = ["BINANCE_INFO", "BinanceFuturesConnector"]
