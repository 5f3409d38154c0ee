"""BitMart Futures V2 WebSocket: public `/api` and private `/user` (`?protocol=1.1`).

Client actions: `ping`, `access` (private login, signed like REST over
`{timestamp}#{memo}#bitmart.WebSocket`), `subscribe` / `unsubscribe` with `args` of group names.
Engine events are fanned out to the connections subscribed to their group and pushed as
`{"group": ..., "data": ...}`, the engine having shaped `data` as BitMart does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.engine import EngineEvent

log = logging.getLogger(__name__)

PRIVATE_CHANNELS = ("futures/asset", "futures/position", "futures/order")
PUBLIC_CHANNELS = ("futures/ticker", "futures/depth20", "futures/trade", "futures/klineBin1m")
ASSET_CURRENCIES = ("USDT",)
PONG = {"group": "System", "data": "pong"}  # BitMart futures' answer to {"action":"ping"}
QUEUE_LIMIT = 2000  # a client this far behind is disconnected rather than buffered without bound
MAX_ARGS = 100


def _now_ms() -> int:
    return int(time.time() * 1000)


def _is_private(group: str) -> bool:
    return group.split(":", 1)[0] in PRIVATE_CHANNELS


def _problem(group: str, symbols: list[str]) -> str | None:
    """Why the sandbox cannot serve this group (BitMart's wording where it has one), or None."""
    base, _, rest = group.partition(":")
    if base in PRIVATE_CHANNELS:
        if base == "futures/asset" and rest not in ASSET_CURRENCIES:
            return f"group [{group}] not exist (use futures/asset:USDT)"
        if base != "futures/asset" and rest:
            return f"group [{group}] not exist"
        return None
    if base not in PUBLIC_CHANNELS:
        return f"group [{group}] not exist (the sandbox serves {', '.join(PUBLIC_CHANNELS)})"
    symbol, _, speed = rest.partition("@")
    if not symbol and base != "futures/ticker":
        return f"group [{group}] not exist: name a symbol, e.g. {base}:BTCUSDT"
    if symbol and symbol not in symbols:
        return f"group [{group}] not exist: unknown symbol {symbol}"
    if speed and (base != "futures/depth20" or speed not in ("100ms", "200ms")):
        return f"group [{group}] not exist: only depth channels take @100ms or @200ms"
    return None


class Connection:
    def __init__(self, ws: WebSocket, private: bool) -> None:
        self.ws = ws
        self.private = private
        self.uid: str | None = None
        self.groups: set[str] = set()
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_LIMIT)

    def send(self, message: dict[str, Any]) -> None:
        self._put(orjson.dumps(message, default=str))

    def send_text(self, text: str) -> None:
        self._put(text.encode())

    def _put(self, data: bytes) -> None:
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            self.overflow()

    def overflow(self) -> None:
        # Drop what is queued and tell the writer to close: better a reconnect than stale data.
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    def offer(self, event: EngineEvent) -> None:
        if event.uid is not None:
            if event.uid == self.uid and event.channel in self.groups:
                self.send({"group": event.channel, "data": event.data})
            return
        # Public: "futures/ticker" events go to "futures/ticker:SYMBOL" subscribers; depth groups
        # may carry BitMart's speed suffix ("futures/depth20:BTCUSDT@200ms").
        channel = event.channel
        if ":" not in channel and isinstance(event.data, dict) and event.data.get("symbol"):
            channel = f"{channel}:{event.data['symbol']}"
        for group in self.groups:
            if group == channel or group == event.channel or group.split("@", 1)[0] == channel:
                self.send({"group": group, "data": event.data})


class Hub:
    """One engine subscription, shared by every open connection."""

    def __init__(self, subscribe: Callable[[Callable[[EngineEvent], None]], Callable[[], None]]) -> None:
        self._subscribe = subscribe
        self._unsubscribe: Callable[[], None] | None = None
        self.connections: set[Connection] = set()

    def add(self, conn: Connection) -> None:
        if self._unsubscribe is None:
            self._unsubscribe = self._subscribe(self._on_event)
        self.connections.add(conn)

    def remove(self, conn: Connection) -> None:
        self.connections.discard(conn)
        if not self.connections and self._unsubscribe is not None:
            # Nobody listens: let the engine skip building market pushes.
            self._unsubscribe()
            self._unsubscribe = None

    def _on_event(self, event: EngineEvent) -> None:
        for conn in list(self.connections):
            if conn.groups:
                conn.offer(event)


