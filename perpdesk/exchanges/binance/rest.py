"""Binance's REST envelope: signing, the clock, the limits, error mapping and the retry policy.

Signed (TRADE, USER_DATA) requests carry `timestamp` (exchange time, ms) and `recvWindow`, and
`signature` = hex HMAC-SHA256(secret, the query string), all in the query string whatever the
method; the key goes in X-MBX-APIKEY. Binance takes a request only while
`serverTime - timestamp <= recvWindow`: past that moment (on our clock, through the measured
offset, plus a margin) a write that got no answer can no longer be executed (`Sent`).

Retry policy, as for BitMart (the only places a request is sent twice):
- the request never left (connect failed): always, it cannot have acted;
- -1021 (timestamp outside recvWindow): once, after measuring Binance's clock again;
- reads after a timeout, a lost connection or a 5xx: up to `read_retries` times.
Writes that may have reached Binance are never repeated here: the caller settles them.
A 429 / 418 is not retried: every request is refused locally until its Retry-After.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote

import orjson

from perpdesk.core.errors import (
    ExchangeError,
    ExchangeUnavailable,
    RateLimited,
    TimestampOutOfWindow,
)
from perpdesk.core.models import Credentials
from perpdesk.exchanges.binance.codes import STATUS_UNKNOWN, to_error
from perpdesk.exchanges.binance.ratelimit import BinanceLimiter
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.common.rest_policy import Sent, after_lost_answer, after_unavailable, float_or_none
from perpdesk.exchanges.common.signer import HmacSha256
from perpdesk.exchanges.common.write_pacing import WritePacer, bucket_of
from perpdesk.http import HttpRequest, HttpResponse, Origin, Transport, TransportError

USER_AGENT = "perpdesk/0.1"
TIME_PATH = "/fapi/v1/time"
_BASE_HEADERS = (("User-Agent", USER_AGENT), ("Accept", "application/json"))


_PLAIN = re.compile(r"[A-Za-z0-9._~=&-]*\Z").match  # a query string that needs no percent-encoding


def query_string(params: dict[str, Any] | None) -> str:
    """Parameters as sent and signed, in order; booleans as Binance writes them."""
    if not params:
        return ""
    pairs = [
        (k, ("true" if v else "false") if v is True or v is False else v if type(v) is str else str(v))
        for k, v in params.items()
        if v is not None
    ]
    qs = "&".join([f"{k}={v}" for k, v in pairs])
    if _PLAIN(qs):  # the usual case (symbols, decimals, ids, enums): one check for the whole string
        return qs
    return "&".join([f"{k}={quote(v, safe='-_.~')}" for k, v in pairs])


class BinanceRest:
    def __init__(
        self,
        base_url: str,
        http: Transport,
        *,
        timeout_s: float = 10.0,
        clock: ExchangeClock | None = None,
        limiter: BinanceLimiter | None = None,
        read_retries: int = 2,
        recv_window_ms: int = 5_000,
        settle_margin_ms: int = 2_000,
        write_pacer: WritePacer | None = None,
    ) -> None:
        self.origin = Origin.parse(base_url)
        self.write_pacer = write_pacer  # a cluster's: the key's new orders paced across processes
        self.http = http
        self.timeout_s = timeout_s
        self.clock = clock or ExchangeClock()
        self.limiter = limiter or BinanceLimiter(self.clock.now_ms)
        self.read_retries = read_retries
        self.recv_window_ms = recv_window_ms
        self.settle_margin_ms = settle_margin_ms
        self._signer = HmacSha256()

    async def sync_clock(self) -> None:
        await self.clock.sync(self._server_time_ms)

    async def _server_time_ms(self) -> int:
        data = await self.call("GET", TIME_PATH, None, None, signed=False, sync_clock=False)
        return int(data["serverTime"])

    def decided_after_ms(self, timestamp_ms: int) -> int:
        """Our wall-clock time (ms) after which a request signed with `timestamp_ms` (exchange
        time) can no longer be executed: its recvWindow closed on Binance's clock, converted with
        the measured offset, plus a margin for the offset's own error and Binance's processing."""
        return timestamp_ms + self.recv_window_ms - self.clock.offset_ms + self.settle_margin_ms

    def build(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        creds: Credentials | None,
        signed: bool,
        sent: Sent | None = None,
    ) -> HttpRequest:
        qs = query_string(params)
        headers = list(_BASE_HEADERS)
        if creds is not None:
            headers.append(("X-MBX-APIKEY", creds.api_key))
        if signed:
            assert creds is not None
            ts = self.clock.now_ms()
            if sent is not None:
                sent.timestamp_ms, sent.window_ms = ts, self.recv_window_ms
                sent.decided_after_ms = self.decided_after_ms(ts)
            stamp = f"recvWindow={self.recv_window_ms}&timestamp={ts}"
            qs = f"{qs}&{stamp}" if qs else stamp
            qs += "&signature=" + self._signer.hexdigest(creds.secret, qs.encode())
        target = f"{path}?{qs}" if qs else path
        return HttpRequest(method, self.origin, target, headers, b"", self.timeout_s)

    async def _take_shared(self, key: str, orders: int) -> None:
        """The key's ORDERS limits, counted across processes (moving windows: never more than
        the limit in any of Binance's clock-aligned ones either)."""
        assert self.write_pacer is not None
        for window in self.limiter.orders(key):
            group = f"orders{window.length_ms // 1000}s"
            await self.write_pacer.take(bucket_of("binance", key, group), window.limit,
                                        window.length_ms / 1000, orders)

    async def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        creds: Credentials | None,
        *,
        signed: bool = True,
        orders: int = 0,
        order_endpoint: bool = False,
        sync_clock: bool = True,
        sent: Sent | None = None,
    ) -> Any:
        """One Binance call: the decoded JSON answer, or a typed ExchangeError. `creds` without
        `signed`: the key only (USER_STREAM). `orders`: new orders it places (the ORDERS limits)."""
        retry_safe = method == "GET"
        if sent is None and signed and not retry_safe:
            sent = Sent()  # so that MaybeApplied carries the deadline
        key = creds.api_key if creds is not None else None
        clock_retry_used = False
        transport_retries = 0
        while True:
            if signed and sync_clock and self.clock.stale:
                await self.sync_clock()
            if self.limiter.blocked_until_ms:
                self._refuse_while_blocked(path)
            if not self.limiter.try_acquire(path, key, orders):
                await self.limiter.acquire(path, key, orders)
            if self.write_pacer is not None and orders and key:
                await self._take_shared(key, orders)
            request = self.build(method, path, params, creds, signed, sent)
            try:
                response = await self.http.request(request)
            except TransportError as exc:
                transport_retries = await after_lost_answer(
                    exc,
                    path,
                    "Binance",
                    retry_safe=retry_safe,
                    retries=transport_retries,
                    max_retries=self.read_retries,
                    sent=sent,
                )
                continue
            try:
                return self._unwrap(response, key, order_endpoint)
            except TimestampOutOfWindow:
                if clock_retry_used or not sync_clock:
                    raise
                clock_retry_used = True
                self.clock.invalidate()
                await self.sync_clock()
            except ExchangeUnavailable as exc:
                acted = exc.exchange_code in STATUS_UNKNOWN or (exc.http_status or 0) >= 500
                transport_retries = await after_unavailable(
                    exc,
                    may_have_acted=acted,
                    retry_safe=retry_safe,
                    retries=transport_retries,
                    max_retries=self.read_retries,
                    sent=sent,
                )

    def _refuse_while_blocked(self, path: str) -> None:
        wait = self.limiter.penalty_left_s()
        if wait > 0:
            raise RateLimited(
                f"Binance asked perpdesk to stop sending for {wait:.0f} s more; {path} was not sent.",
                retry_after=wait,
                next_step="Try again once the wait is over; nothing was sent.",
            )

    def _unwrap(self, response: HttpResponse, key: str | None, order_endpoint: bool) -> Any:
        headers = response.headers
        if "x-mbx-used-weight-1m" in headers:
            self.limiter.update(key, headers)
        body = response.body
        try:
            data = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            data = None
        if response.status == 200:
            if type(data) is dict and type(data.get("code")) is int and data["code"] < 0:
                pass  # an error inside a 200 (some endpoints answer so)
            else:
                return data
        code: int | None = None
        message = ""
        if isinstance(data, dict):
            raw = data.get("code")
            code = raw if isinstance(raw, int) else None
            message = str(data.get("msg") or "")
        if not message:
            message = body[:200].decode("utf-8", "replace") if body else f"HTTP {response.status}"
        error = to_error(response.status, code, message, order_endpoint=order_endpoint)
        if isinstance(error, RateLimited):
            error.retry_after = retry_after_s(headers.get("retry-after"))
            self.limiter.penalise(error.retry_after)
        raise error


def retry_after_s(header: str | None) -> float:
    """A 429/418's Retry-After in seconds: 0 is "now" (not the 60 s assumed when it is missing or
    not a number); a ban is capped at Binance's longest (3 days)."""
    wait = float_or_none(header)
    if wait is None or not math.isfinite(wait) or wait < 0:
        return 60.0
    return min(wait, 3 * 86_400.0)


__all__ = ["BinanceRest", "ExchangeError", "Sent", "query_string"]
