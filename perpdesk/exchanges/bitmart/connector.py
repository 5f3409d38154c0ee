"""BitmartFuturesConnector: the FuturesConnector Protocol over BitMart Futures V2 (USDT perpetuals)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from perpdesk.core.models import Credentials, KeyReport, StreamEvent
from perpdesk.exchanges.base import CredentialsOpener, ExchangeInfo
from perpdesk.exchanges.bitmart.account_calls import AccountCalls
from perpdesk.exchanges.bitmart.contracts import Contracts
from perpdesk.exchanges.bitmart.key_inspection import inspect_key
from perpdesk.exchanges.bitmart.markets import MarketCache
from perpdesk.exchanges.bitmart.order_calls import OrderCalls
from perpdesk.exchanges.bitmart.ratelimit import RateLimiter
from perpdesk.exchanges.bitmart.rest import BitmartRest, Settling
from perpdesk.exchanges.bitmart.terminal_calls import TerminalCalls
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.exchanges.common.write_pacing import WritePacer
from perpdesk.exchanges.shared_reads import SharedReads
from perpdesk.http import HttpClient

if TYPE_CHECKING:
    from perpdesk.exchanges.bitmart.market_stream import PublicStream

BITMART_INFO = ExchangeInfo(
    id="bitmart",
    name="Bitmart",
    markets=("futures",),
    credential_fields=("api_key", "secret", "passphrase"),
    passphrase_hint="The Memo you gave the key on BitMart's API Management page",  # noqa: S106
    supports_fast_connect=True,
    trail_client_id=False,  # submit-trail-order takes no client_order_id
    unsupported_note="Only BitMart Futures USDT perpetuals are supported; BitMart Spot is not.",
    # the connect flow's words, as BitMart's pages say them
    company="BitMart",
    on_verb="enable",
    off_verb="disable",
    key_page="BitMart's API Management page",
    key_name="Access Key",
    secret_name="Secret Key",  # noqa: S106
    edit_key="edit the key",
    futures_permission="Future-Trade",
    withdraw_permission="Withdraw",
    spot_permission="Spot-Trade",
    ip_setting="its IP whitelist field",
    futures_whitelist=True,
    key_needs=("Future-Trade on", "Withdraw off", "perpdesk's IP addresses in its IP whitelist"),
)


class BitmartFuturesConnector:
    """One REST client and its call objects; their methods are the connector's (bound as they are,
    so no extra await on the hot path)."""

    info = BITMART_INFO

    def __init__(
        self,
        base_url: str,
        *,
        source_address: str | None = None,
        proxy: str | None = None,
        ws_url: str | None = None,
        ws_sources: SourceAddresses | None = None,
        write_pacer: WritePacer | None = None,
        timeout_s: float = 10,
        ssl_context: ssl.SSLContext | None = None,
        clock: ExchangeClock | None = None,
        limiter: RateLimiter | None = None,
        settle_attempts: int = 4,
        settle_delay_s: float = 0.25,
        markets_ttl_s: float = 300.0,
        window_s: float = 60.0,
        settle_margin_s: float = 2.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.ws_url = ws_url
        self.source_address = source_address
        self.ws_sources = ws_sources  # the addresses its WebSockets take turns on (None: source_address)
        self.proxy = proxy
        self.http = HttpClient(source_address=source_address, proxy=proxy, ssl_context=ssl_context)
        self.rest = rest = BitmartRest(
            self.base_url, self.http, source_address=source_address, timeout_s=timeout_s, clock=clock,
            limiter=limiter, write_pacer=write_pacer,
            window_ms=int(window_s * 1000), settle_margin_ms=int(settle_margin_s * 1000),
        )
        self.clock = rest.clock
        self.limiter = rest.limiter
        self.contracts = contracts = Contracts(rest, markets_ttl_s)
        self.shared_reads = SharedReads()
        settling = Settling(settle_attempts, settle_delay_s)
        self.account_calls = account = AccountCalls(rest, contracts)
        self.order_calls = orders = OrderCalls(rest, contracts, rest.clock, account, settling)
        self.terminal_calls = terminal = TerminalCalls(rest, contracts, rest.clock, account, settling,
                                                       self.shared_reads)

        self.instruments = contracts.instruments
        self.instrument = contracts.instrument

        self.balances = account.balances
        self.positions = account.positions
        self.set_leverage = account.set_leverage
        self.set_position_mode = account.set_position_mode
        self.fills = account.fills
        self.transactions = account.transactions
        self.set_tp_sl = account.set_tp_sl
        self.tp_sl_triggers = account.tp_sl_triggers
        self.plan_orders = account.plan_orders

        self.decided_after_ms = orders.decided_after_ms
        self.place_order = orders.place_order
        self.cancel_order = orders.cancel_order
        self.cancel_all = orders.cancel_all
        self.amend_order = orders.amend_order
        self.get_order = orders.get_order
        self.open_orders = orders.open_orders
        self.order_history = orders.order_history
        self.close_position = orders.close_position

        self.ticker = terminal.ticker
        self.candles = terminal.candles
        self.order_book = terminal.order_book
        self.position_mode = terminal.position_mode
        self.leverage_setting = terminal.leverage_setting
        self.place_plan = terminal.place_plan
        self.cancel_plan = terminal.cancel_plan
        self.modify_tp_sl = terminal.modify_tp_sl
        self.place_trail = terminal.place_trail
        self.cancel_trail = terminal.cancel_trail

    @property
    def markets(self) -> MarketCache:
        return self.contracts.cache

    @markets.setter
    def markets(self, cache: MarketCache) -> None:
        """Connectors to one exchange may share the contract rules (read once)."""
        self.contracts.cache = cache

    async def inspect_key(self, creds: Credentials) -> KeyReport:
        return await inspect_key(self.rest, self.markets, creds)

    def stream(self, creds: Credentials | CredentialsOpener,
               symbols: Sequence[str] = ()) -> AsyncIterator[StreamEvent]:
        # the streams (and websockets) are imported when first used, not at start-up
        from perpdesk.exchanges.bitmart.stream import PrivateStream

        if not self.ws_url:
            raise ValueError("this connector has no ws_url; pass ws_url= to stream")
        return PrivateStream(self, creds, symbols).events()

    def market_stream(self) -> PublicStream:
        from perpdesk.exchanges.bitmart.market_stream import PublicStream

        if not self.ws_url:
            raise ValueError("this connector has no ws_url; pass ws_url= to stream")
        return PublicStream(self.ws_url, proxy=self.proxy, source_address=self.source_address,
                            sources=self.ws_sources)

    async def aclose(self) -> None:
        await self.http.aclose()
