"""BitMart Futures private WebSocket: login, subscribe, heartbeat, reconnect, REST resync.

After every (re)connection the stream subscribes first and then reads balances, positions and
open orders over REST, emitted as one synthetic 'resync' event: anything that changed while the
socket was down is in that snapshot, and anything after it arrives on the subscribed channels.
A drop is reported at once as a 'disconnected' event (payload: reason), before the backoff.

`creds` may be an async opener instead of Credentials: it is called for every (re)connection
(login and the REST resync) and the plaintext is dropped once the session is up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, Protocol

import orjson
from websockets.asyncio.client import ClientConnection

from perpdesk.core.errors import ExchangeError, ExchangeUnavailable, InvalidSignature
from perpdesk.core.models import Balance, Credentials, Order, Position, StreamEvent
from perpdesk.exchanges.base import CredentialsOpener
from perpdesk.exchanges.bitmart import parse
from perpdesk.exchanges.bitmart.markets import MarketCache
from perpdesk.exchanges.bitmart.rest import BitmartRest
from perpdesk.exchanges.bitmart.signing import ws_login_sign
from perpdesk.exchanges.bitmart.ws_link import endpoint_url, pinging
from perpdesk.exchanges.common.account_stream import disconnected, loads_object, open_creds, resync
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.exchanges.common.ws_link import DROPS, open_ws, reconnecting

# a failed resync (ExchangeUnavailable) reconnects too
_DROPS: tuple[type[BaseException], ...] = (*DROPS, ExchangeUnavailable)
CHANNELS = ("futures/asset:USDT", "futures/position", "futures/order")
_KINDS = {"futures/asset": "asset", "futures/position": "position", "futures/order": "order"}


def private_ws_url(ws_url: str) -> str:
    """The private endpoint from ws://host:port, .../user, .../api or either with ?protocol=1.1."""
    return endpoint_url(ws_url, "/user")


class StreamAccount(Protocol):
    """What the stream needs of its connector: where to connect, the REST client (for the login's
    timestamp), the contract sizes, and the three reads of a resync."""

    @property
    def ws_url(self) -> str | None: ...
    @property
    def proxy(self) -> str | None: ...
    @property
    def source_address(self) -> str | None: ...
    @property
    def ws_sources(self) -> SourceAddresses | None: ...
    @property
    def rest(self) -> BitmartRest: ...
    @property
    def markets(self) -> MarketCache: ...
    async def balances(self, creds: Credentials) -> list[Balance]: ...
    async def positions(self, creds: Credentials, symbol: str | None = None) -> list[Position]: ...
    async def open_orders(self, creds: Credentials, symbol: str | None = None) -> list[Order]: ...


