"""A small keep-alive HTTP/1.1 client on asyncio protocols, with httptools' C parser: the real
`Transport` (perpdesk/http/transport.py) behind the exchange connectors.

Why not aiohttp/httpx: per signed order over one keep-alive loopback connection a bare asyncio
exchange costs ~100-135 µs of client CPU, aiohttp ~300 µs and httpx ~1,000 µs (measured on this
machine; bench/bench_connector.py keeps the figure honest). The connectors need only: a pool of
keep-alive connections per (origin, source address), Content-Length, chunked and close-delimited
bodies (gzip/deflate decoded when a server compresses, both sizes capped), `Connection: close`,
timeouts, TLS, a bound source address and an HTTP(S) proxy (absolute URI for http, CONNECT for
https, Basic credentials from the proxy URL).

Errors say whether the request may have reached the server (`maybe_sent`), so callers know
whether a retry is safe and when an order's outcome must be settled by looking it up.
"""

from __future__ import annotations

import asyncio
import base64
import math
import ssl
from collections import deque
from functools import partial
from urllib.parse import unquote, urlsplit

from perpdesk.http.connection import Connection, TunnelProtocol
from perpdesk.http.message import (
    MAX_DECODED_BODY,
    MAX_RAW_BODY,
    ConnectFailed,
    HttpRequest,
    HttpResponse,
    Origin,
    ProxyAuthRequired,
    RequestTimeout,
    TlsVerificationFailed,
)
from perpdesk.log_config import hide_url_password

_TIMER_SLACK_S = 0.001
_PROXY_AUTH_MESSAGE = (
    "the proxy asks for credentials (HTTP 407): give them in the proxy URL, "
    "http://user:password@host:port; nothing was sent to the exchange"
)


class _Pool:
    """One origin's keep-alive connections, its requests in flight (bounded) or waiting, and the
    start of its requests (the target's prefix, then Host and any proxy credentials)."""

    __slots__ = ("busy", "fixed_lines", "idle", "lines", "prefix", "waiters")

    def __init__(self, prefix: str, fixed_lines: str) -> None:
        self.prefix = prefix
        self.fixed_lines = fixed_lines
        self.lines = 1 + fixed_lines.count("\n")  # the request line and the fixed ones
        self.busy = 0
        self.idle: deque[Connection] = deque()
        self.waiters: deque[asyncio.Future[None]] = deque()


