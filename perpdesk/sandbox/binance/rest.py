"""The Binance USDⓈ-M Futures REST dialect: a thin plain-ASGI dispatcher on its own port.

Per request: find the endpoint (-5000, 404 when none), count the IP's request weight (429 -1003,
then 418 bans), read the parameters (query string and url-encoded body), authenticate
(`X-MBX-APIKEY`; for SIGNED endpoints timestamp, recvWindow and HMAC signature), check the key's
futures permission, count new orders (429 -1015), run the handler on the shared engine, and
answer Binance's JSON (an error is `{"code": -XXXX, "msg": "..."}`) with `X-MBX-USED-WEIGHT-1M`
and, on order endpoints, `X-MBX-ORDER-COUNT-10S` / `-1M`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from perpdesk.sandbox.api.faults import FaultPlan, Faults, drop_connection
from perpdesk.sandbox.api.rest import MAX_BODY, TRANSPORT_KEY, Receive, Scope, Send, _read_body, send_json
from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.binance import faults as F
from perpdesk.sandbox.binance.auth import api_key, check_signed
from perpdesk.sandbox.binance.call import NONE, SIGNED, Call, Endpoint
from perpdesk.sandbox.binance.limits import BinanceLimits, Refused
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.engine import EngineError

log = logging.getLogger("perpdesk.sandbox.binance")

Headers = list[tuple[bytes, bytes]]


def _params(query: bytes, body: bytes) -> Params:
    values: dict[str, str] = {}
    for raw in (query, body):
        if raw:
            values.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    values.pop("signature", None)
    return Params(values)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1").strip())
    return ""


def _error_body(exc: E.BinanceError) -> bytes:
    return orjson.dumps({"code": exc.code, "msg": exc.msg})


class BinanceRest:
    """ASGI app of the Binance port. `context()` gives the sandbox's shared state once started."""

    def __init__(
        self,
        context: Callable[[], SandboxContext | None],
        routes: dict[tuple[str, str], Endpoint],
        limits: BinanceLimits,
        engine_errors: Callable[[EngineError, Endpoint], E.BinanceError],
        websocket: Callable[[Scope, Receive, Send], Any] | None = None,
        listen_keys: Any = None,
        faults: Faults | None = None,
    ) -> None:
        self.context = context
        self.routes = routes
        self.paths = {path for _, path in routes}
        self.limits = limits
        self.engine_errors = engine_errors
        self.websocket = websocket
        self.listen_keys = listen_keys
        self.faults = faults or Faults()  # the sandbox's: the admin API's faults reach this port too

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the sandbox's own server runs the lifespan
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] == "websocket":
            if self.websocket is None:
                await send({"type": "websocket.close", "code": 1008})
            else:
                await self.websocket(scope, receive, send)
            return
        plan = self._fault(scope) if self.faults.active else None
        if plan is not None:
            if plan.latency_ms:  # the request waits before it is read: its recvWindow runs on
                await asyncio.sleep(plan.latency_ms / 1000)
            if plan.kind == "drop":
                await drop_connection(scope.get(TRANSPORT_KEY), send, plan, scope["path"])
                return
            client = scope.get("client")
            refused = F.before(plan, client[0] if client else "?")
            if refused is not None:
                await send_json(send, *refused)
                return
        status, body, headers = await self._answer(scope, receive)
        if plan is not None:
            if plan.kind == "execute_then_drop":
                await drop_connection(scope.get(TRANSPORT_KEY), send, plan, scope["path"])
                return
            status, body, headers = F.after(plan) or (status, body, headers)
        await send_json(send, status, body, headers)

    def _fault(self, scope: Scope) -> FaultPlan | None:
        method, path = scope["method"], scope["path"]
        if (method, path) not in self.routes:
            return None
        key = dict(scope["headers"]).get(b"x-mbx-apikey", b"").decode("latin-1")
        return self.faults.match(method, path, api_key=key)

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[int, bytes, Headers]:
        ctx = self.context()
        client = scope.get("client")
        ip = client[0] if client else "?"
        method, path = scope["method"], scope["path"]
        endpoint = self.routes.get((method, path))
        headers: Headers = []
        try:
            if ctx is None:
                raise E.err(E.DISCONNECTED, "the sandbox is starting")
            if endpoint is None:
                raise E.err(E.PATH_INVALID, "see docs/sandbox-binance.md for what is served", path, method)
            # per key sent, as the BitMart port counts: the admin API's /requests answers them
            who = _header(scope, b"x-mbx-apikey")
            ctx.request_counts[who] = ctx.request_counts.get(who, 0) + 1
            body = await _read_body(receive)
            if body is None:
                raise E.err(E.ILLEGAL_CHARS, f"the body is over {MAX_BODY // 1024} KiB", "body", "1 MiB")
            query: bytes = scope["query_string"]
            params = _params(query, body)
            weight = endpoint.weight(params) if callable(endpoint.weight) else endpoint.weight
            try:
                self.limits.weigh(ip, weight)
            finally:
                headers.append((b"x-mbx-used-weight-1m", str(self.limits.used_weight(ip)).encode()))
            call = Call(ctx, params, self.limits, listen_keys=self.listen_keys)
            if endpoint.security != NONE:
                call.key = api_key(dict(scope["headers"]), ctx.identity, ip)
                if endpoint.security == SIGNED:
                    check_signed(call.key, query, body, params, max_window_ms=ctx.config.timestamp_window_ms)
                if endpoint.futures and "future_trade" not in call.key.permissions:
                    raise E.err(E.REJECTED_MBX_KEY, "enable Futures on this API key")
            if endpoint.orders and call.key is not None:
                n = endpoint.orders if endpoint.orders > 0 else _batch_size(params)
                try:
                    ten, minute = self.limits.count_order(call.key.uid, n)
                finally:
                    ten, minute = self.limits.order_counts(call.key.uid)
                    headers += [
                        (b"x-mbx-order-count-10s", str(ten).encode()),
                        (b"x-mbx-order-count-1m", str(minute).encode()),
                    ]
            try:
                data = endpoint.handler(call)
            except EngineError as exc:
                raise self.engine_errors(exc, endpoint) from None
            finally:
                if endpoint.mutating:
                    await ctx.persist.flush()
            return 200, orjson.dumps(data), headers
        except Refused as exc:
            return self._refused(exc, headers)
        except E.BinanceError as exc:
            headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
            return exc.http_status, _error_body(exc), headers
        except Exception:
            log.exception("binance endpoint %s %s failed", method, path)
            return 500, _error_body(E.err(E.UNKNOWN)), headers

    def _refused(self, exc: Refused, headers: Headers) -> tuple[int, bytes, Headers]:
        spec = {"weight": E.TOO_MANY_REQUESTS, "banned": E.IP_BANNED, "orders": E.TOO_MANY_ORDERS}[exc.kind]
        error = E.err(spec, f"retry after {exc.retry_after} s", *exc.detail)
        headers.append((b"retry-after", str(exc.retry_after).encode()))
        return error.http_status, _error_body(error), headers


def _batch_size(params: Params) -> int:
    raw = params.values.get("batchOrders", "")
    try:
        doc = orjson.loads(raw) if raw else []
    except orjson.JSONDecodeError:
        return 1
    return max(1, len(doc)) if isinstance(doc, list) else 1
