"""BitMart's REST envelope: signing, pacing, clock, error mapping and the retry policy.

Retry policy (the only places a request is sent twice):
- the request never left (connect failed): always, it cannot have acted;
- the exchange refused it for the timestamp (clock resynchronised) or the rate limit: once, a
  refused request did nothing;
- reads (GET) after a timeout, a lost connection or a 5xx: up to `read_retries` times.
Writes that may have reached the exchange are never repeated here: the caller settles them
(orders are looked up by their client order id).

The write window: BitMart refuses a signed request whose X-BM-TIMESTAMP is more than
`window_ms` (60 s) off its clock, or older than `recvWindow` where the endpoint takes one. Each
request is signed when it actually leaves (after any rate-limiter wait), and a `Sent` record
given to `call` keeps that timestamp, so the caller knows the exact moment after which the
exchange can no longer act on it (`Sent.decided_after_ms`, on our own clock).
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
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
from perpdesk.exchanges.bitmart.codes import SUCCESS, to_error
from perpdesk.exchanges.bitmart.ratelimit import RateLimiter, group_of
from perpdesk.exchanges.bitmart.signing import message
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.common.rest_policy import Sent, after_lost_answer, after_unavailable, float_or_none
from perpdesk.exchanges.common.signer import HmacSha256
from perpdesk.exchanges.common.write_pacing import WritePacer, bucket_of
from perpdesk.http import HttpRequest, HttpResponse, Origin, Transport, TransportError

USER_AGENT = "perpdesk/0.1"


class Auth(enum.Enum):
    NONE = "none"
    KEYED = "keyed"
    SIGNED = "signed"


# Module-level aliases: enum member access through the class is slow on the hot path (3.11).
_NONE, _KEYED, _SIGNED = Auth.NONE, Auth.KEYED, Auth.SIGNED
_USER_AGENT = ("User-Agent", USER_AGENT)
_ACCEPT = ("Accept", "application/json")
_JSON = ("Content-Type", "application/json")


@dataclass(frozen=True, slots=True)
class Settling:
    """How often, and how far apart, a write whose answer was lost is looked up at the exchange."""

    attempts: int = 4
    delay_s: float = 0.25

    async def pause(self, attempt: int) -> None:
        """The wait before look-up `attempt` (none before the first)."""
        if attempt:
            await asyncio.sleep(min(self.delay_s * attempt, 1.0))


def query_string(params: dict[str, Any] | None) -> str:
    """BitMart signs the query string exactly as sent; values are percent-encoded where needed."""
    if not params:
        return ""
    return "&".join(f"{k}={quote(str(v), safe='-_.~')}" for k, v in params.items() if v is not None)


class BitmartRest:
    def __init__(
        self,
        base_url: str,
        http: Transport,
        *,
        source_address: str | None = None,
        timeout_s: float = 10.0,
        clock: ExchangeClock | None = None,
        limiter: RateLimiter | None = None,
        read_retries: int = 2,
        window_ms: int = 60_000,
        settle_margin_ms: int = 2_000,
        write_pacer: WritePacer | None = None,
    ) -> None:
        self.origin = Origin.parse(base_url)
        self.write_pacer = write_pacer  # a cluster's: the key's writes paced across processes
        self.http = http
        self.timeout_s = timeout_s
        self.clock = clock or ExchangeClock()
        self.limiter = limiter or RateLimiter()
        self.read_retries = read_retries
        self.window_ms = window_ms
        self.settle_margin_ms = settle_margin_ms
        self._signer = HmacSha256()
        self._public_key = f"ip:{source_address or 'default'}"

    # ---------------------------------------------------------------- clock

    async def sync_clock(self) -> None:
        await self.clock.sync(self._server_time_ms)

    async def _server_time_ms(self) -> int:
        data = await self.call("GET", "/system/time", None, Auth.NONE, None, sync_clock=False)
        return int(data["server_time"])

    # ---------------------------------------------------------------- requests

    def decided_after_ms(self, timestamp_ms: int, window_ms: int | None = None) -> int:
        """Our wall-clock time (ms) after which a request signed with `timestamp_ms` (exchange time)
        can no longer be acted on: its window closed on the exchange's clock, converted with the
        measured offset, plus a margin for the offset's own error and the exchange's processing."""
        window = self.window_ms if window_ms is None else window_ms
        return timestamp_ms + window - self.clock.offset_ms + self.settle_margin_ms

    def _build_request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        auth: Auth,
        creds: Credentials | None,
        sent: Sent | None = None,
    ) -> HttpRequest:
        if method == "GET":
            qs = query_string(params)
            target = f"{path}?{qs}" if qs else path
            body = b""
            payload = qs.encode()
        else:
            target = path
            body = orjson.dumps(params or {})
            payload = body  # signed as the exact bytes sent
        headers = [_USER_AGENT, _ACCEPT]
        if auth is not _NONE:
            assert creds is not None
            headers.append(("X-BM-KEY", creds.api_key))
            if auth is _SIGNED:
                now_ms = self.clock.now_ms()
                ts = str(now_ms)
                if sent is not None:
                    self._record_sent(sent, now_ms, params)
                signature = self._signer.hexdigest(creds.secret, message(ts, creds.passphrase, payload))
                headers += (("X-BM-TIMESTAMP", ts), ("X-BM-SIGN", signature))
        if method != "GET":
            headers.append(_JSON)
        return HttpRequest(method, self.origin, target, headers, body, self.timeout_s)

    async def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        auth: Auth,
        creds: Credentials | None,
        *,
        order_endpoint: bool = False,
        sync_clock: bool = True,
        retry_safe: bool | None = None,
        sent: Sent | None = None,
    ) -> Any:
        """One BitMart call; returns the envelope's `data` or raises a typed ExchangeError.
        A signed call records what it sent in `sent` (and MaybeApplied carries its deadline)."""
        if retry_safe is None:
            retry_safe = method == "GET"
        if sent is None and auth is _SIGNED and not retry_safe:
            sent = Sent()  # so that MaybeApplied carries the deadline
        key = creds.api_key if (creds is not None and auth is not _NONE) else self._public_key
        group = group_of(path)
        refused_retry_used = False
        transport_retries = 0
        while True:
            if auth is _SIGNED and sync_clock and self.clock.stale:
                await self.sync_clock()
            if not self.limiter.try_acquire(key, group):  # the usual case takes a slot without awaiting
                if retry_safe and not refused_retry_used:  # (a retry after our own 429 waits it out)
                    self._refuse_long_wait(key, group, path)
                await self.limiter.acquire(key, group)
            if self.write_pacer is not None and auth is _SIGNED and not retry_safe:
                bucket = self.limiter.bucket(key, group)
                await self.write_pacer.take(bucket_of("bitmart", key, group), bucket.limit, bucket.window)
            request = self._build_request(method, path, params, auth, creds, sent)
            try:
                response = await self.http.request(request)
            except TransportError as exc:
                transport_retries = await after_lost_answer(
                    exc, path, "the exchange", retry_safe=retry_safe, retries=transport_retries,
                    max_retries=self.read_retries, sent=sent)
                continue
            try:
                return self._unwrap(response, key, group, order_endpoint)
            except TimestampOutOfWindow:
                if refused_retry_used or not sync_clock:
                    raise
                refused_retry_used = True
                self.clock.invalidate()
                await self.sync_clock()
            except RateLimited as exc:
                self.limiter.penalise(key, group, exc.retry_after or 1.0)
                if refused_retry_used:
                    raise
                refused_retry_used = True
            except ExchangeUnavailable as exc:
                # a server fault (but 30014, "service unavailable") after the write reached it
                acted = (exc.http_status or 0) >= 500 and exc.exchange_code != 30014
                transport_retries = await after_unavailable(
                    exc, may_have_acted=acted, retry_safe=retry_safe, retries=transport_retries,
                    max_retries=self.read_retries, sent=sent)

    async def get(self, path: str, params: dict[str, Any] | None, creds: Credentials | None,
                  **kw: Any) -> Any:
        """A read: public without credentials, keyed with them."""
        return await self.call("GET", path, params, _KEYED if creds else _NONE, creds, **kw)

    async def post(self, path: str, params: dict[str, Any], creds: Credentials, **kw: Any) -> Any:
        """A signed write."""
        return await self.call("POST", path, params, _SIGNED, creds, **kw)

    def _refuse_long_wait(self, key: str, group: str, path: str) -> None:
        """A read does not queue behind the exchange's 429 (a page stays responsive while the
        exchange is refusing us): it is answered RateLimited at once. Ordinary pacing waits, and
        writes always wait their turn (signed when they leave)."""
        wait = self.limiter.penalty_left(key, group)
        if wait > 0:
            raise RateLimited(
                f"The exchange asked perpdesk to slow down on {path}; it is available again in {wait:.0f} s.",
                retry_after=wait,
                next_step="Reload in a few seconds.",
            )

    def _record_sent(self, sent: Sent, timestamp_ms: int, params: dict[str, Any] | None) -> None:
        raw = (params or {}).get("recvWindow")
        window = int(raw) if raw is not None else self.window_ms
        sent.timestamp_ms, sent.window_ms = timestamp_ms, window
        sent.decided_after_ms = self.decided_after_ms(timestamp_ms, window)

    def _unwrap(self, response: HttpResponse, key: str, group: str, order_endpoint: bool) -> Any:
        headers = response.headers
        if "x-bm-ratelimit-limit" in headers:
            self.limiter.update(key, group, headers)
        body = response.body
        try:
            envelope = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            envelope = None
        if response.status == 200 and type(envelope) is dict and envelope.get("code") == SUCCESS:
            return envelope.get("data")  # the hot path: one lookup, no error bookkeeping
        code: int | None = None
        message = ""
        if isinstance(envelope, dict):
            raw_code = envelope.get("code")
            code = raw_code if isinstance(raw_code, int) else _int_or_none(raw_code)
            message = str(envelope.get("message") or envelope.get("msg") or "")
        if not message:
            message = body[:200].decode("utf-8", "replace") if body else f"HTTP {response.status}"
        error: ExchangeError = to_error(response.status, code, message, order_endpoint=order_endpoint)
        if isinstance(error, RateLimited):
            error.retry_after = float_or_none(headers.get("retry-after")) or float_or_none(
                headers.get("x-bm-ratelimit-reset")
            )
        raise error


def _int_or_none(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
