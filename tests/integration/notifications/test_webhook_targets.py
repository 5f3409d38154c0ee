"""Webhooks may not reach this machine or private networks unless the operator allows it: refused
with a field error when saved, and refused on every delivery (each resolved address checked, the
connection made to a checked address, redirects checked too), against a real receiver on loopback
that must see no request. With PERPDESK_WEBHOOK_ALLOW_PRIVATE the same receiver gets the POST."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.core.errors import InputError
from perpdesk.services import notifications, webhooks
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.webhook_target import (
    GuardedTransport,
    IpAddress,
    TargetRefused,
    checked_addresses,
    refusal,
    webhook_client,
)
from perpdesk.services.webhooks import Backoff
from tests.fixtures.services import accounts_deps
from tests.integration.notifications.receiver import Receiver
from tests.integration.notifications.test_webhooks import new_user


def make_deps(sessions: async_sessionmaker[AsyncSession], allow: bool) -> AccountsDeps:
    return accounts_deps(sessions, connector=None, webhook_allow_private=allow)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8800/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]:9000/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://2130706433/hook", "loopback"),  # 127.0.0.1 written as one number
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://100.64.0.1/hook", "non-public"),
        ("http://LOCALHOST./hook", "loopback"),
        ("http://LocalHost/hook", "loopback"),
        ("http://api.localhost/hook", "loopback"),
        ("http://127.1/hook", "loopback"),
        ("http://0x7f000001/hook", "loopback"),
        ("http://[2002:7f00:1::]/hook", "loopback"),  # 6to4 of 127.0.0.1
        ("http://[2002:a00:1::]/hook", "private"),  # 6to4 of 10.0.0.1
        ("http://[64:ff9b::7f00:1]/hook", "loopback"),  # NAT64 of 127.0.0.1
        ("http://[64:ff9b:1::a00:1]/hook", "NAT64"),
        ("http://[::127.0.0.1]/hook", "loopback"),  # IPv4-compatible
        ("http://[::ffff:a00:1]/hook", "private"),  # IPv4-mapped
    ],
)
async def test_saving_a_private_target_is_refused_on_the_field(
    db_sessionmaker: async_sessionmaker[AsyncSession], url: str, why: str
) -> None:
    deps = make_deps(db_sessionmaker, allow=False)
    user_id = await new_user(deps)
    with pytest.raises(InputError) as bad:
        await notifications.save_prefs(deps, user_id, liquidation_pct="5", webhook_url=url)
    assert bad.value.field == "webhook_url"
    assert why in bad.value.message and "private networks" in bad.value.message
    assert "PERPDESK_WEBHOOK_ALLOW_PRIVATE" in bad.value.next_step
    prefs = await notifications.get_prefs(deps, user_id)  # nothing saved, not even the threshold
    assert (prefs.liquidation_pct, prefs.webhook_url, prefs.has_secret) == (None, None, False)


async def test_a_host_that_does_not_resolve_yet_is_saved(
    db_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    deps = make_deps(db_sessionmaker, allow=False)
    user_id = await new_user(deps)
    prefs, secret = await notifications.save_prefs(
        deps, user_id, liquidation_pct=None, webhook_url="https://hooks.invalid/perpdesk")
    assert prefs.webhook_url == "https://hooks.invalid/perpdesk" and secret


async def test_delivery_to_a_private_address_is_refused_at_send_time(
    db_sessionmaker: async_sessionmaker[AsyncSession], receiver: Receiver
) -> None:
    """Saved while allowed (or a DNS name that later points inside): the delivery checks again."""
    allowed = make_deps(db_sessionmaker, allow=True)
    user_id = await new_user(allowed)
    await notifications.save_prefs(allowed, user_id, liquidation_pct=None, webhook_url=receiver.url)
    await notifications.notify(allowed, user_id, "fill", "Desk: buy 1 ETHUSDT", "", "fill:x:1")
    guarded = dataclasses.replace(allowed, webhook_allow_private=False)  # the same vault
    client = webhook_client(allow_private=guarded.webhook_allow_private, timeout_s=5)
    async with client:
        assert await webhooks.deliver_due(guarded, Backoff(0.0, 1), client) == 0
    (d,) = await webhooks.deliveries(guarded, user_id)
    assert d.gave_up and not d.delivered and d.last_status is None
    assert d.last_error is not None and d.last_error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert "loopback" in d.last_error and "PERPDESK_WEBHOOK_ALLOW_PRIVATE" in d.last_error
    assert receiver.requests == []  # no connection was made


async def test_allowed_when_the_setting_is_on(
    db_sessionmaker: async_sessionmaker[AsyncSession], receiver: Receiver
) -> None:
    deps = make_deps(db_sessionmaker, allow=True)
    user_id = await new_user(deps)
    prefs, _secret = await notifications.save_prefs(deps, user_id, liquidation_pct=None,
                                                     webhook_url=receiver.url)
    assert prefs.webhook_url == receiver.url
    await notifications.notify(deps, user_id, "key", "Desk: wrong key", "", "key:x:1")
    async with webhook_client(allow_private=True, timeout_s=5) as client:
        assert await webhooks.deliver_due(deps, Backoff(0.0, 1), client) == 1
    assert len(receiver.requests) == 1


async def test_every_resolved_address_is_checked() -> None:
    async def two(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]  # one public, one private: refused

    with pytest.raises(TargetRefused) as refused:
        await checked_addresses("hooks.example.test", 443, resolver=two)
    assert refused.value.address == "10.0.0.7" and "private" in refused.value.why

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]

    assert await checked_addresses("hooks.example.test", 443, resolver=public) == [
        "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]


def _only(allowed: str) -> Any:
    """Treat one loopback address as public (a stand-in for a public receiver; loopback-only
    network here), every other address as the real rule says."""
    def refuse(ip: IpAddress) -> str | None:
        return None if ip == ipaddress.ip_address(allowed) else refusal(ip)
    return refuse


async def test_a_redirect_to_a_private_address_is_refused(receiver: Receiver) -> None:
    """The receiver (standing in for a public host) answers 307 to the cloud metadata address:
    the guarded client refuses to connect there."""
    receiver.statuses = [307]
    receiver.headers = {"location": "http://169.254.169.254/latest/meta-data/"}
    async with httpx.AsyncClient(transport=GuardedTransport(refuse=_only("127.0.0.1")),
                                 follow_redirects=True, trust_env=False, timeout=5) as client:
        with pytest.raises(TargetRefused) as refused:
            await client.post(receiver.url, content=b"{}")
    assert refused.value.address == "169.254.169.254" and "link-local" in refused.value.why
    assert len(receiver.requests) == 1  # the first hop only


async def test_a_redirect_to_an_allowed_address_is_followed_with_the_body(receiver: Receiver) -> None:
    receiver.statuses = [307]
    receiver.headers = {"location": receiver.url + "/moved"}
    async with httpx.AsyncClient(transport=GuardedTransport(refuse=_only("127.0.0.1")),
                                 follow_redirects=True, trust_env=False, timeout=5) as client:
        r = await client.post(receiver.url, content=b'{"x":1}')
    assert r.status_code == 200
    assert [body for _h, body in receiver.requests] == [b'{"x":1}', b'{"x":1}']
    assert receiver.paths == ["/hook", "/hook/moved"]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)//zq7", "file:///zq7/passwd", "gopher://zq7.test/", "https://a@zq7.test/",
     "https://:pw@zq7.test/", "https://zq7.test/x#frag", "https://zq7%6dx.test/",
     "https://zq7.test/\u00e9", "https://zq7 x.test/", "https://zq7" + "a" * 500 + ".com/"],
)
async def test_malformed_urls_are_refused_on_the_field_without_echo(
    db_sessionmaker: async_sessionmaker[AsyncSession], url: str
) -> None:
    deps = make_deps(db_sessionmaker, allow=True)  # refused by the form rules alone
    user_id = await new_user(deps)
    with pytest.raises(InputError) as bad:
        await notifications.save_prefs(deps, user_id, liquidation_pct=None, webhook_url=url)
    assert bad.value.field == "webhook_url" and bad.value.next_step
    assert "zq7" not in bad.value.message + bad.value.next_step


def test_a_saved_url_is_stored_normalised() -> None:
    from perpdesk.services.webhook_url import parse

    cases = {
        "HTTPS://Hooks.Example.COM.:443/a/B?c=D": "https://hooks.example.com/a/B?c=D",
        "http://example.com:8080": "http://example.com:8080",
        "http://[2001:DB8::0001]:80/x": "http://[2001:db8::1]/x",
        "http://2130706433/x": "http://127.0.0.1/x",
    }
    for raw, normal in cases.items():
        parsed = parse(raw)
        assert parsed is not None and parsed.url == normal, raw
