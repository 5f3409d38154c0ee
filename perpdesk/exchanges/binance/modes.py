"""The account settings Binance keeps apart from orders, kept in step before an order needs them.

Binance sets leverage and margin type per symbol (not per order, as BitMart does) and the
position mode per account; an order's sides depend on the mode (LONG/SHORT in hedge mode,
BOTH + reduceOnly in one-way mode). What the account holds is remembered per key and symbol, so
an order whose leverage and margin mode are already set costs no extra request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perpdesk.core.errors import ExchangeError
from perpdesk.core.models import Credentials, MarginMode, PositionMode
from perpdesk.core.money import fmt
from perpdesk.exchanges.binance.codes import NO_NEED_MARGIN_TYPE, NO_NEED_POSITION_SIDE
from perpdesk.exchanges.binance.parse import d0

if TYPE_CHECKING:
    from perpdesk.exchanges.binance.rest import BinanceRest

V1 = "/fapi/v1/"
MARGIN_TYPES = {MarginMode.CROSS: "CROSSED", MarginMode.ISOLATED: "ISOLATED"}
MAX_KEYS = 10_000


class AccountModes:
    def __init__(self, rest: BinanceRest) -> None:
        self.rest = rest
        self._hedge: dict[str, bool] = {}
        self._symbol: dict[tuple[str, str], tuple[Decimal, MarginMode]] = {}

    async def hedge(self, creds: Credentials, *, fresh: bool = False) -> bool:
        known = None if fresh else self._hedge.get(creds.api_key)
        if known is None:
            data = await self.rest.call("GET", V1 + "positionSide/dual", None, creds)
            known = bool(isinstance(data, dict) and data.get("dualSidePosition") in (True, "true"))
            self._remember_mode(creds.api_key, known)
        return known

    def cached_hedge(self, key: str) -> bool | None:
        return self._hedge.get(key)

    async def position_mode(self, creds: Credentials) -> PositionMode:
        return PositionMode.HEDGE if await self.hedge(creds, fresh=True) else PositionMode.ONE_WAY

    async def set_position_mode(self, creds: Credentials, mode: PositionMode) -> None:
        hedge = mode is PositionMode.HEDGE
        try:
            await self.rest.call("POST", V1 + "positionSide/dual", {"dualSidePosition": hedge}, creds)
        except ExchangeError as exc:
            if exc.exchange_code != NO_NEED_POSITION_SIDE:
                raise
        self._remember_mode(creds.api_key, hedge)

    def _remember_mode(self, key: str, hedge: bool) -> None:
        if len(self._hedge) >= MAX_KEYS:
            self._hedge.clear()
        self._hedge[key] = hedge

    def remember(self, key: str, rows: Any) -> None:
        """Leverage and margin type per symbol, from positionRisk rows (they list empty sides too)."""
        if len(self._symbol) >= MAX_KEYS:
            self._symbol.clear()
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and row.get("symbol") and row.get("leverage"):
                mode = MarginMode.ISOLATED if row.get("marginType") == "isolated" else MarginMode.CROSS
                self._symbol[(key, str(row["symbol"]))] = (d0(row["leverage"]), mode)

    def known(self, key: str, symbol: str) -> tuple[Decimal, MarginMode] | None:
        return self._symbol.get((key, symbol))

    async def ensure(
        self, creds: Credentials, symbol: str, leverage: Decimal | None, margin_mode: MarginMode | None
    ) -> None:
        """Set what differs from what the account is known to hold (nothing when it matches)."""
        known = self._symbol.get((creds.api_key, symbol))
        if margin_mode is not None and (known is None or known[1] is not margin_mode):
            try:
                await self.rest.call(
                    "POST",
                    V1 + "marginType",
                    {"symbol": symbol, "marginType": MARGIN_TYPES[margin_mode]},
                    creds,
                )
            except ExchangeError as exc:
                if exc.exchange_code != NO_NEED_MARGIN_TYPE:
                    raise
            lev = known[0] if known else Decimal(0)
            self._symbol[(creds.api_key, symbol)] = known = (lev, margin_mode)
        if leverage is not None and (known is None or known[0] != leverage):
            await self.rest.call(
                "POST", V1 + "leverage", {"symbol": symbol, "leverage": fmt(leverage)}, creds
            )
            mode = known[1] if known else (margin_mode or MarginMode.CROSS)
            self._symbol[(creds.api_key, symbol)] = (leverage, mode)