class HttpClient:
    """Keep-alive connection pools per origin, all bound to one egress (source address or proxy)."""

    def __init__(
        self,
        *,
        source_address: str | None = None,
        proxy: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout_s: float = 5.0,
        max_idle_per_origin: int | None = None,
        max_connections_per_origin: int = 256,
        max_raw_body: int = MAX_RAW_BODY,
        max_decoded_body: int = MAX_DECODED_BODY,
    ) -> None:
        self.source_address = source_address
        self._local_addr = (source_address, 0) if source_address else None
        self._ssl = ssl_context
        self._connect_timeout = connect_timeout_s
        # every connection a burst opened is kept for the next burst (64 of 256 made an idle
        # worker of thousands of accounts reconnect all the time): the cap unless told otherwise
        self._max_idle = max_connections_per_origin if max_idle_per_origin is None else max_idle_per_origin
        self._max_conns = max_connections_per_origin
        self._protocol = partial(Connection, max_raw_body, max_decoded_body)
        self._pools: dict[Origin, _Pool] = {}
        self._all: set[Connection] = set()
        # One timer watches every request's deadline: a timer per request costs uvloop an allocation
        # and an extra turn of its loop (closing the handle), which is most of a request's overhead.
        self._deadlines: dict[asyncio.Future[HttpResponse], tuple[float, float]] = {}
        self._watchdog: asyncio.TimerHandle | None = None
        self._watchdog_at = math.inf
        self._watchdog_loop: asyncio.AbstractEventLoop | None = None
        self._proxy: Origin | None = None
        self._proxy_auth: str | None = None
        if proxy:
            parts = urlsplit(proxy)
            if parts.scheme != "http" or not parts.hostname:
                shown = hide_url_password(proxy)  # the proxy's password stays out of the message
                raise ValueError(f"proxy must be http://[user:pass@]host:port, got {shown!r}")
            self._proxy = Origin("http", parts.hostname, parts.port or 8080)
            if parts.username is not None:
                token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
                self._proxy_auth = "Basic " + base64.b64encode(token).decode()

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _pool(self, origin: Origin) -> _Pool:
        fixed = f"Host: {origin.host_header}\r\n"
        if self._proxy is not None and origin.scheme == "http":
            # through a proxy, plain-http requests name the full URL and carry the proxy's credentials
            if self._proxy_auth:
                fixed += f"Proxy-Authorization: {self._proxy_auth}\r\n"
            pool = self._pools[origin] = _Pool(origin.url, fixed)
        else:
            pool = self._pools[origin] = _Pool("", fixed)
        return pool

    async def _connect(self, origin: Origin) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                if self._proxy is None:
                    _, conn = await loop.create_connection(
                        self._protocol, origin.host, origin.port, local_addr=self._local_addr,
                        ssl=self.ssl_context() if origin.scheme == "https" else None,
                        server_hostname=origin.host if origin.scheme == "https" else None,
                    )
                elif origin.scheme == "http":
                    _, conn = await loop.create_connection(
                        self._protocol, self._proxy.host, self._proxy.port, local_addr=self._local_addr
                    )
                else:
                    conn = await self._tunnel(origin)
        except TimeoutError:
            raise ConnectFailed(f"connecting to {origin.url} timed out") from None
        except ssl.SSLCertVerificationError as exc:
            raise TlsVerificationFailed(
                f"TLS verification of {origin.url} failed: {exc.verify_message}; nothing was sent"
            ) from None
        except OSError as exc:
            raise ConnectFailed(f"cannot connect to {origin.url}: {exc.strerror or exc}") from None
        self._all.add(conn)
        return conn

    async def _tunnel(self, origin: Origin) -> Connection:
        assert self._proxy is not None
        loop = asyncio.get_running_loop()
        transport, tunnel = await loop.create_connection(
            TunnelProtocol, self._proxy.host, self._proxy.port, local_addr=self._local_addr
        )
        auth = f"Proxy-Authorization: {self._proxy_auth}\r\n" if self._proxy_auth else ""
        target = origin.authority
        transport.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{auth}\r\n".encode())
        try:
            answer = await tunnel.done
        except BaseException:  # no end to the answer, or the connect timeout
            transport.close()
            raise
        status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[1] != "200":
            transport.close()
            if parts[1:2] == ["407"]:
                raise ProxyAuthRequired(_PROXY_AUTH_MESSAGE)
            raise ConnectFailed(f"proxy refused CONNECT {target}: {status_line}")
        conn = self._protocol()
        tls = await loop.start_tls(transport, conn, self.ssl_context(), server_hostname=origin.host)
        if tls is None:  # pragma: no cover - only when the transport is closing
            raise ConnectFailed("TLS through the proxy tunnel failed")
        conn.connection_made(tls)
        return conn

    async def request(self, req: HttpRequest) -> HttpResponse:
        """Send `req` on a pooled keep-alive connection and read its response."""
        origin = req.origin
        pool = self._pools.get(origin)  # one lookup per request: Origin's hash is Python code
        if pool is None:
            pool = self._pool(origin)
        payload = _serialise(req, pool)
        timeout_s = req.timeout_s
        while pool.busy >= self._max_conns:  # rare: wait for a slot (no await at all on the fast path)
            slot: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            pool.waiters.append(slot)
            await slot
        pool.busy += 1
        try:
            idle = pool.idle
            conn: Connection | None = None
            while idle:
                candidate = idle.pop()
                if candidate.usable:
                    conn = candidate
                    break
                self._all.discard(candidate)
            if conn is None:
                conn = await self._connect(origin)
            waiter = conn.start(payload)
            loop = conn.loop
            deadline = loop.time() + timeout_s
            self._deadlines[waiter] = (deadline, timeout_s)
            if deadline < self._watchdog_at or loop is not self._watchdog_loop:
                self._arm(loop, deadline)
            try:
                response = await waiter
            except BaseException:
                conn.close()
                self._all.discard(conn)
                raise
            finally:
                self._deadlines.pop(waiter, None)
            if conn.usable and len(idle) < self._max_idle:
                idle.append(conn)
            else:
                conn.close()
                self._all.discard(conn)
            if response.status == 407 and pool.prefix:
                raise ProxyAuthRequired(_PROXY_AUTH_MESSAGE)
            return response
        finally:
            pool.busy -= 1
            waiting = pool.waiters
            while waiting:
                nxt = waiting.popleft()
                if not nxt.done():
                    nxt.set_result(None)
                    break

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._watchdog is not None and self._watchdog_loop is loop:
            self._watchdog.cancel()  # (a handle on another, finished loop is simply dropped)
        self._watchdog = loop.call_at(when, self._watch, loop)
        self._watchdog_at = when
        self._watchdog_loop = loop

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Expire the requests past their deadline; sleep until the next deadline, if any."""
        if loop is not self._watchdog_loop:
            return  # a left-over from a loop the client has since moved away from
        self._watchdog = None
        self._watchdog_at = math.inf
        # timers may fire a little early (uvloop rounds to the millisecond)
        now = loop.time() + _TIMER_SLACK_S
        earliest = math.inf
        for waiter, (deadline, timeout_s) in list(self._deadlines.items()):
            if waiter.done():
                continue  # answered; its request removes it when it resumes
            if waiter.get_loop() is not loop:
                del self._deadlines[waiter]  # left behind by a loop that is gone
            elif deadline <= now:
                _expire(waiter, timeout_s)
            elif deadline < earliest:
                earliest = deadline
        if earliest != math.inf:
            self._arm(loop, earliest)

    async def aclose(self) -> None:
        if self._watchdog is not None and self._watchdog_loop is asyncio.get_running_loop():
            self._watchdog.cancel()
            self._watchdog = None
            self._watchdog_at = math.inf
        for conn in list(self._all):
            conn.close()
        self._all.clear()
        self._pools.clear()
        await asyncio.sleep(0)


def _serialise(req: HttpRequest, pool: _Pool) -> bytes:
    head = f"{req.method} {pool.prefix}{req.target} HTTP/1.1\r\n{pool.fixed_lines}"
    for name, value in req.headers:
        head += f"{name}: {value}\r\n"
    lines = pool.lines + len(req.headers)
    if head.count("\n") != lines:  # one C scan, no per-header test (a bare CR splits nothing: RFC 9112 2.2)
        raise ValueError("an HTTP request's method, target or a header holds a line break; refused")
    body = req.body
    if body or req.method not in ("GET", "HEAD"):
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode("latin-1") + body


def _expire(waiter: asyncio.Future[HttpResponse], timeout_s: float) -> None:
    if not waiter.done():
        waiter.set_exception(RequestTimeout(f"no answer within {timeout_s:g} s", maybe_sent=True))
