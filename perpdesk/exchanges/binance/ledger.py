"""An account's history from Binance: fills (userTrades) and the ledger (income: REALIZED_PNL,
COMMISSION, FUNDING_FEE, transfers, insurance clearances).

userTrades is per symbol; without one, the symbols asked are those the income history names
(every fill pays a commission, so every traded symbol is there).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from perpdesk.core.ledger import Fill, Transaction
from perpdesk.core.models import Credentials
from perpdesk.exchanges.binance import parse
from perpdesk.exchanges.common.ledger_pages import paged_back

if TYPE_CHECKING:
    from perpdesk.exchanges.binance.rest import BinanceRest

INCOME_PAGE = 1000  # income's largest page
TRADES_PAGE = 1000
TRADES_SPAN_MS = 7 * 86_400_000  # userTrades: endTime - startTime may not exceed 7 days


class Ledger:
    def __init__(self, rest: BinanceRest) -> None:
        self.rest = rest

    async def fills(
        self,
        creds: Credentials,
        symbol: str | None = None,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[Fill]:
        """Trades, newest first."""
        if symbol is None:
            income = await self.transactions(creds, start_ms=start_ms, end_ms=end_ms, max_pages=5)
            symbols = sorted({t.symbol for t in income if t.symbol})
        else:
            symbols = [symbol]
        pages = await asyncio.gather(*(self._trades(creds, s, start_ms, end_ms) for s in symbols))
        return sorted((f for page in pages for f in page), key=lambda f: (-f.time_ms, f.trade_id))

    async def _trades(
        self, creds: Credentials, symbol: str, start_ms: int | None, end_ms: int | None
    ) -> list[Fill]:
        """A longer range is asked in 7-day windows at once (Binance refuses a longer one)."""
        if start_ms is None or end_ms is None or end_ms - start_ms <= TRADES_SPAN_MS:
            return await self._trades_within(creds, symbol, start_ms, end_ms)
        starts = range(start_ms, end_ms + 1, TRADES_SPAN_MS + 1)
        windows = [(s, min(s + TRADES_SPAN_MS, end_ms)) for s in starts]
        pages = await asyncio.gather(*(self._trades_within(creds, symbol, s, e) for s, e in windows))
        return [f for page in pages for f in page]

    async def _trades_within(
        self, creds: Credentials, symbol: str, start_ms: int | None, end_ms: int | None
    ) -> list[Fill]:
        params: dict[str, Any] = {
            "symbol": symbol,
            "limit": TRADES_PAGE,
            "startTime": start_ms,
            "endTime": end_ms,
        }
        data = await self.rest.call("GET", "/fapi/v1/userTrades", params, creds)
        return [parse.fill(r) for r in data if isinstance(r, dict)] if isinstance(data, list) else []

    async def transactions(
        self,
        creds: Credentials,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        max_pages: int = 20,
    ) -> list[Transaction]:
        """Income entries, newest first, paged back by end time."""

        async def page(end: int | None) -> list[Transaction]:
            params = {"limit": INCOME_PAGE, "startTime": start_ms, "endTime": end}
            data = await self.rest.call("GET", "/fapi/v1/income", params, creds)
            return (
                [parse.transaction(r) for r in data if isinstance(r, dict)] if isinstance(data, list) else []
            )

        return await paged_back(page, INCOME_PAGE, end_ms, max_pages)
