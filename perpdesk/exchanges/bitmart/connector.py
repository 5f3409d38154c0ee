"""BitmartFuturesConnector: the FuturesConnector Protocol over BitMart Futures V2 (USDT perpetuals)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perpdesk.core.ledger import Fill, Transaction
from perpdesk.core.market import PlanOrder
from perpdesk.core.models import (
    Balance,
    Credentials,
    Instrument,
    KeyReport,
    MarginMode,
    Position,
    PositionMode,
    PositionSide,
    StreamEvent,
)
from perpdesk.core.money import fmt
from perpdesk.exchanges.base import ExchangeInfo
from perpdesk.exchanges.bitmart import parse, parse_ledger
from perpdesk.exchanges.bitmart.clock import ExchangeClock
from perpdesk.exchanges.bitmart.key_inspection import inspect_key
from perpdesk.exchanges.bitmart.markets import (
    MarketCache,
    check_leverage,
    check_price,
    invalid,
    parse_brackets,
)
from perpdesk.exchanges.bitmart.order_calls import OrderCalls
from perpdesk.exchanges.bitmart.ratelimit import RateLimiter
from perpdesk.exchanges.bitmart.rest import Auth, BitmartRest
from perpdesk.exchanges.bitmart.terminal_calls import TerminalCalls
from perpdesk.exchanges.shared_reads import SharedReads
from perpdesk.http import HttpClient

if TYPE_CHECKING:
    from perpdesk.exchanges.bitmart.market_stream import PublicStream
    from perpdesk.exchanges.bitmart.stream import CredentialsOpener

BITMART_INFO = ExchangeInfo(
    id="bitmart",
    name="Bitmart",
    markets=("futures",),
    credential_fields=("api_key", "secret", "passphrase"),
    passphrase_hint="The Memo you gave the key on BitMart's API Management page",  # noqa: S106
    supports_fast_connect=True,
    unsupported_note="Only BitMart Futures USDT perpetuals are supported; BitMart Spot is not.",
)

P = "/contract/private/"
TXN_PAGE = 1000  # transaction-history's largest page
ASSETS = P + "assets-detail"
_KEYED = Auth.KEYED  # Enum members through the class are slow on 3.11


class BitmartFuturesConnector(OrderCalls, TerminalCalls):
    info = BITMART_INFO

    def __init__(
        self,
        base_url: str,
        *,
        source_address: str | None = None,
        proxy: str | None = None,
        ws_url: str | None = None,
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
        self.proxy = proxy
        self.http = HttpClient(source_address=source_address, proxy=proxy, ssl_context=ssl_context)
        self.rest = BitmartRest(
            self.base_url, self.http, source_address=source_address, timeout_s=timeout_s, clock=clock,
            limiter=limiter,
            window_ms=int(window_s * 1000), settle_margin_ms=int(settle_margin_s * 1000),
        )
        self.markets = MarketCache(markets_ttl_s)
        self._markets_lock = asyncio.Lock()
        self.settle_attempts = settle_attempts
        self.settle_delay_s = settle_delay_s
        self.shared_reads = SharedReads()

    @property
    def clock(self) -> ExchangeClock:
        return self.rest.clock

    @property
    def limiter(self) -> RateLimiter:
        return self.rest.limiter

    async def _get(self, path: str, params: dict[str, Any] | None, creds: Credentials | None,
                   **kw: Any) -> Any:
        return await self.rest.call("GET", path, params, Auth.KEYED if creds else Auth.NONE, creds, **kw)

    async def _post(self, path: str, params: dict[str, Any], creds: Credentials, **kw: Any) -> Any:
        return await self.rest.call("POST", path, params, Auth.SIGNED, creds, **kw)

    # ------------------------------------------------------------------ markets

    async def instruments(self) -> list[Instrument]:
        if not self.markets.fresh:
            await self._load_markets(force=False)
        return self.markets.all()

    async def _load_markets(self, *, force: bool) -> None:
        async with self._markets_lock:
            if self.markets.fresh and not force:
                return
            answers: tuple[Any, ...] = await asyncio.gather(
                self._get("/contract/public/details", None, None),
                self._get("/contract/public/leverage-bracket", None, None),
                return_exceptions=True,
            )
            data, brackets = answers
            if isinstance(data, BaseException):
                raise data
            rows = data.get("symbols", []) if isinstance(data, dict) else []
            self.markets.replace([parse.instrument(r) for r in rows if r.get("symbol")])
            # risk-limit tiers refine the leverage check; without them the contract's bounds apply
            if not isinstance(brackets, BaseException):
                self.markets.brackets = parse_brackets(brackets)

    async def instrument(self, symbol: str) -> Instrument:
        inst = self.markets.get(symbol) if self.markets.fresh else None
        if inst is None:
            await self._load_markets(force=True)
            inst = self.markets.get(symbol)
        if inst is None:
            raise invalid("symbol", "is not a BitMart USDT perpetual")
        return inst

    # ------------------------------------------------------------------ account

    async def inspect_key(self, creds: Credentials) -> KeyReport:
        return await inspect_key(self, creds)

    async def balances(self, creds: Credentials) -> list[Balance]:
        # straight to rest.call: one coroutine fewer on the hottest read
        return parse.balances(await self.rest.call("GET", ASSETS, None, _KEYED, creds))

    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Position]:
        # position-v2 carries the margin mode and liquidation price; it lists empty sides too
        data = await self._get(P + "position-v2", {"symbol": symbol} if symbol else None, creds)
        if not self.markets.fresh:
            await self._load_markets(force=False)
        result = []
        for row in data if isinstance(data, list) else []:
            inst = self.markets.get(str(row.get("symbol")))
            pos = parse.position(row, inst.contract_size if inst else Decimal(1))
            if pos is not None:
                result.append(pos)
        return result

    async def set_leverage(self, creds: Credentials, symbol: str, leverage: Decimal,
                           margin_mode: MarginMode) -> None:
        inst = await self.instrument(symbol)
        check_leverage(inst, leverage)
        await self._post(P + "submit-leverage", {"symbol": symbol, "leverage": fmt(leverage),
                                                  "open_type": margin_mode.value}, creds)

    async def set_position_mode(self, creds: Credentials, mode: PositionMode) -> None:
        wire = "hedge_mode" if mode is PositionMode.HEDGE else "one_way_mode"
        await self._post(P + "set-position-mode", {"position_mode": wire}, creds)

    # ------------------------------------------------------------------ ledger

    async def fills(self, creds: Credentials, symbol: str | None = None, *,
                    start_ms: int | None = None, end_ms: int | None = None) -> list[Fill]:
        """Trades, newest first (BitMart: last 7 days by default, at most 90 days per call)."""
        params: dict[str, Any] = {"symbol": symbol} if symbol else {}
        if start_ms is not None:
            params["start_time"] = start_ms // 1000
        if end_ms is not None:
            params["end_time"] = end_ms // 1000
        data = await self._get(P + "trades", params or None, creds)
        return [parse_ledger.fill(r) for r in data] if isinstance(data, list) else []

    async def transactions(self, creds: Credentials, *, start_ms: int | None = None,
                           end_ms: int | None = None, max_pages: int = 20) -> list[Transaction]:
        """Ledger entries (PnL, fees, funding, transfers), newest first, paged back by end time."""
        out: list[Transaction] = []
        end = end_ms
        for _ in range(max_pages):
            params: dict[str, Any] = {"page_size": TXN_PAGE}
            if start_ms is not None:
                params["start_time"] = start_ms
            if end is not None:
                params["end_time"] = end
            data = await self._get(P + "transaction-history", params, creds)
            page = [parse_ledger.transaction(r) for r in data] if isinstance(data, list) else []
            out.extend(page)
            if len(page) < TXN_PAGE:
                break
            end = min(t.time_ms for t in page)  # inclusive: entries sharing that ms are not lost
        unique = {(t.tran_id, t.flow, t.time_ms, t.amount): t for t in out}  # pages overlap at `end`
        return sorted(unique.values(), key=lambda t: -t.time_ms)

    async def set_tp_sl(self, creds: Credentials, symbol: str, side: PositionSide, *,
                        take_profit: Decimal | None = None, stop_loss: Decimal | None = None) -> None:
        if take_profit is None and stop_loss is None:
            raise invalid("take_profit", "give a take-profit or a stop-loss price (or both)")
        inst = await self.instrument(symbol)
        close_side = 3 if side is PositionSide.LONG else 2  # sell_close_long / buy_close_short
        calls = []
        for kind, price, field in (("take_profit", take_profit, "take_profit"),
                                   ("stop_loss", stop_loss, "stop_loss")):
            if price is None:
                continue
            trigger = fmt(check_price(inst, price, field))
            calls.append(self._post(P + "submit-tp-sl-order", {
                "symbol": symbol, "type": kind, "side": close_side, "trigger_price": trigger,
                "executive_price": trigger, "price_type": 1, "plan_category": 2, "category": "market",
            }, creds, order_endpoint=True))
        await asyncio.gather(*calls)

    async def tp_sl_triggers(self, creds: Credentials,
                             symbol: str) -> list[tuple[str, PositionSide, Decimal]]:
        """The position TP/SL plan orders standing on `symbol`: (take_profit|stop_loss, side, trigger)."""
        data = await self._get(P + "current-plan-order",
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
            self._get(P + "current-plan-order", query or None, creds),
            self._get(P + "get-open-orders", {**query, "type": "trailing"}, creds),
        )
        rows = [r for r in (plans if isinstance(plans, list) else []) if isinstance(r, dict)]
        rows += [r for r in (trails if isinstance(trails, list) else [])
                 if isinstance(r, dict) and r.get("type") == "trailing"]
        found = [parse.plan_order(r) for r in rows]
        return [p for p in found if p is not None]

    # ------------------------------------------------------------------ streams

    def stream(self, creds: Credentials | CredentialsOpener,
               symbols: Sequence[str] = ()) -> AsyncIterator[StreamEvent]:
        from perpdesk.exchanges.bitmart.stream import PrivateStream

        if not self.ws_url:
            raise ValueError("this connector has no ws_url; pass ws_url= to stream")
        return PrivateStream(self, creds, symbols).events()

    def market_stream(self) -> PublicStream:
        from perpdesk.exchanges.bitmart.market_stream import PublicStream

        if not self.ws_url:
            raise ValueError("this connector has no ws_url; pass ws_url= to stream")
        return PublicStream(self.ws_url, proxy=self.proxy, source_address=self.source_address)

    async def aclose(self) -> None:
        await self.http.aclose()


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
