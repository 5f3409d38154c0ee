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
            raise InputError("exchange", f"{exchange_id!r} is not supported",
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
        raise InputError("exchange", f"{exchange_id!r} has no Fast Connect", "Connect the account manually.")
    return factory(**kwargs)