class PrivateStream:
    def __init__(
        self,
        conn: StreamAccount,
        creds: Credentials | CredentialsOpener,
        symbols: Sequence[str] = (),
        *,
        ping_interval_s: float = 15.0,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 30.0,
        login_timeout_s: float = 10.0,
    ) -> None:
        assert conn.ws_url
        self.conn = conn
        self._creds_source = creds
        self.creds: Credentials | None = None  # only while logging in and resyncing
        self.symbols = set(symbols)
        self.url = private_ws_url(conn.ws_url)
        self.ping_interval_s = ping_interval_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.login_timeout_s = login_timeout_s
        self.connections = 0  # how many times a session was established (tests read it)
        self._ws: ClientConnection | None = None
        self.pings_sent = 0

    def _connect(self) -> Any:
        return open_ws(self.url, open_timeout_s=self.login_timeout_s, proxy=self.conn.proxy,
                       source_address=self.conn.source_address, sources=self.conn.ws_sources,
                       compress=False)

    def events(self) -> AsyncIterator[StreamEvent]:
        return reconnecting(self._connect, self._session, disconnected, drops=_DROPS,
                            backoff_initial_s=self.backoff_initial_s, backoff_max_s=self.backoff_max_s)

    async def _session(self, ws: ClientConnection) -> AsyncGenerator[StreamEvent, None]:
        self._ws = ws
        try:
            self.creds = await open_creds(self._creds_source)
            try:
                await self._login(ws)
                early = await self._subscribe(ws)
                snapshot = await self._resync()
            finally:
                if not isinstance(self._creds_source, Credentials):
                    self.creds = None
            self.connections += 1
            yield snapshot
            for pushed in early:  # pushed between the subscription and the snapshot
                yield pushed
            with pinging(ws, self.ping_interval_s, self._pinged):
                async for raw in ws:
                    event = self._event(raw)
                    if event is not None:
                        yield event
        finally:
            self._ws = None

    def _pinged(self) -> None:
        self.pings_sent += 1

    async def _login(self, ws: ClientConnection) -> None:
        assert self.creds is not None
        rest = self.conn.rest
        if rest.clock.stale:
            await rest.sync_clock()
        ts = str(rest.clock.now_ms())
        sign = ws_login_sign(self.creds.secret, ts, self.creds.passphrase)
        login = {"action": "access", "args": [self.creds.api_key, ts, sign, "web"]}
        await ws.send(orjson.dumps(login).decode())
        async with asyncio.timeout(self.login_timeout_s):
            while True:
                msg = loads_object(await ws.recv())
                if msg.get("action") != "access":
                    continue
                if msg.get("success") is True:
                    return
                raise InvalidSignature(
                    f"The exchange refused the stream login: {msg.get('error') or 'access failed'}")

    async def _subscribe(self, ws: ClientConnection) -> list[StreamEvent]:
        """Subscribe and wait for every acknowledgement, so the REST snapshot that follows leaves
        no gap; updates that arrive meanwhile are kept and returned."""
        await ws.send(orjson.dumps({"action": "subscribe", "args": list(CHANNELS)}).decode())
        pending = set(CHANNELS)
        early: list[StreamEvent] = []
        with contextlib.suppress(TimeoutError):  # a server that does not acknowledge: go on
            async with asyncio.timeout(self.login_timeout_s / 2):
                await self._await_acks(ws, pending, early)
        return early

    async def _await_acks(self, ws: ClientConnection, pending: set[str], early: list[StreamEvent]) -> None:
        while pending:
            raw = await ws.recv()
            msg = loads_object(raw)
            if msg.get("action") == "subscribe":
                if msg.get("success") is False:
                    raise ExchangeError(f"The exchange refused the subscription: {msg.get('error')}")
                pending.discard(str(msg.get("group")))
                continue
            event = self._event(raw)
            if event is not None:
                early.append(event)

    async def _resync(self) -> StreamEvent:
        assert self.creds is not None
        return await resync(self.conn, self.creds, self.symbols)

    def _event(self, raw: str | bytes) -> StreamEvent | None:
        msg = loads_object(raw)
        group = msg.get("group")
        if not isinstance(group, str) or "data" not in msg:
            return None  # pong, subscribe acknowledgements
        kind = _KINDS.get(group.split(":", 1)[0])
        if kind is None:
            return None
        data = msg["data"]
        if kind == "asset":
            rows = data if isinstance(data, list) else [data]
            return StreamEvent("asset", {"balances": parse.balances(rows), "raw": data})
        if kind == "position":
            rows = data if isinstance(data, list) else [data]
            items = [parse.position_push(r, self._contract_size(r)) for r in rows if isinstance(r, dict)]
            if self.symbols:
                items = [i for i in items if i[0] in self.symbols]
            return StreamEvent("position", {
                "positions": [p for _s, _side, p in items if p is not None],
                "closed": [(sym, side) for sym, side, p in items if p is None],
                "raw": data,
            })
        rows = data if isinstance(data, list) else [data]
        orders, filled, plans_changed, triggered = [], False, False, []
        for row in rows:
            if isinstance(row, dict):
                inner = row.get("order", row)
                if isinstance(inner, dict):
                    if self.symbols and inner.get("symbol") not in self.symbols:
                        continue
                    orders.append(parse.order(inner))
                    filled = filled or isinstance(inner.get("last_trade"), dict)
                    # sent by a plan / TP-SL / trailing order, or is one
                    plans_changed = plans_changed or _triggered(inner)
                    origin = _origin(inner)
                    if origin is not None:
                        triggered.append(origin)
        return StreamEvent("order", {"orders": orders, "filled": filled, "plans_changed": plans_changed,
                                     "triggered": triggered, "raw": data})

    def _contract_size(self, row: dict[str, Any]) -> Decimal:
        inst = self.conn.markets.get(str(row.get("symbol", "")))
        return inst.contract_size if inst is not None else Decimal(1)


def _triggered(order_row: dict[str, Any]) -> bool:
    if str(order_row.get("type", "")) in ("plan", "take_profit", "stop_loss", "trailing"):
        return True
    return any(order_row.get(k) not in (None, "", "-") for k in ("trigger_price", "activation_price"))


_ORIGIN_FIELDS = ("trigger_price", "activation_price", "callback_rate", "execution_price")


def _origin(order_row: dict[str, Any]) -> dict[str, str] | None:
    """The plan / TP-SL / trailing order that sent this order, as the push names it (None for an
    order nothing triggered, and for a push about a plan order itself)."""
    plan_id = str(order_row.get("plan_order_id") or "")
    order_id = str(order_row.get("order_id") or "")
    if not plan_id or plan_id == order_id:
        return None
    out = {"order_id": order_id, "plan_order_id": plan_id, "type": str(order_row.get("type") or "")}
    out.update({k: str(order_row[k]) for k in _ORIGIN_FIELDS if order_row.get(k) not in (None, "", "-")})
    return out
