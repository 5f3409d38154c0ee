"""Webhook deliveries on the in-memory unit of work: signed POSTs, retries with exponential
backoff until accepted or given up, and targets refused before any connection. The receiver is
httpx's in-memory transport; the real-server side (a receiver on loopback, redirects, DNS) is in
tests/integration/notifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import httpx
import pytest

from perpdesk.services import notifications, webhooks
from perpdesk.services.webhook_target import webhook_client
from perpdesk.services.webhooks import Backoff
from perpdesk.store.base import utcnow
from perpdesk.store.records import DeliveryRecord
from tests.unit.services.store_fakes import BookConnector, StoreTables, store_deps

HOOK = "http://hooks.example.test/perpdesk"


class Receiver:
    """Answers each POST with the next status (then 200) and keeps what it was sent."""

    def __init__(self, statuses: Iterable[int] = ()) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


async def _queued(tables: StoreTables) -> tuple[str, bytes]:
    """alice's webhook saved and one notification queued for it: (delivery id, signing secret)."""
    deps = store_deps(tables, BookConnector(), webhook_allow_private=True)
    _, secret = await notifications.save_prefs(deps, "alice", liquidation_pct=None, webhook_url=HOOK)
    await notifications.notify(deps, "alice", "fill", "Main: buy 1 BTCUSDT", "", "fill:a:1", "a")
    (delivery_id,) = tables.deliveries
    assert secret is not None
    return delivery_id, secret.encode()


async def test_a_delivery_is_retried_until_accepted_signed_alike_each_time() -> None:
    tables, receiver = StoreTables(), Receiver([503, 500])
    delivery_id, secret = await _queued(tables)
    deps = store_deps(tables, BookConnector())
    async with receiver.client() as client:
        assert [await webhooks.deliver_due(deps, Backoff(0.0, 5), client) for _ in range(4)] == [0, 0, 1, 0]
    d = tables.deliveries[delivery_id]
    assert (d.delivered, d.gave_up, d.attempts, d.last_status, d.last_error) == (True, False, 3, 200, None)
    assert len(receiver.requests) == 3
    for r in receiver.requests:
        assert r.headers["x-perpdesk-delivery"] == delivery_id and r.content == d.payload.encode()
        assert webhooks.verify(
            secret, r.headers["x-perpdesk-timestamp"], r.content, r.headers["x-perpdesk-signature"]
        )
        assert not webhooks.verify(
            b"another secret", r.headers["x-perpdesk-timestamp"], r.content, r.headers["x-perpdesk-signature"]
        )


async def test_a_failed_delivery_waits_out_its_backoff_then_gives_up() -> None:
    tables, receiver = StoreTables(), Receiver([503] * 10)
    delivery_id, _ = await _queued(tables)
    deps = store_deps(tables, BookConnector())
    async with receiver.client() as client:
        await webhooks.deliver_due(deps, Backoff(60.0, 3), client)
        await webhooks.deliver_due(deps, Backoff(60.0, 3), client)  # not due yet: not sent again
    d = tables.deliveries[delivery_id]
    assert len(receiver.requests) == 1 and d.attempts == 1 and d.last_error == "HTTP 503"
    assert d.next_attempt_at is not None
    assert timedelta(seconds=59) < d.next_attempt_at - utcnow() <= timedelta(seconds=60)


def test_the_backoff_doubles_and_the_last_attempt_gives_up() -> None:
    backoff = Backoff(2.0, 3)
    d = DeliveryRecord("d", "alice", None, HOOK, "{}", utcnow())
    waits = []
    for _ in range(2):
        d = webhooks.outcome(backoff, d, 503, "HTTP 503")
        assert d.next_attempt_at is not None and not d.gave_up
        waits.append(round((d.next_attempt_at - utcnow()).total_seconds()))
    assert waits == [2, 4]
    d = webhooks.outcome(backoff, d, None, "ConnectError")
    assert (d.gave_up, d.delivered, d.attempts, d.next_attempt_at, d.last_status) == (
        True,
        False,
        3,
        None,
        None,
    )
    ok = webhooks.outcome(backoff, DeliveryRecord("e", "alice", None, HOOK, "{}", utcnow()), 204, None)
    assert (ok.delivered, ok.attempts, ok.next_attempt_at) == (True, 1, None)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://10.1.2.3/hook", "refused: "),  # a private network: refused before connecting
        ("https://[::1]:8443/hook", "refused: "),  # this machine
        ("ftp://example.com/hook", "the saved URL is refused"),  # saved before the rules: not sent
    ],
)
async def test_a_target_webhooks_may_not_reach_is_never_connected_to(url: str, why: str) -> None:
    tables = StoreTables()
    delivery_id, _ = await _queued(tables)
    tables.deliveries[delivery_id] = DeliveryRecord(
        delivery_id, "alice", None, url, "{}", utcnow(), next_attempt_at=utcnow()
    )
    deps = store_deps(tables, BookConnector())
    async with webhook_client(allow_private=False, timeout_s=1.0) as client:
        assert await webhooks.deliver_due(deps, Backoff(60.0, 5), client) == 0
    d = tables.deliveries[delivery_id]
    assert d.last_error is not None and d.last_error.startswith(why) and d.last_status is None
    assert d.attempts == 1 and not d.delivered


async def test_a_user_without_a_secret_is_told_so_in_the_log() -> None:
    tables, receiver = StoreTables(), Receiver()
    delivery_id, _ = await _queued(tables)
    tables.secrets.clear()
    async with receiver.client() as client:
        await webhooks.deliver_due(store_deps(tables, BookConnector()), Backoff(60.0, 5), client)
    assert receiver.requests == []
    assert (tables.deliveries[delivery_id].last_error or "").startswith("no webhook secret")