class WsServer:
    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.hub = Hub(ctx.engine.subscribe)
        self._symbols: list[str] | None = None

    def symbols(self) -> list[str]:
        if self._symbols is None:
            self._symbols = list(self.ctx.engine.symbols())
        return self._symbols

    # -- login -------------------------------------------------------------------------------
    def _access(self, conn: Connection, args: list[Any]) -> str | None:
        """Check a login; returns an error text, or None and sets conn.uid."""
        if len(args) < 3 or not all(isinstance(a, str) for a in args[:3]):
            return "access failed: args must be [api_key, timestamp, sign, \"web\"]"
        api_key, timestamp, sign = args[0], args[1], args[2]
        key = self.ctx.identity.key_by_api_key(api_key)
        if key is None:
            return "access failed: api key not found"
        if not timestamp.isdigit() or abs(_now_ms() - int(timestamp)) > self.ctx.config.timestamp_window_ms:
            return (f"access failed: timestamp out of range, must be within "
                    f"{self.ctx.config.timestamp_window_ms}ms of server time")
        expected = hmac.new(
            key.secret_key.encode(), f"{timestamp}#{key.memo}#bitmart.WebSocket".encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, sign.lower()):
            return "access failed: sign is wrong"
        peer = conn.ws.client.host if conn.ws.client else ""
        if key.ip_whitelist and not _ip_in(peer, key.ip_whitelist):
            return f"access failed: IP {peer} is forbidden for this api key"
        if not self.ctx.identity.is_futures_whitelisted(key.uid):
            return "access failed: account is not whitelisted for futures API trading (API Whitelist Request)"
        conn.uid = key.uid
        return None

    # -- one client message --------------------------------------------------------------------
    def _handle(self, conn: Connection, raw: str) -> None:
        if raw.strip().lower() == "ping":
            conn.send_text("pong")  # BitMart: the string 'ping' is answered by the string 'pong'
            return
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            conn.send({"action": "unknown", "success": False, "error": "message is not valid JSON"})
            return
        if not isinstance(msg, dict):
            conn.send({"action": "unknown", "success": False, "error": "message must be a JSON object"})
            return
        action = msg.get("action")
        args = msg.get("args") or []
        if action == "ping":
            conn.send(PONG)
        elif action == "access":
            if not conn.private:
                conn.send({"action": "access", "success": False,
                           "error": "access failed: log in on the private path /user"})
                return
            error = self._access(conn, args if isinstance(args, list) else [])
            conn.send({"action": "access", "success": True} if error is None
                      else {"action": "access", "success": False, "error": error})
        elif action in ("subscribe", "unsubscribe"):
            if not isinstance(args, list) or not args or len(args) > MAX_ARGS:
                conn.send({"action": action, "success": False, "request": msg,
                           "error": f"args must be a list of 1 to {MAX_ARGS} channel names"})
                return
            for group in args:
                conn.send(self._subscription(conn, action, str(group), msg))
        else:
            conn.send({"action": action, "success": False, "request": msg,
                       "error": "unknown action; use ping, access, subscribe or unsubscribe"})

    def _subscription(self, conn: Connection, action: str, group: str, msg: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = {"action": action, "group": group, "request": msg}
        if action == "unsubscribe":
            conn.groups.discard(group)
            return {**reply, "success": True}
        error = _problem(group, self.symbols())
        if error is None and _is_private(group) and not conn.private:
            error = f"{group} need authentication: connect to /user and send access first"
        elif error is None and _is_private(group) and conn.uid is None:
            error = f"{group} need authentication: send access first"
        if error:
            return {**reply, "success": False, "error": error}
        conn.groups.add(group)
        return {**reply, "success": True}

    # -- the connection ------------------------------------------------------------------------
    async def serve(self, ws: WebSocket, private: bool) -> None:
        await ws.accept()
        conn = Connection(ws, private)
        self.hub.add(conn)
        writer = asyncio.create_task(self._writer(conn))
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", "replace")
                if text is not None:
                    self._handle(conn, text[:65536])
                if writer.done():
                    break
        except WebSocketDisconnect:
            pass
        finally:
            self.hub.remove(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
            if ws.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await ws.close()

    async def _writer(self, conn: Connection) -> None:
        while True:
            data = await conn.queue.get()
            if data is None:
                await conn.ws.close(code=1013, reason="client too slow")
                return
            await conn.ws.send_text(data.decode())


def _ip_in(peer: str, allowed: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address) in allowed


def routes(ctx: SandboxContext) -> list[BaseRoute]:
    server = WsServer(ctx)

    async def public(ws: WebSocket) -> None:
        await server.serve(ws, private=False)

    async def private(ws: WebSocket) -> None:
        await server.serve(ws, private=True)

    return [WebSocketRoute("/api", public), WebSocketRoute("/user", private)]
