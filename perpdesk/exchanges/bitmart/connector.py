"""BitmartFuturesConnector: the FuturesConnector Protocol over BitMart Futures V2 (USDT perpetuals)."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from perpdesk.core.errors import (
    ExchangeError,
    ExchangeUnavailable,
    MaybeApplied,
    OrderNotFound,
    UnknownOutcome,
)
from perpdesk.core.ledger import Fill, Transaction
from perpdesk.core.market import PlanOrder
from perpdesk.core.models import (
    Balance,
    Credentials,
    Instrument,
    KeyReport,
    MarginMode,
    Order,
    OrderRequest,
    OrderResult,
    OrderSide,
    OrderType,
    PlacementStatus,
    Position,
    PositionMode,
    PositionSide,
    StreamEvent,
    new_client_order_id,
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
    check_size,
    invalid,
    parse_brackets,
    submit_params,
    wire_size,
)
from perpdesk.exchanges.bitmart.ratelimit import RateLimiter
from perpdesk.exchanges.bitmart.rest import Auth, BitmartRest, Sent
from perpdesk.exchanges.bitmart.terminal_calls import TerminalCalls
from perpdesk.exchanges.bitmart.transport import HttpClient

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
SUBMIT = P + "submit-order"
OPEN_ORDERS_PAGE = 100  # get-open-orders returns at most this many (newest first)
ASSETS = P + "assets-detail"
_KEYED, _SIGNED = Auth.KEYED, Auth.SIGNED  # Enum members through the class are slow on 3.11


class BitmartFuturesConnector(TerminalCalls):
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
            self.base_url, self.http, timeout_s=timeout_s, clock=clock, limiter=limiter,
            window_ms=int(window_s * 1000), settle_margin_ms=int(settle_margin_s * 1000),
        )
        self.markets = MarketCache(markets_ttl_s)
        self._markets_lock = asyncio.Lock()
        self.settle_attempts = settle_attempts
        self.settle_delay_s = settle_delay_s

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

    # ------------------------------------------------------------------ orders

    def decided_after_ms(self) -> int:
        """Our wall-clock time after which no write signed up to now can be acted on any more."""
        return self.rest.decided_after_ms(self.clock.now_ms())

    async def place_order(self, creds: Credentials, order: OrderRequest) -> OrderResult:
        """Placed, rejected (why) or unknown. After no answer, a few look-ups by client order id may
        find it placed; not finding it proves nothing until its window has closed (the caller's
        settler looks again after `decided_after_ms`), so that is `unknown`, never rejected."""
        cid = order.client_order_id
        markets = self.markets
        try:
            inst = markets.get(order.symbol) if markets.fresh else None
            if inst is None:  # (the cached rules are looked up without a coroutine on the hot path)
                inst = await self.instrument(order.symbol)
            params = submit_params(inst, order, markets.brackets.get(inst.symbol))
        except ExchangeError as exc:  # invalid locally, or the contract rules could not be read
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc)
        sent = Sent()
        try:
            data = await self.rest.call("POST", SUBMIT, params, _SIGNED, creds, order_endpoint=True,
                                        sent=sent)
        except MaybeApplied as exc:
            return await self._look_up_after(creds, order.symbol, cid, exc, sent)
        except ExchangeError as exc:
            return OrderResult(PlacementStatus.REJECTED, cid, error=exc,
                               sent_timestamp_ms=sent.timestamp_ms)
        order_id = str(data.get("order_id")) if isinstance(data, dict) and data.get("order_id") else None
        return OrderResult(PlacementStatus.PLACED, cid, order_id=order_id,
                           sent_timestamp_ms=sent.timestamp_ms)

    async def _look_up_after(self, creds: Credentials, symbol: str, cid: str, cause: MaybeApplied,
                             sent: Sent) -> OrderResult:
        """The submit may or may not have executed: a few quick look-ups by client order id."""
        for attempt in range(self.settle_attempts):
            if attempt:
                await asyncio.sleep(min(self.settle_delay_s * attempt, 1.0))
            try:
                found = await self._find_by_client_id(creds, symbol, cid)
            except ExchangeError:
                continue
            if found is not None:
                return OrderResult(PlacementStatus.PLACED, cid, order_id=found.order_id,
                                   sent_timestamp_ms=sent.timestamp_ms)
        return OrderResult(PlacementStatus.UNKNOWN, cid, error=UnknownOutcome(
            f"The exchange did not answer the order {cid} ({cause}); it may still execute it.",
            client_order_id=cid,
        ), sent_timestamp_ms=sent.timestamp_ms, decided_after_ms=sent.decided_after_ms)

    async def _find_by_client_id(self, creds: Credentials, symbol: str, cid: str) -> Order | None:
        """The order with this client id, or None when the exchange proves it has none. BitMart lists
        at most OPEN_ORDERS_PAGE open orders: a full page without it proves nothing (raised)."""
        now_s = int(time.time())
        open_task = self._get(P + "get-open-orders", {"symbol": symbol, "limit": OPEN_ORDERS_PAGE}, creds)
        hist_task = self._get(P + "order-history", {
            "symbol": symbol, "client_order_id": cid, "start_time": now_s - 7 * 86400, "end_time": now_s + 60,
        }, creds)
        open_rows, hist_rows = await asyncio.gather(open_task, hist_task)
        for rows in (open_rows, hist_rows):
            for row in rows if isinstance(rows, list) else []:
                if row.get("client_order_id") == cid:
                    return parse.order(row)
        if isinstance(open_rows, list) and len(open_rows) >= OPEN_ORDERS_PAGE:
            raise ExchangeUnavailable(
                f"{symbol} has {OPEN_ORDERS_PAGE} or more open orders: the look-up of {cid} cannot prove "
                "it absent", next_step="perpdesk looks again; cancelling unneeded orders helps.")
        return None

    async def cancel_order(self, creds: Credentials, symbol: str, *, order_id: str | None = None,
                           client_order_id: str | None = None) -> None:
        await self._post(P + "cancel-order", _id_params(symbol, order_id, client_order_id), creds,
                         order_endpoint=True)

    async def cancel_all(self, creds: Credentials, symbol: str) -> None:
        await self._post(P + "cancel-orders", {"symbol": symbol}, creds, order_endpoint=True)

    async def amend_order(self, creds: Credentials, symbol: str, *, order_id: str | None = None,
                          client_order_id: str | None = None, price: Decimal | None = None,
                          size: Decimal | None = None) -> None:
        if price is None and size is None:
            raise invalid("price", "give a new price or a new size (or both)")
        inst = await self.instrument(symbol)
        params = _id_params(symbol, order_id, client_order_id)
        if price is not None:
            params["price"] = fmt(check_price(inst, price))
        if size is not None:
            params["size"] = wire_size(check_size(inst, size))
        await self._post(P + "modify-limit-order", params, creds, order_endpoint=True)

    async def get_order(self, creds: Credentials, symbol: str, *, order_id: str | None = None,
                        client_order_id: str | None = None) -> Order | None:
        if order_id is None:
            if client_order_id is None:
                raise invalid("order_id", "give the order id or the client order id")
            return await self._find_by_client_id(creds, symbol, client_order_id)
        try:
            data = await self._get(P + "order", {"symbol": symbol, "order_id": order_id}, creds,
                                   order_endpoint=True)
        except OrderNotFound:
            return None
        return parse.order(data) if isinstance(data, dict) and data else None

    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Order]:
        data = await self._get(P + "get-open-orders", {"symbol": symbol} if symbol else None, creds)
        rows = data if isinstance(data, list) else []
        # trailing orders are listed here too; they are plan_orders()
        return [parse.order(r) for r in rows if r.get("type") != "trailing"]

    async def order_history(self, creds: Credentials, symbol: str) -> list[Order]:
        data = await self._get(P + "order-history", {"symbol": symbol}, creds)
        return [parse.order(r) for r in data] if isinstance(data, list) else []

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

    async def close_position(self, creds: Credentials, symbol: str, side: PositionSide) -> OrderResult:
        """A market order for the whole position, with its own client order id (settled like any)."""
        cid = new_client_order_id()
        held = [p for p in await self.positions(creds, symbol) if p.side is side and p.symbol == symbol]
        if not held:
            return OrderResult(PlacementStatus.REJECTED, cid, error=invalid(
                "position", f"there is no open {side.value} position in {symbol}"))
        close_side = OrderSide.SELL_CLOSE_LONG if side is PositionSide.LONG else OrderSide.BUY_CLOSE_SHORT
        request = OrderRequest(symbol=symbol, side=close_side, size=held[0].size, client_order_id=cid,
                               type=OrderType.MARKET, margin_mode=held[0].margin_mode)
        return await self.place_order(creds, request)

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


def _id_params(symbol: str, order_id: str | None, client_order_id: str | None) -> dict[str, Any]:
    if order_id is None and client_order_id is None:
        raise invalid("order_id", "give the order id or the client order id")
    params: dict[str, Any] = {"symbol": symbol}
    if order_id is not None:
        params["order_id"] = order_id
    if client_order_id is not None:
        params["client_order_id"] = client_order_id
    return params
