"""The REST client through the in-memory transport: what it puts on the wire for a signed order
(key, timestamp, a signature over the exact body), how it reads BitMart's rate-limit headers, and
what a lost answer becomes (a read is retried; an order becomes MaybeApplied, never retried)."""

from __future__ import annotations

import orjson
import pytest

from perpdesk.core.errors import MaybeApplied
from perpdesk.core.models import Credentials
from perpdesk.exchanges.bitmart.ratelimit import RateLimiter
from perpdesk.exchanges.bitmart.rest import Auth, BitmartRest
from perpdesk.exchanges.bitmart.signing import sign
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.http import ConnectionLost, HttpRequest, HttpResponse, InMemoryTransport
from perpdesk.http.transport import response

CREDS = Credentials("key-1", "secret-1", "memo-1")
SUBMIT = "/contract/private/submit-order"


def _ok(data: object, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    return response(200, orjson.dumps({"code": 1000, "message": "Ok", "data": data}), headers)


def _rest(transport: InMemoryTransport, limiter: RateLimiter | None = None, read_retries: int = 2
          ) -> BitmartRest:
    clock = ExchangeClock(wall_ms=lambda: 1_700_000_000_000)
    clock.record(1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_000)  # fresh: no /system/time call
    return BitmartRest("https://api.example:8443", transport, clock=clock, limiter=limiter,
                       read_retries=read_retries)


async def test_a_signed_order_carries_key_timestamp_and_the_signature_of_its_body() -> None:
    transport = InMemoryTransport(lambda req: _ok({"order_id": "42"}))
    rest = _rest(transport)
    data = await rest.call("POST", SUBMIT, {"symbol": "BTCUSDT", "size": 1}, Auth.SIGNED, CREDS)
    assert data == {"order_id": "42"}
    [req] = transport.requests
    headers = dict(req.headers)
    assert (req.method, req.target, req.origin.url) == ("POST", SUBMIT, "https://api.example:8443")
    assert req.body == b'{"symbol":"BTCUSDT","size":1}'
    assert headers["X-BM-KEY"] == "key-1" and headers["Content-Type"] == "application/json"
    assert headers["X-BM-SIGN"] == sign("secret-1", headers["X-BM-TIMESTAMP"], "memo-1", req.body)
    assert not any("secret-1" in value or "memo-1" in value for _, value in req.headers)


async def test_rate_limit_headers_set_the_bucket() -> None:
    limits = [("X-BM-RateLimit-Limit", "7"), ("X-BM-RateLimit-Remaining", "1"),
              ("X-BM-RateLimit-Reset", "5")]
    limiter = RateLimiter()
    rest = _rest(InMemoryTransport(lambda req: _ok({"ok": True}, limits)), limiter=limiter)
    await rest.call("GET", "/contract/private/assets-detail", None, Auth.SIGNED, CREDS)
    bucket = limiter.bucket("key-1", "/contract/private/assets-detail")
    assert (bucket.limit, bucket.window) == (7 - limiter.safety, 5.0)  # the exchange's, not the table's


async def test_a_lost_read_is_retried_and_a_lost_order_is_maybe_applied() -> None:
    attempts: list[HttpRequest] = []

    async def flaky(req: HttpRequest) -> HttpResponse:
        attempts.append(req)
        if len(attempts) == 1 or req.method == "POST":
            raise ConnectionLost("connection closed before the response", maybe_sent=True)
        return _ok({"server_time": 1})

    rest = _rest(InMemoryTransport(flaky), read_retries=1)
    assert await rest.call("GET", "/system/time", None, Auth.NONE, None) == {"server_time": 1}
    assert len(attempts) == 2
    with pytest.raises(MaybeApplied) as lost:
        await rest.call("POST", SUBMIT, {"symbol": "BTCUSDT"}, Auth.SIGNED, CREDS)
    assert len(attempts) == 3  # an order is never sent twice
    assert lost.value.decided_after_ms is not None
