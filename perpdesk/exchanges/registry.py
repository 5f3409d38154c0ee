"""The exchanges perpdesk can connect, as data: each one's capabilities (`ExchangeInfo`) and how
to build its connector and its Fast Connect client from where it is reached.

Adding another exchange's perpetuals = a connector implementing exchanges/base.py, one entry in
`EXCHANGES`, and its URLs in Settings (read by perpdesk/bootstrap.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from perpdesk.core.errors import InputError
from perpdesk.exchanges.base import ExchangeInfo, FastConnectProvider, FuturesConnector
from perpdesk.exchanges.binance.connector import BINANCE_INFO, BinanceFuturesConnector
from perpdesk.exchanges.bitmart.connector import BITMART_INFO, BitmartFuturesConnector
from perpdesk.exchanges.bitmart.fast_connect import BitmartFastConnect
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.exchanges.common.write_pacing import WritePacer


@dataclass(frozen=True, slots=True)
class Egress:
    """How the platform's outgoing calls leave the machine (the IPs users whitelist)."""

    source_address: str | None = None
    proxy: str | None = None
    ws_sources: SourceAddresses | None = None  # the addresses WebSockets take turns on
    write_pacer: WritePacer | None = None  # a cluster's: each key's writes paced across processes


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where one exchange is reached, and the OAuth client it issued to us (Fast Connect)."""

    api_url: str
    web_url: str
    ws_url: str | None = None
    client_id: str = ""
    client_secret: str = ""
    # how long one answer is awaited, the exchange's window (BitMart's X-BM-TIMESTAMP window; caps
    # Binance's recvWindow), and the margin added to it before an unanswered write is known not to
    # have acted (Settings.exchange_*, order_settle_*)
    timeout_s: float = 10.0
    window_s: float = 60.0
    settle_margin_s: float = 2.0

    @property
    def fast_connect_registered(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True, slots=True)
class Venue:
    """Where one connected account lives: its exchange and the URLs it was connected against (the
    exchange itself or a sandbox). Stored with the account; its connector is built from this."""

    exchange: str
    api_url: str
    ws_url: str | None = None


ConnectorFactory = Callable[[Endpoints, Egress], FuturesConnector]
FastConnectFactory = Callable[[Endpoints, Egress], FastConnectProvider]


@dataclass(frozen=True, slots=True)
class ExchangeEntry:
    info: ExchangeInfo
    connector: ConnectorFactory
    fast_connect: FastConnectFactory | None = None


def _bitmart_connector(ep: Endpoints, egress: Egress) -> FuturesConnector:
    return BitmartFuturesConnector(
        ep.api_url,
        source_address=egress.source_address,
        proxy=egress.proxy,
        ws_url=ep.ws_url,
        ws_sources=egress.ws_sources,
        write_pacer=egress.write_pacer,
        timeout_s=ep.timeout_s,
        window_s=ep.window_s,
        settle_margin_s=ep.settle_margin_s,
    )


def _bitmart_fast_connect(ep: Endpoints, egress: Egress) -> FastConnectProvider:
    return BitmartFastConnect(
        authorize_url_base=ep.web_url.rstrip("/") + "/oauth/authorize",
        token_url=ep.api_url.rstrip("/") + "/oauth/token",
        revoke_url=ep.api_url.rstrip("/") + "/oauth/revoke",
        client_id=ep.client_id,
        client_secret=ep.client_secret,
        source_address=egress.source_address,
        proxy=egress.proxy,
    )


BINANCE_RECV_WINDOW_MS = 5_000


def _binance_connector(ep: Endpoints, egress: Egress) -> FuturesConnector:
    # Binance serves the key's restrictions (/sapi) on its spot host: fapi.binance.com -> api.binance.com
    spot = ep.api_url.replace("://fapi.", "://api.", 1)
    return BinanceFuturesConnector(
        ep.api_url,
        spot_api_url=spot,
        ws_url=ep.ws_url,
        source_address=egress.source_address,
        ws_sources=egress.ws_sources,
        write_pacer=egress.write_pacer,
        proxy=egress.proxy,
        timeout_s=ep.timeout_s,
        # Binance's default recvWindow (5 s), or less where the exchange is said to enforce less
        recv_window_ms=min(BINANCE_RECV_WINDOW_MS, int(ep.window_s * 1000)),
        settle_margin_s=ep.settle_margin_s,
    )


# Binance USDⓈ-M Futures: no Fast Connect (Binance offers none to us).
BINANCE = ExchangeEntry(BINANCE_INFO, _binance_connector)

# Where a caller names no exchange (API bodies and scripts written before there were two)
DEFAULT_EXCHANGE = "bitmart"

EXCHANGES: dict[str, ExchangeEntry] = {
    "bitmart": ExchangeEntry(BITMART_INFO, _bitmart_connector, _bitmart_fast_connect),
    "binance": BINANCE,
}


def exchange_ids() -> list[str]:
    return sorted(EXCHANGES)


def entry(exchange_id: str) -> ExchangeEntry:
    found = EXCHANGES.get(exchange_id)
    if found is None:
        raise InputError(
            "exchange", "this exchange is not supported", f"Choose one of: {', '.join(exchange_ids())}."
        )
    return found


def all_info() -> list[ExchangeInfo]:
    return [EXCHANGES[i].info for i in exchange_ids()]
