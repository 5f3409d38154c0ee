"""BitMart's account calls: balances, positions and their settings, the ledger, position TP/SL
and the waiting conditional orders."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from perpdesk.core.ledger import Fill, Transaction
from perpdesk.core.market import PlanOrder
from perpdesk.core.models import Balance, Credentials, MarginMode, Position, PositionMode, PositionSide
from perpdesk.core.money import fmt
from perpdesk.exchanges.bitmart import parse, parse_ledger
from perpdesk.exchanges.bitmart.contracts import Contracts
from perpdesk.exchanges.bitmart.rest import Auth, BitmartRest
from perpdesk.exchanges.common.ledger_pages import paged_back
from perpdesk.exchanges.common.order_checks import check_leverage, check_price, invalid

P = "/contract/private/"
TXN_PAGE = 1000  # transaction-history's largest page
ASSETS = P + "assets-detail"
_KEYED = Auth.KEYED  # Enum members through the class are slow on 3.11


class AccountCalls:
    def __init__(self, rest: BitmartRest, markets: Contracts) -> None:
        self.rest = rest
        self.markets = markets

    async def balances(self, creds: Credentials) -> list[Balance]:
        # straight to rest.call: one coroutine fewer on the hottest read
        return parse.balances(await self.rest.call("GET", ASSETS, None, _KEYED, creds))

    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Position]:
        # position-v2 carries the margin mode and liquidation price; it lists empty sides too
        data = await self.rest.get(P + "position-v2", {"symbol": symbol} if symbol else None, creds)
        cache = self.markets.cache
        if not cache.fresh:
            await self.markets.load(force=False)
            cache = self.markets.cache
        result = []
        for row in data if isinstance(data, list) else []:
            inst = cache.get(str(row.get("symbol")))
            pos = parse.position(row, inst.contract_size if inst else Decimal(1))
            if pos is not None:
                result.append(pos)
        return result

    async def set_leverage(self, creds: Credentials, symbol: str, leverage: Decimal,
                           margin_mode: MarginMode) -> None:
        inst = await self.markets.instrument(symbol)
        check_leverage(inst, leverage)
        await self.rest.post(P + "submit-leverage", {"symbol": symbol, "leverage": fmt(leverage),
                                                      "open_type": margin_mode.value}, creds)

    async def set_position_mode(self, creds: Credentials, mode: PositionMode) -> None:
        wire = "hedge_mode" if mode is PositionMode.HEDGE else "one_way_mode"
        await self.rest.post(P + "set-position-mode", {"position_mode": wire}, creds)

    # ------------------------------------------------------------------ ledger

    async def fills(self, creds: Credentials, symbol: str | None = None, *,
                    start_ms: int | None = None, end_ms: int | None = None) -> list[Fill]:
        """Trades, newest first (BitMart: last 7 days by default, at most 90 days per call)."""
        params: dict[str, Any] = {"symbol": symbol} if symbol else {}
        if start_ms is not None:
            params["start_time"] = start_ms // 1000
        if end_ms is not None:
            params["end_time"] = end_ms // 1000
        data = await self.rest.get(P + "trades", params or None, creds)
        return [parse_ledger.fill(r) for r in data] if isinstance(data, list) else []

    async def transactions(self, creds: Credentials, *, start_ms: int | None = None,
                           end_ms: int | None = None, max_pages: int = 20) -> list[Transaction]:
        """Ledger entries (PnL, fees, funding, transfers), newest first, paged back by end time."""
        async def page(end: int | None) -> list[Transaction]:
            params: dict[str, Any] = {"page_size": TXN_PAGE}
            if start_ms is not None:
                params["start_time"] = start_ms
            if end is not None:
                params["end_time"] = end
            data = await self.rest.get(P + "transaction-history", params, creds)
            return [parse_ledger.transaction(r) for r in data] if isinstance(data, list) else []

        return await paged_back(page, TXN_PAGE, end_ms, max_pages)

    # ------------------------------------------------------------------ TP/SL and waiting plans

    async def set_tp_sl(self, creds: Credentials, symbol: str, side: PositionSide, *,
                        take_profit: Decimal | None = None, stop_loss: Decimal | None = None) -> None:
        if take_profit is None and stop_loss is None:
            raise invalid("take_profit", "give a take-profit or a stop-loss price (or both)")
        inst = await self.markets.instrument(symbol)
        close_side = 3 if side is PositionSide.LONG else 2  # sell_close_long / buy_close_short
        calls = []
        for kind, price, field in (("take_profit", take_profit, "take_profit"),
                                   ("stop_loss", stop_loss, "stop_loss")):
            if price is None:
                continue
            trigger = fmt(check_price(inst, price, field))
            calls.append(self.rest.post(P + "submit-tp-sl-order", {
                "symbol": symbol, "type": kind, "side": close_side, "trigger_price": trigger,
                "executive_price": trigger, "price_type": 1, "plan_category": 2, "category": "market",
            }, creds, order_endpoint=True))
        await asyncio.gather(*calls)

    async def tp_sl_triggers(self, creds: Credentials,
                             symbol: str) -> list[tuple[str, PositionSide, Decimal]]:
        """The position TP/SL plan orders standing on `symbol`: (take_profit|stop_loss, side, trigger)."""
        data = await self.rest.get(P + "current-plan-order",
                                   {"symbol": symbol, "plan_type": "profit_loss"}, creds)
        out = []
        for row in data if isinstance(data, list) else []:
            kind = str(row.get("type") or "")
            side = PositionSide.LONG if _int(row.get("side")) == 3 else PositionSide.SHORT
            trigger = row.get("trigger_price")
            if kind in ("take_profit", "stop_loss") and trigger not in (None, ""):
                out.append((kind, side, Decimal(str(trigger))))
        return out

    async def plan_orders(self, creds: Credentials, symbol: str | None = None) -> list[PlanOrder]:
        """Waiting trigger, TP/SL and trailing orders (BitMart lists trailing ones with the open orders)."""
        query = {"symbol": symbol} if symbol else {}
        plans, trails = await asyncio.gather(
            self.rest.get(P + "current-plan-order", query or None, creds),
            self.rest.get(P + "get-open-orders", {**query, "type": "trailing"}, creds),
        )
        rows = [r for r in (plans if isinstance(plans, list) else []) if isinstance(r, dict)]
        rows += [r for r in (trails if isinstance(trails, list) else [])
                 if isinstance(r, dict) and r.get("type") == "trailing"]
        found = [parse.plan_order(r) for r in rows]
        return [p for p in found if p is not None]


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
