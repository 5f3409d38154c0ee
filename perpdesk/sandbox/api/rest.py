"""The REST hot path: a thin ASGI dispatcher speaking BitMart's wire protocol.

Per request: find the endpoint, apply injected faults, authenticate (key, IP whitelist, and for
SIGNED endpoints timestamp window and HMAC signature), enforce the key's permission and the
account's futures whitelisting, count the rate limit, run the handler, and answer in BitMart's
envelope. Plain ASGI and orjson, because a framework's per-request overhead would dominate.
Anything that is not a REST path goes to `fallback` (admin API, pages, OAuth, WebSocket).
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import orjson

from perpdesk.sandbox.api import error_codes as E
from perpdesk.sandbox.api.endpoints import BY_PATH, NONE, SIGNED, Endpoint, key_account_info
from perpdesk.sandbox.api.error_codes import ApiError
from perpdesk.sandbox.api.faults import Faults, drop_connection
from perpdesk.sandbox.api.params import Params
from perpdesk.sandbox.api.ratelimit import RateLimiter, Verdict
from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.engine import EngineError
from perpdesk.sandbox.identity import ApiKey

log = logging.getLogger("perpdesk.sandbox.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REST_PREFIXES = ("/contract/", "/account/", "/spot/", "/system/", "/uapi-key/")
TRANSPORT_KEY = "perpdesk.transport"  # set by server.py's protocol, so that faults can drop a connection
# a ms timestamp or window: ASCII digits of bounded length (the header comes as bytes)
_MS_RE = re.compile(r"^[0-9]{1,15}$")
_MS_RE_B = re.compile(rb"^[0-9]{1,15}$")
_JSON_HEADERS = [(b"content-type", b"application/json;charset=UTF-8")]


MAX_BODY = 1024 * 1024
_TRACE_PREFIX = str(uuid.uuid4())[:24]  # per process; the counter makes each trace unique
_trace_counter = itertools.count(secrets.randbelow(1 << 40))


def new_trace() -> str:
    """A UUID-shaped trace id, unique per answer (uuid4 per request costs more than the routing)."""
    return f"{_TRACE_PREFIX}{next(_trace_counter) & 0xFFFFFFFFFFFF:012x}"


def envelope(code: int, message: str, data: Any) -> bytes:
    return orjson.dumps({"code": code, "message": message, "data": data, "trace": new_trace()})


async def send_json(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, error: ApiError, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await send_json(send, error.http_status, envelope(error.code, error.message, {}), extra)


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """BitMart's answer for a path it does not serve (also the fallback router's default)."""
    if scope["type"] == "http":
        await send_error(send, E.err(E.NOT_FOUND))
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None when it is over MAX_BODY (BitMart's bodies are a few hundred bytes)."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _bm_headers(scope: Scope) -> dict[bytes, bytes]:
    """The X-BM-* request headers (names lower-cased by the server)."""
    return {k: v for k, v in scope["headers"] if k[:5] == b"x-bm-"}


class RestApi:
    def __init__(self, ctx: SandboxContext, fallback: ASGIApp, limiter: RateLimiter, faults: Faults) -> None:
        self.ctx = ctx
        self.fallback = fallback
        self.limiter = limiter
        self.faults = faults
        self.window_ms = ctx.config.timestamp_window_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        path: str = scope["path"]
        endpoint = BY_PATH.get(path)
        if endpoint is None:
            if path.startswith(REST_PREFIXES):
                await send_error(send, E.err(E.NOT_FOUND))
            else:
                await self.fallback(scope, receive, send)
            return
        if scope["method"] != endpoint.method:
            await send_error(send, E.err(E.METHOD_NOT_ALLOWED))
            return
        body = await _read_body(receive)
        if body is None:
            spec = E.FUTURES_PARSE if endpoint.error_spec == E.FUTURES_INVALID else E.ACCOUNT_INVALID
            await send_error(send, E.err(spec, f"the request body is over {MAX_BODY // 1024} KiB"))
            return
        counts = self.ctx.request_counts
        who = _bm_headers(scope).get(b"x-bm-key", b"").decode("latin-1")
        counts[who] = counts.get(who, 0) + 1
        fault = self.faults.match(endpoint.method, path, api_key=who) if self.faults.active else None
        if fault is not None:
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault.kind == "drop":
                await drop_connection(scope.get(TRANSPORT_KEY), send, fault, path)
                return
            if fault.kind == "http_error":
                spec = E.UNAVAILABLE if fault.status == 503 else E.FUTURES_SYSTEM
                await send_json(send, fault.status, envelope(spec[0], spec[1], {}))
                return
            if fault.kind == "rate_limit":
                await send_error(
                    send,
                    E.err(E.TOO_MANY),
                    Verdict(
                        False, 0, endpoint.limit.count, endpoint.limit.window_s, endpoint.limit.mode
                    ).headers(),
                )
                return
        status, payload, extra = await self._handle(scope, endpoint, body)
        if fault is not None and fault.kind == "execute_then_drop":
            await drop_connection(scope.get(TRANSPORT_KEY), send, fault, path)
            return
        await send_json(send, status, payload, extra)

    async def _handle(
        self, scope: Scope, endpoint: Endpoint, body: bytes
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]] | None]:
        verdict: Verdict | None = None
        try:
            key: ApiKey | None = None
            if endpoint.auth == NONE:
                client = scope.get("client")
                verdict = self.limiter.check(
                    "ip:" + (client[0] if client else "?"), endpoint.group, endpoint.limit
                )
            else:
                key = self._authenticate(scope, endpoint, body)
                who = key.uid if endpoint.limit.mode == "UID" else key.api_key
                verdict = self.limiter.check(who, endpoint.group, endpoint.limit)
            if not verdict.allowed:
                raise E.err(E.TOO_MANY)
            if key is not None:
                if endpoint.permission is not None and endpoint.permission not in key.permissions:
                    raise E.err(E.KEY_FORBIDDEN)
                if endpoint.futures and not self.ctx.identity.is_futures_whitelisted(key.uid):
                    raise E.err(E.NO_PERMISSION)
            params = self._params(scope, endpoint, body)
            uid = key.uid if key is not None else ""
            if endpoint.handler is key_account_info:
                assert key is not None
                data: Any = self._key_info(key)
            else:
                data = endpoint.handler(self.ctx, uid, params)
            if endpoint.mutating:
                await self.ctx.persist.flush()
            return 200, envelope(1000, "Ok", data), verdict.headers()
        except ApiError as exc:
            extra = verdict.headers() if verdict is not None else None
            return exc.http_status, envelope(exc.code, exc.message, {}), extra
        except EngineError as exc:
            if endpoint.mutating:
                await self.ctx.persist.flush()
            extra = verdict.headers() if verdict is not None else None
            return exc.http_status, envelope(exc.code, exc.message, {}), extra
        except Exception:
            log.exception("sandbox endpoint %s failed", endpoint.path)
            code, message, status = E.FUTURES_SYSTEM
            return status, envelope(code, message, {}), None

    def _authenticate(self, scope: Scope, endpoint: Endpoint, body: bytes) -> ApiKey:
        headers = _bm_headers(scope)
        api_key = headers.get(b"x-bm-key")
        if not api_key:
            raise E.err(E.KEY_EMPTY)
        key = self.ctx.identity.key_by_api_key(api_key.decode("latin-1"), "bitmart")
        if key is None:
            raise E.err(E.KEY_NOT_FOUND)
        if key.ip_whitelist:
            client = scope.get("client")
            if client is None or client[0] not in key.ip_whitelist:
                raise E.err(E.IP_FORBIDDEN)
        if endpoint.auth == SIGNED:
            self._check_signature(scope, headers, endpoint, key, body)
        return key

    def _check_signature(
        self, scope: Scope, headers: dict[bytes, bytes], endpoint: Endpoint, key: ApiKey, body: bytes
    ) -> None:
        sign = headers.get(b"x-bm-sign")
        raw_ts = headers.get(b"x-bm-timestamp")
        if not sign:
            raise E.err(E.SIGN_EMPTY)
        if not raw_ts:
            raise E.err(E.TIMESTAMP_EMPTY)
        if not _MS_RE_B.match(raw_ts):
            raise E.err(E.TIMESTAMP_FORMAT)
        ts = int(raw_ts)
        now = int(time.time() * 1000)
        recv_window = self._recv_window(scope, endpoint, body)
        if recv_window is None:
            recv_window = endpoint.recv_window  # the endpoint's documented default, if it has one
        if abs(now - ts) > self.window_ms:
            raise E.err(E.TIMESTAMP_RANGE)
        if recv_window is not None and now - ts > recv_window:
            raise E.err(E.TIMESTAMP_RECV_WINDOW)
        payload = body if endpoint.method == "POST" else scope["query_string"]
        message = raw_ts + b"#" + key.memo.encode() + b"#" + payload
        expected = hmac.digest(key.secret_key.encode(), message, "sha256").hex().encode()
        if not hmac.compare_digest(expected, sign.lower()):
            raise E.err(E.SIGN_WRONG)

    def _recv_window(self, scope: Scope, endpoint: Endpoint, body: bytes) -> int | None:
        raw: Any = None
        if endpoint.method == "POST":
            if b"recvWindow" in body:
                try:
                    doc = orjson.loads(body)
                except orjson.JSONDecodeError:
                    return None
                raw = doc.get("recvWindow") if isinstance(doc, dict) else None
        elif b"recvWindow" in scope["query_string"]:
            raw = dict(parse_qsl(scope["query_string"].decode("latin-1"))).get("recvWindow")
        if raw is None:
            return None
        if isinstance(raw, bool) or not (
            isinstance(raw, int) or (isinstance(raw, str) and _MS_RE.match(raw))
        ):
            raise E.err(E.RECV_WINDOW_NOT_LONG)
        window = int(raw)
        if not 0 < window <= 60_000:
            raise E.err(E.RECV_WINDOW_RANGE)
        return window

    def _params(self, scope: Scope, endpoint: Endpoint, body: bytes) -> Params:
        if endpoint.method == "GET":
            query = scope["query_string"]
            values: dict[str, Any] = dict(parse_qsl(query.decode("utf-8", "replace"))) if query else {}
            return Params(values, endpoint.error_spec)
        if not body.strip():
            return Params({}, endpoint.error_spec)
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            spec = E.FUTURES_PARSE if endpoint.error_spec == E.FUTURES_INVALID else E.ACCOUNT_INVALID
            raise E.err(spec, "the request body must be a JSON object") from None
        if not isinstance(doc, dict):
            spec = E.FUTURES_PARSE if endpoint.error_spec == E.FUTURES_INVALID else E.ACCOUNT_INVALID
            raise E.err(spec, "the request body must be a JSON object")
        return Params(doc, endpoint.error_spec)

    def _key_info(self, key: ApiKey) -> dict[str, Any]:
        # BitMart does not document this payload; the sandbox answers what the key is bound to,
        # never its secret or memo.
        user = self.ctx.identity.user_by_uid(key.uid)
        return {
            "uid": key.uid,
            "api_key": key.api_key,
            "label": key.label,
            "permissions": sorted(key.permissions),
            "ip_whitelist": list(key.ip_whitelist),
            "create_time": key.created_at,
            "account_type": "sub" if user is not None and user.parent_uid else "main",
        }
