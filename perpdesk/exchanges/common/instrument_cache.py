"""An exchange's instruments kept by symbol for `ttl_s` seconds (each connector adds the rules
its exchange has on top: BitMart's risk-limit tiers, Binance's minimum notional)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from perpdesk.core.models import Instrument


class InstrumentCache:
    def __init__(self, ttl_s: float = 300.0) -> None:
        self.ttl_s = ttl_s
        self._by_symbol: dict[str, Instrument] = {}
        self._loaded_at: float | None = None

    @property
    def fresh(self) -> bool:
        return self._loaded_at is not None and time.monotonic() - self._loaded_at < self.ttl_s

    def replace(self, instruments: list[Instrument]) -> None:
        self._by_symbol = {i.symbol: i for i in instruments}
        self._loaded_at = time.monotonic()

    def get(self, symbol: str) -> Instrument | None:
        return self._by_symbol.get(symbol)

    def all(self) -> list[Instrument]:
        return list(self._by_symbol.values())

    async def find(self, symbol: str, reload: Callable[[], Awaitable[None]]) -> Instrument | None:
        """`symbol`'s instrument; when it is not known (or the cache is stale), after `reload()`
        once: a contract listed since the last load is found, an unknown symbol stays None."""
        inst = self.get(symbol) if self.fresh else None
        if inst is None:
            await reload()
            inst = self.get(symbol)
        return inst
