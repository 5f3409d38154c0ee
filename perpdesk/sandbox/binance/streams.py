"""The Binance port's WebSocket: market streams and the listen-key user data stream.

* `/ws/<stream>` (raw payloads), `/stream?streams=<a>/<b>` (combined: `{"stream", "data"}`),
  `/ws` with live `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` requests
  (`{"method", "params", "id"}` answered `{"result", "id"}`).
* Binance's routed endpoints, where its official SDK connects: `/market/stream`, `/public/stream`
  (depth and book ticker streams) and `/private/stream` (listen keys), each combined and
  taking only its own kind of stream (as the SDK routes them).
* A stream is a market stream (`btcusdt@markPrice`, see market_streams.STREAM_RE) or a live
  listen key (the user data stream of the key's account). When a listen key ends (DELETE, or
  60 minutes without keepalive) its subscribers get `listenKeyExpired` and lose the stream.
* Every connection has its own bounded queue and writer: a slow reader is cut off (1013)
  rather than delaying the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from perpdesk.sandbox.api.rest import Receive, Scope, Send
from perpdesk.sandbox.binance.call import Call
from perpdesk.sandbox.binance.depth_diffs import DepthDiffs
from perpdesk.sandbox.binance.limits import BinanceLimits
from perpdesk.sandbox.binance.listen_keys import ListenKey, ListenKeys
from perpdesk.sandbox.binance.margin_calls import MarginCalls
from perpdesk.sandbox.binance.market_streams import ALL_MARKET, agg_trades, is_diff_depth, parse, tick_payload
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.binance.user_events import user_events
from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.engine import EngineEvent

ROUTES = {"/market/stream": "market", "/public/stream": "public", "/private/stream": "private"}
QUEUE_LIMIT = 2000
MAX_STREAMS = 200  # per connection, as Binance allows
_CLOSE = object()


class _Conn:
    def __init__(self, ws: WebSocket, combined: bool, route: str | None = None) -> None:
        self.ws = ws
        self.combined = combined
        self.route = route  # market, public or private on a routed endpoint; None: any stream
        self.streams: set[str] = set()
        self.queue: asyncio.Queue[object] = asyncio.Queue(QUEUE_LIMIT)
        self.dropped = False

    def push(self, stream: str, payload: Any) -> None:
        body = {"stream": stream, "data": payload} if self.combined else payload
        self.put(orjson.dumps(body).decode())

    def put(self, item: object) -> None:
        if self.dropped:
            return
        if self.queue.full():
            self.dropped = True  # too slow: better a reconnect than stale data
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(_CLOSE)
            return
        self.queue.put_nowait(item)


class BinanceStreams:
    def __init__(
        self, context: Callable[[], SandboxContext | None], listen_keys: ListenKeys, limits: BinanceLimits
    ) -> None:
        self.context = context
        self.listen_keys = listen_keys
        self.limits = limits
        self.conns: set[_Conn] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._expiry: asyncio.Task[None] | None = None
        self.margin_calls = MarginCalls()
        self.depth_diffs = DepthDiffs()
        listen_keys.on_end.append(self._listen_key_ended)

    # ---- connections ---------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ws = WebSocket(scope, receive, send)
        ctx = self.context()
        path = scope["path"]
        if ctx is None or (path not in ("/ws", "/stream", *ROUTES) and not path.startswith("/ws/")):
            await ws.close(1008)
            return
        if path.endswith("/stream"):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            names = [n for n in "/".join(query.get("streams", [])).split("/") if n]
        else:
            names = [n for n in path.removeprefix("/ws").split("/") if n]
        conn = _Conn(ws, combined=path.endswith("/stream"), route=ROUTES.get(path))
        if any(not self._valid(n, conn) for n in names) or len(names) > MAX_STREAMS:
            await ws.close(1008, "unknown stream: see docs/sandbox-binance.md")
            return
        await ws.accept()
        conn.streams.update(names)
        self._open(ctx, conn)
        writer = asyncio.create_task(self._write(conn))
        try:
            while not conn.dropped:
                self._request(conn, await ws.receive_text())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self._close(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    def _valid(self, name: str, conn: _Conn) -> bool:
        parsed = parse(name)
        if parsed is None:
            return self.listen_keys.live(name) is not None and conn.route in (None, "private")
        public = parsed[1].startswith("depth") or parsed[1] == "bookTicker"
        return conn.route is None or conn.route == ("public" if public else "market")

    def _open(self, ctx: SandboxContext, conn: _Conn) -> None:
        self.conns.add(conn)
        if self._unsubscribe is None:
            self._unsubscribe = ctx.engine.subscribe(self._on_event)
            self._expiry = asyncio.create_task(self._expire_listen_keys())

    def _close(self, conn: _Conn) -> None:
        self.conns.discard(conn)
        if not self.conns and self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            if self._expiry is not None:
                self._expiry.cancel()
                self._expiry = None

    async def _write(self, conn: _Conn) -> None:
        while True:
            item = await conn.queue.get()
            if item is _CLOSE:
                await conn.ws.close(1013 if conn.dropped else 1000)
                return
            await conn.ws.send_text(str(item))

    async def _expire_listen_keys(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.listen_keys.expire_due()

    # ---- live requests -------------------------------------------------------------------------
    def _request(self, conn: _Conn, raw: str) -> None:
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            msg = None
        if not isinstance(msg, dict) or msg.get("method") not in (
            "SUBSCRIBE",
            "UNSUBSCRIBE",
            "LIST_SUBSCRIPTIONS",
        ):
            conn.put(
                orjson.dumps(
                    {
                        "error": {
                            "code": 2,
                            "msg": 'Invalid request: send {"method": '
                            '"SUBSCRIBE", "params": ["btcusdt@markPrice"], "id": 1}',
                        }
                    }
                ).decode()
            )
            return
        ident, method, params = msg.get("id"), msg["method"], msg.get("params") or []
        if method == "LIST_SUBSCRIPTIONS":
            conn.put(orjson.dumps({"result": sorted(conn.streams), "id": ident}).decode())
            return
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            conn.put(
                orjson.dumps(
                    {
                        "error": {"code": 2, "msg": "Invalid request: 'params' is a list of stream names"},
                        "id": ident,
                    }
                ).decode()
            )
            return
        if method == "SUBSCRIBE":
            bad = [p for p in params if not self._valid(p, conn)]
            if bad or len(conn.streams | set(params)) > MAX_STREAMS:
                conn.put(
                    orjson.dumps(
                        {
                            "error": {
                                "code": 2,
                                "msg": "Invalid request: unknown stream name or too many streams",
                            },
                            "id": ident,
                        }
                    ).decode()
                )
                return
            conn.streams.update(params)
        else:
            conn.streams.difference_update(params)
        conn.put(orjson.dumps({"result": None, "id": ident}).decode())

    # ---- engine events -------------------------------------------------------------------------
    def _on_event(self, event: EngineEvent) -> None:
        ctx = self.context()
        if ctx is None or not self.conns:
            return
        now = ctx.engine.now()
        if event.uid is not None:
            self._user_event(ctx, event, now)
        elif event.channel == "futures/ticker" and isinstance(event.data, dict):
            symbol = str(event.data.get("symbol", ""))
            self._margin_calls(ctx, symbol, now)  # before the price's pushes: they follow it
            self._tick(ctx, symbol, now)
        elif event.channel.startswith("futures/trade:") and isinstance(event.data, list):
            symbol = event.channel.removeprefix("futures/trade:")
            name = symbol.lower() + "@aggTrade"
            pushes = agg_trades(symbol, event.data, now)
            for conn in [c for c in self.conns if name in c.streams]:
                for payload in pushes:
                    conn.push(name, payload)

    def _subscribers(self) -> dict[str, list[tuple[_Conn, str]]]:
        """The user data streams listened to, by the uid of their listen key."""
        out: dict[str, list[tuple[_Conn, str]]] = {}
        for conn in self.conns:
            for name in conn.streams:
                lk = self.listen_keys.live(name) if len(name) == 64 and "@" not in name else None
                if lk is not None:
                    out.setdefault(lk.uid, []).append((conn, name))
        return out

    def _user_event(self, ctx: SandboxContext, event: EngineEvent, now: int) -> None:
        assert event.uid is not None
        subscribers = self._subscribers().get(event.uid)
        if not subscribers:
            return
        for payload in user_events(ctx.engine.state, event.channel, event.uid, event.data, now):
            for conn, name in subscribers:
                conn.push(name, payload)

    def _margin_calls(self, ctx: SandboxContext, symbol: str, now: int) -> None:
        """A new mark for `symbol`: MARGIN_CALL to the listening holders it puts at risk."""
        state = ctx.engine.state
        for uid, subscribers in self._subscribers().items():
            if uid not in state.holders.get(symbol, ()):
                continue
            for payload in self.margin_calls.check(state, uid, now):
                for conn, name in subscribers:
                    conn.push(name, payload)

    def _tick(self, ctx: SandboxContext, symbol: str, now: int) -> None:
        prefix = symbol.lower() + "@"
        built: dict[str, Any] = {}
        call = Call(ctx, Params({}), self.limits)
        for conn in self.conns:
            for name in conn.streams:
                every = name in ALL_MARKET
                if not (every or name.startswith(prefix)) or name.endswith("@aggTrade"):
                    continue
                if name not in built:
                    parsed = parse(name)
                    if parsed is not None and is_diff_depth(parsed[1]):
                        # one diff per tick, whatever the speed: all its followers share the base
                        if "depth" not in built:
                            built["depth"] = self.depth_diffs.push(call, symbol, now)
                        built[name] = built["depth"]
                    else:
                        payload = tick_payload(call, symbol, parsed[1], now) if parsed else None
                        built[name] = [payload] if every and payload is not None else payload
                if built[name] is not None:
                    conn.push(name, built[name])

    def _listen_key_ended(self, lk: ListenKey) -> None:
        ctx = self.context()
        now = ctx.engine.now() if ctx is not None else 0
        for conn in self.conns:
            if lk.key in conn.streams:
                # the SDK's model (the authority here) names the field listen_key, not listenKey
                conn.push(lk.key, {"e": "listenKeyExpired", "E": now, "listen_key": lk.key})
                conn.streams.discard(lk.key)
                if not conn.streams and not conn.combined:
                    conn.put(_CLOSE)
