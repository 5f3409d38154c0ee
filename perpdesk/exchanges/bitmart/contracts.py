"""The contract rules the calls check orders against: read from the exchange, cached for a while."""

from __future__ import annotations

import asyncio
from typing import Any

from perpdesk.core.models import Instrument
from perpdesk.exchanges.bitmart import parse
from perpdesk.exchanges.bitmart.markets import MarketCache, parse_brackets
from perpdesk.exchanges.bitmart.rest import BitmartRest
from perpdesk.exchanges.common.order_checks import invalid


class Contracts:
    """The USDT perpetuals and their risk-limit tiers. `cache` may be shared by several connectors."""

    def __init__(self, rest: BitmartRest, ttl_s: float = 300.0) -> None:
        self.rest = rest
        self.cache = MarketCache(ttl_s)
        self._lock = asyncio.Lock()

    async def instruments(self) -> list[Instrument]:
        if not self.cache.fresh:
            await self.load(force=False)
        return self.cache.all()

    async def instrument(self, symbol: str) -> Instrument:
        inst = await self.cache.find(symbol, self.reload)
        if inst is None:
            raise invalid("symbol", "is not a BitMart USDT perpetual")
        return inst

    async def reload(self) -> None:
        await self.load(force=True)

    async def load(self, *, force: bool) -> None:
        async with self._lock:
            cache = self.cache
            if cache.fresh and not force:
                return
            answers: tuple[Any, ...] = await asyncio.gather(
                self.rest.get("/contract/public/details", None, None),
                self.rest.get("/contract/public/leverage-bracket", None, None),
                return_exceptions=True,
            )
            data, brackets = answers
            if isinstance(data, BaseException):
                raise data
            rows = data.get("symbols", []) if isinstance(data, dict) else []
            cache.replace([parse.instrument(r) for r in rows if r.get("symbol")])
            # risk-limit tiers refine the leverage check; without them the contract's bounds apply
            if not isinstance(brackets, BaseException):
                cache.brackets = parse_brackets(brackets)
