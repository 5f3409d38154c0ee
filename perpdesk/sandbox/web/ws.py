"""BitMart Futures V2 WebSocket: public `/api` and private `/user` (`?protocol=1.1`).

Client actions: `ping` (or the bare text `ping`), `access` (private login; `login` is taken as
a synonym), `subscribe` / `unsubscribe` / `request` with `args` of topics. The protocol lives in
`ws_protocol`, connections and fan-out in `ws_connection`, the channels in `ws_public` and
`ws_private`; this module dispatches client frames and runs the connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.engine import EngineEvent
from perpdesk.sandbox.web.ws_connection import Connection, Registry
from perpdesk.sandbox.web.ws_private import PrivateChannels
from perpdesk.sandbox.web.ws_protocol import (
    MAX_GROUPS,
    PONG,
    REQUESTABLE,
    Topic,
    args_problem,
    decode,
    parse_topic,
    reply,
)
from perpdesk.sandbox.web.ws_public import PublicChannels

log = logging.getLogger(__name__)

CLOCK_S = 1.0


class WsServer:
    def __init__(self, ctx: SandboxContext) -> None:
        self.ctx = ctx
        self.registry = Registry(self._group_empty)
        self.public = PublicChannels(ctx.engine, self.registry)
        self.private = PrivateChannels(ctx, self.registry)
        self._unsubscribe_engine: Callable[[], None] | None = None
        self._clock: asyncio.Task[None] | None = None
        self._per_ip: Counter[str] = Counter()
        self._symbols: list[str] | None = None

    def symbols(self) -> list[str]:
        if self._symbols is None:
            self._symbols = list(self.ctx.engine.symbols())
        return self._symbols

    # ---- engine events and the clock -------------------------------------------------------------
    def _on_event(self, event: EngineEvent) -> None:
        if event.uid is not None:
            self.private.on_event(event.uid, event.channel, event.data)
        else:
            self.public.on_event(event.channel, event.data)

    def _group_empty(self, topic: Topic) -> None:
        if not topic.private:
            self.public.on_group_empty(topic)

    async def _run_clock(self) -> None:
        while True:
            await asyncio.sleep(CLOCK_S)
            now = self.ctx.engine.now()
            try:
                self.public.on_clock(now)
                self.private.on_clock(now)
            except Exception:  # a failing timed push must not stop the others
                log.exception("WebSocket timed push failed")

    def _open(self, conn: Connection) -> None:
        self.registry.add(conn)
        self._per_ip[conn.peer] += 1
        if self._unsubscribe_engine is None:
            self._unsubscribe_engine = self.ctx.engine.subscribe(self._on_event)
            self._clock = asyncio.create_task(self._run_clock(), name="sandbox-ws-clock")

    def _closed(self, conn: Connection) -> None:
        self.registry.remove(conn)
        self.private.forget(conn)
        self._per_ip[conn.peer] -= 1
        if self._per_ip[conn.peer] <= 0:
            del self._per_ip[conn.peer]
        if not self.registry.connections and self._unsubscribe_engine is not None:
            # Nobody listens: let the engine skip building market pushes.
            self._unsubscribe_engine()
            self._unsubscribe_engine = None
            if self._clock is not None:
                self._clock.cancel()
                self._clock = None

    # ---- one client frame ----------------------------------------------------------------------
    def handle(self, conn: Connection, raw: str) -> None:
        if raw.strip().lower() == "ping":
            conn.put("pong")  # documented: the text 'ping' is answered by the text 'pong'
            return
        msg = decode(raw)
        if isinstance(msg, str):
            conn.send({"action": "unknown", "success": False, "error": msg})
            return
        action, args = msg.get("action"), msg.get("args")
        msg = {k: msg[k] for k in ("action", "args") if k in msg}  # what replies echo as "request"
        if action == "ping":
            conn.send(PONG)
        elif action in ("access", "login"):
            self._access(conn, str(action), msg, args)
        elif action in ("subscribe", "unsubscribe", "request"):
            problem = args_problem(str(action), args)
            if problem is not None or not isinstance(args, list):
                conn.send(reply(str(action), None, msg, problem or "args must be a list"))
                return
            for group in args:
                self._topic_action(conn, str(action), group, msg)
        else:
            conn.send(reply(str(action)[:50], None, msg,
                            "unknown action; use ping, access, subscribe, unsubscribe or request"))

    def _access(self, conn: Connection, action: str, msg: dict[str, Any], args: Any) -> None:
        if not conn.private:
            conn.send({"action": action, "success": False,
                       "error": "access failed: log in on the private path /user?protocol=1.1"})
            return
        error = self.private.login_problem(conn, args)
        if error is None:
            conn.send({"action": action, "success": True})
            return
        conn.send({"action": action, "success": False, "error": error})
        conn.close(1008, "login failed")  # documented: a failed login disconnects

    def _topic_action(self, conn: Connection, action: str, group: str, msg: dict[str, Any]) -> None:
        if action == "unsubscribe":
            self.registry.unfollow(conn, group)
            conn.send(reply(action, group, msg))
            return
        topic = parse_topic(group, self.symbols())
        if isinstance(topic, str):
            conn.send(reply(action, group, msg, topic))
            return
        if topic.private:
            problem = self.private.auth_problem(conn, group)
            if problem is not None:
                conn.send(reply(action, group, msg, problem))
                return
        if action == "request":
            if topic.kind not in REQUESTABLE:
                conn.send(reply(action, group, msg, "request serves futures/fundingRate and "
                                "futures/depthIncrease5/20/50 only; subscribe to the others"))
            else:
                self.public.request(conn, topic)
            return
        if group not in conn.groups and len(conn.groups) >= MAX_GROUPS:
            conn.send(reply(action, group, msg, f"too many subscriptions on one connection (at most "
                                                f"{MAX_GROUPS}); unsubscribe some or open another"))
            return
        self.registry.follow(conn, topic)
        conn.send(reply(action, group, msg))
        if topic.private:
            self.private.on_subscribe(conn, topic.kind)
        else:
            self.public.on_subscribe(conn, topic)

    # ---- the connection ------------------------------------------------------------------------
    async def serve(self, ws: WebSocket, private: bool) -> None:
        await ws.accept()
        conn = Connection(ws, private)
        most = self.ctx.config.ws_per_address
        if self._per_ip[conn.peer] >= most:
            await ws.close(code=1008, reason=f"at most {most} connections per IP")
            return
        self._open(conn)
        writer = conn.writer = asyncio.create_task(conn.write())
        receiving: asyncio.Future[Any] | None = None
        try:
            # Wait on the writer too: when it ends (closed, or cut off as too slow), so does this.
            while not writer.done():
                receiving = receiving or asyncio.ensure_future(ws.receive())
                await asyncio.wait((receiving, writer), return_when=asyncio.FIRST_COMPLETED)
                if not receiving.done():
                    break
                message, receiving = receiving.result(), None
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", "replace")
                if text is not None and not conn.closing:
                    self.handle(conn, text)
        except WebSocketDisconnect:
            pass
        except Exception:  # one connection's failure must never reach the others
            log.exception("WebSocket connection failed")
        finally:
            self._closed(conn)
            if receiving is not None:
                receiving.cancel()
            if not writer.done():
                conn.close(1000, "bye")
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(writer, 1.0)
            writer.cancel()
            if conn.dropped:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(code=1013, reason="client too slow"), 1.0)


def routes(ctx: SandboxContext) -> list[BaseRoute]:
    server = WsServer(ctx)

    async def public(ws: WebSocket) -> None:
        await server.serve(ws, private=False)

    async def private(ws: WebSocket) -> None:
        await server.serve(ws, private=True)

    return [WebSocketRoute("/api", public), WebSocketRoute("/user", private)]
