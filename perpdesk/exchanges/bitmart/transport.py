"""A small keep-alive HTTP/1.1 client on asyncio protocols, with httptools' C parser.

Why not aiohttp/httpx: per signed order over one keep-alive loopback connection a bare asyncio
exchange costs ~100-135 µs of client CPU, aiohttp ~300 µs and httpx ~1,000 µs (measured on this
machine; bench/bench_connector.py keeps the figure honest). The connector needs only: a pool of
keep-alive connections per (origin, source address), Content-Length, chunked and close-delimited
bodies (gzip/deflate decoded when a server compresses), `Connection: close`, timeouts, TLS, a bound
source address and an HTTP(S) proxy (absolute URI for http, CONNECT for https). `send()` builds
a request for occasional callers (Fast Connect); the REST client serialises its own on the hot path.

Errors say whether the request may have reached the server (`maybe_sent`), so callers know
whether a retry is safe and when an order's outcome must be settled by looking it up.
"""

from __future__ import annotations

import asyncio
import base64
import math
import ssl
from collections import deque
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from perpdesk.exchanges.bitmart.http_connection import Connection, TunnelProtocol
from perpdesk.exchanges.bitmart.http_message import (
    ConnectFailed,
    ConnectionLost,
    HttpResponse,
    Origin,
    RequestTimeout,
    TransportError,
)
from perpdesk.log_config import hide_url_password

__all__ = [
    "ConnectFailed",
    "ConnectionLost",
    "HttpClient",
    "HttpResponse",
    "Origin",
    "RequestTimeout",
    "TransportError",
]

_TIMER_SLACK_S = 0.001


class _Pool:
    """One origin's keep-alive connections and its requests in flight (bounded) or waiting."""

    __slots__ = ("busy", "idle", "waiters")

    def __init__(self) -> None:
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
        max_idle_per_origin: int = 64,
        max_connections_per_origin: int = 256,
    ) -> None:
        self.source_address = source_address
        self._local_addr = (source_address, 0) if source_address else None
        self._ssl = ssl_context
        self._connect_timeout = connect_timeout_s
        self._max_idle = max_idle_per_origin
        self._max_conns = max_connections_per_origin
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

    def uses_absolute_uri(self, origin: Origin) -> bool:
        """Through a proxy, plain-http requests name the full URL in the request line."""
        return self._proxy is not None and origin.scheme == "http"

    def proxy_header_lines(self, origin: Origin) -> str:
        if self.uses_absolute_uri(origin) and self._proxy_auth:
            return f"Proxy-Authorization: {self._proxy_auth}\r\n"
        return ""

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        timeout_s: float = 10.0,
    ) -> HttpResponse:
        """Build an HTTP/1.1 request for `url` (through the proxy if any) and send it."""
        parts = urlsplit(url)
        origin = Origin.parse(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if self.uses_absolute_uri(origin):
            target = origin.url + target
        lines = [f"{method} {target} HTTP/1.1", f"Host: {origin.host_header}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        head = "\r\n".join(lines) + "\r\n" + self.proxy_header_lines(origin) + "\r\n"
        return await self.request(origin, head.encode("latin-1") + body, timeout_s)

    async def _connect(self, origin: Origin) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                if self._proxy is None:
                    _, conn = await loop.create_connection(
                        Connection, origin.host, origin.port, local_addr=self._local_addr,
                        ssl=self.ssl_context() if origin.scheme == "https" else None,
                        server_hostname=origin.host if origin.scheme == "https" else None,
                    )
                elif origin.scheme == "http":
                    _, conn = await loop.create_connection(
                        Connection, self._proxy.host, self._proxy.port, local_addr=self._local_addr
                    )
                else:
                    conn = await self._tunnel(origin)
        except TimeoutError:
            raise ConnectFailed(f"connecting to {origin.url} timed out") from None
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
        target = f"{origin.host}:{origin.port}"
        transport.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{auth}\r\n".encode())
        answer = await tunnel.done
        status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[1] != "200":
            transport.close()
            raise ConnectFailed(f"proxy refused CONNECT {target}: {status_line}")
        conn = Connection()
        tls = await loop.start_tls(transport, conn, self.ssl_context(), server_hostname=origin.host)
        if tls is None:  # pragma: no cover - only when the transport is closing
            raise ConnectFailed("TLS through the proxy tunnel failed")
        conn.connection_made(tls)
        return conn

    async def request(self, origin: Origin, payload: bytes, timeout_s: float) -> HttpResponse:
        """Send a fully serialised request and read its response on a pooled connection."""
        pool = self._pools.get(origin)  # one lookup per request: Origin's hash is Python code
        if pool is None:
            pool = self._pools[origin] = _Pool()
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


def _expire(waiter: asyncio.Future[HttpResponse], timeout_s: float) -> None:
    if not waiter.done():
        waiter.set_exception(RequestTimeout(f"no answer within {timeout_s:g} s", maybe_sent=True))
