"""Build the account services' dependencies from the platform's settings.

Timings (grant lifetime, whitelisting re-check backoff) come from Settings, so tests can run
them in seconds and a malformed value stops the platform at start.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.exchanges.base import ExchangeInfo, FastConnectProvider, FuturesConnector
from perpdesk.services.deps import AccountsDeps, KeyHasher
from perpdesk.settings import Settings
from perpdesk.vault.core import Vault

CALLBACK_PATH = "/settings/exchange-accounts/fast-connect/callback"


@dataclass(frozen=True, slots=True)
class ExchangeChoice:
    """One entry of the + Connect Account chooser."""

    id: str
    name: str
    market: str  # "futures" | "spot"
    supported: bool
    supports_fast_connect: bool
    passphrase_hint: str
    note: str = ""


def _registry() -> Any | None:
    try:
        return importlib.import_module("perpdesk.exchanges.registry")
    except ModuleNotFoundError as exc:
        if exc.name != "perpdesk.exchanges.registry":
            raise
        return None


def exchange_infos() -> list[ExchangeInfo]:
    reg = _registry()
    if reg is not None:
        for name in ("exchanges", "all_exchanges", "infos", "list_exchanges"):
            fn = getattr(reg, name, None)
            if callable(fn):
                out = list(fn())
                return [getattr(x, "info", x) for x in out]
    from perpdesk.exchanges.bitmart.connector import BITMART_INFO

    return [BITMART_INFO]


def choices() -> list[ExchangeChoice]:
    """The chooser: supported futures exchanges, then unsupported markets with the reason."""
    out: list[ExchangeChoice] = []
    for info in exchange_infos():
        if "futures" in info.markets:
            out.append(
                ExchangeChoice(
                    info.id, info.name, "futures", True, info.supports_fast_connect, info.passphrase_hint
                )
            )
        if "spot" not in info.markets:
            note = info.unsupported_note or f"{info.name} Spot trading is not supported."
            out.append(ExchangeChoice(info.id + "_spot", f"{info.name} Spot", "spot", False, False, "", note))
    return out


class ConnectorPool:
    """One connector (keep-alive connections, clock offset, rate limits) per exchange, shared."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connectors: dict[str, FuturesConnector] = {}
        self._fast: dict[str, FastConnectProvider | None] = {}

    def connector(self, exchange: str) -> FuturesConnector:
        if exchange not in self._connectors:
            self._connectors[exchange] = self._make_connector(exchange)
        return self._connectors[exchange]

    def _make_connector(self, exchange: str) -> FuturesConnector:
        s = self.settings
        reg = _registry()
        factory = getattr(reg, "connector_from_settings", None) if reg is not None else None
        if callable(factory):
            conn: FuturesConnector = factory(exchange, s)
            return conn
        if exchange != "bitmart":
            from perpdesk.core.errors import InputError

            raise InputError(
                "exchange", "is not supported", "Choose Bitmart under Futures only."
            )
        from perpdesk.exchanges.bitmart.connector import BitmartFuturesConnector

        return BitmartFuturesConnector(
            s.bitmart_api_url,
            source_address=s.egress_source_address,
            proxy=s.egress_proxy,
            ws_url=s.bitmart_ws_url,
        )

    def fast_connect(self, exchange: str) -> FastConnectProvider | None:
        if exchange not in self._fast:
            self._fast[exchange] = self._make_fast(exchange)
        return self._fast[exchange]

    def _make_fast(self, exchange: str) -> FastConnectProvider | None:
        s = self.settings
        if exchange != "bitmart" or not s.fast_connect_client_id or s.fast_connect_client_secret is None:
            return None
        reg = _registry()
        factory = getattr(reg, "fast_connect_from_settings", None) if reg is not None else None
        if callable(factory):
            fc: FastConnectProvider | None = factory(exchange, s)
            return fc
        try:
            mod = importlib.import_module("perpdesk.exchanges.bitmart.fast_connect")
        except ModuleNotFoundError:
            return None
        cls = mod.BitmartFastConnect
        provider: FastConnectProvider = cls(
            authorize_url_base=s.bitmart_web_url + "/oauth/authorize",
            token_url=s.bitmart_api_url + "/oauth/token",
            revoke_url=s.bitmart_api_url + "/oauth/revoke",
            client_id=s.fast_connect_client_id,
            client_secret=s.fast_connect_client_secret.get_secret_value(),
        )
        return provider

    async def aclose(self) -> None:
        for conn in self._connectors.values():
            await conn.aclose()
        for fc in self._fast.values():
            closer = getattr(fc, "aclose", None)
            if callable(closer):
                await closer()
        self._connectors.clear()
        self._fast.clear()


def redirect_uri(settings: Settings) -> str:
    """The Fast Connect callback URL registered at the exchange (the foundation's setting wins)."""
    return getattr(settings, "fast_connect_redirect_uri", None) or settings.public_url + CALLBACK_PATH


def build_accounts_deps(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    vault: Vault,
    *,
    pool: ConnectorPool | None = None,
) -> tuple[AccountsDeps, ConnectorPool]:
    pool = pool or ConnectorPool(settings)
    deps = AccountsDeps(
        sessions=sessions,
        vault=vault,
        hasher=KeyHasher.from_file(settings.data_dir / "key_hash.secret"),
        egress_ips=tuple(settings.egress_ips),
        connector_for=pool.connector,
        fast_connect_for=pool.fast_connect,
        redirect_uri=redirect_uri(settings),
        grant_ttl=timedelta(seconds=settings.fast_connect_ttl_s),
        recheck_base=timedelta(seconds=settings.whitelist_recheck_base_s),
        recheck_max=timedelta(seconds=settings.whitelist_recheck_max_s),
        watch_interval_s=settings.whitelist_watch_interval_s,
    )
    return deps, pool
