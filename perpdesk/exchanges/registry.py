"""Exchange id → connector factory, ExchangeInfo and Fast Connect provider factory.

Adding another exchange's perpetuals = a connector implementing exchanges/base.py + one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perpdesk.core.errors import InputError
from perpdesk.exchanges.base import ExchangeInfo, FastConnectProvider, FuturesConnector


@dataclass(frozen=True, slots=True)
class ExchangeEntry:
    info: ExchangeInfo
    connector: Callable[..., FuturesConnector]  # (base_url, *, source_address, proxy, ws_url, timeout_s)
    fast_connect: Callable[..., FastConnectProvider] | None = None


def _bitmart() -> ExchangeEntry:
    from perpdesk.exchanges.bitmart import BITMART_INFO, BitmartFastConnect, BitmartFuturesConnector

    return ExchangeEntry(BITMART_INFO, BitmartFuturesConnector, BitmartFastConnect)


_FACTORIES: dict[str, Callable[[], ExchangeEntry]] = {"bitmart": _bitmart}
_LOADED: dict[str, ExchangeEntry] = {}


def register(exchange_id: str, entry: Callable[[], ExchangeEntry]) -> None:
    _FACTORIES[exchange_id] = entry
    _LOADED.pop(exchange_id, None)


def exchange_ids() -> list[str]:
    return sorted(_FACTORIES)


def entry(exchange_id: str) -> ExchangeEntry:
    found = _LOADED.get(exchange_id)
    if found is None:
        factory = _FACTORIES.get(exchange_id)
        if factory is None:
            raise InputError("exchange", "is not supported",
                             f"Choose one of: {', '.join(exchange_ids())}.")
        found = _LOADED[exchange_id] = factory()
    return found


def info(exchange_id: str) -> ExchangeInfo:
    return entry(exchange_id).info


def all_info() -> list[ExchangeInfo]:
    return [entry(i).info for i in exchange_ids()]


def connector(exchange_id: str, base_url: str, **kwargs: Any) -> FuturesConnector:
    """A connector for the exchange: kwargs are source_address, proxy, ws_url, timeout_s."""
    return entry(exchange_id).connector(base_url, **kwargs)


def fast_connect(exchange_id: str, **kwargs: Any) -> FastConnectProvider:
    """A Fast Connect provider: kwargs as BitmartFastConnect (authorize_url_base, token_url, ...)."""
    factory = entry(exchange_id).fast_connect
    if factory is None:
        raise InputError("exchange", "has no Fast Connect", "Connect the account manually.")
    return factory(**kwargs)


def exchanges() -> list[ExchangeInfo]:
    """Every registered exchange's info (the + Connect Account chooser lists them)."""
    return all_info()


def connector_from_settings(exchange_id: str, settings: Any) -> FuturesConnector:
    """A connector bound to the platform's egress (source address or proxy) from its settings."""
    entry(exchange_id)  # refuses unknown exchanges with a clear InputError
    return connector(
        exchange_id,
        settings.bitmart_api_url,
        source_address=getattr(settings, "egress_source_address", None),
        proxy=getattr(settings, "egress_proxy", None),
        ws_url=getattr(settings, "bitmart_ws_url", None),
    )


def fast_connect_from_settings(exchange_id: str, settings: Any) -> FastConnectProvider | None:
    """The Fast Connect provider, if the platform is registered with the exchange; same egress."""
    client_id = getattr(settings, "fast_connect_client_id", None)
    secret = getattr(settings, "fast_connect_client_secret", None)
    if not client_id or secret is None or entry(exchange_id).fast_connect is None:
        return None
    secret_value = secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(secret)
    return fast_connect(
        exchange_id,
        authorize_url_base=settings.bitmart_web_url.rstrip("/") + "/oauth/authorize",
        token_url=settings.bitmart_api_url.rstrip("/") + "/oauth/token",
        revoke_url=settings.bitmart_api_url.rstrip("/") + "/oauth/revoke",
        client_id=client_id,
        client_secret=secret_value,
        source_address=getattr(settings, "egress_source_address", None),
        proxy=getattr(settings, "egress_proxy", None),
    )
