"""The Binance key audit against the sandbox's key settings: one exact reason and fix for each
failure (futures not enabled, withdrawals enabled, IP restriction missing or without the
platform's address, wrong secret, unknown key, clock skew), and a good key's report."""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import AsyncIterator

import pytest

from perpdesk.core import errors as E
from perpdesk.core.models import Credentials, Permission
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.exchanges.binance.key_inspection import IpRestrictionMissing
from perpdesk.exchanges.common.clock import ExchangeClock
from perpdesk.exchanges.registry import entry
from perpdesk.services.key_audit import Verdict, audit
from tests.fixtures.binance import BinanceSandbox
from tests.integration.connector_binance.conftest import MakeCreds

EGRESS = ("127.0.0.1",)  # the platform's address: the sandbox sees the TCP peer
BINANCE = entry("binance").info


async def test_a_good_key(connector: BinanceFuturesConnector, make_creds: MakeCreds) -> None:
    report = await connector.inspect_key(make_creds())
    assert report.error is None and report.usable_for_futures
    assert report.permissions == frozenset({Permission.READ, Permission.FUTURE_TRADE})
    assert (report.key_known, report.signature_valid, report.ip_allowed) == (True, True, True)
    assert report.balances[0].equity == 10000 and report.account_id
    assert audit(report, EGRESS, BINANCE).verdict is Verdict.OK


async def test_futures_not_enabled(connector: BinanceFuturesConnector, make_creds: MakeCreds) -> None:
    report = await connector.inspect_key(make_creds(permissions=()))
    assert isinstance(report.error, E.PermissionMissing)
    assert report.error.headline == "Enable Futures is off on this API key."
    assert "tick Enable Futures" in report.error.next_step
    assert report.permissions == frozenset({Permission.READ}) and not report.usable_for_futures
    assert audit(report, EGRESS, BINANCE).problem.code == "permission_missing"  # type: ignore[union-attr]


async def test_withdrawals_enabled(connector: BinanceFuturesConnector, make_creds: MakeCreds) -> None:
    report = await connector.inspect_key(make_creds(permissions=("future_trade", "withdraw")))
    assert Permission.WITHDRAW in (report.permissions or ())
    refused = audit(report, EGRESS, BINANCE)
    assert refused.verdict is Verdict.REFUSED and refused.problem.code == "withdraw_refused"  # type: ignore[union-attr]
    assert audit(report, EGRESS, BINANCE, allow_withdraw=True).verdict is Verdict.OK  # accepted explicitly


async def test_ip_restriction_missing(connector: BinanceFuturesConnector, make_creds: MakeCreds) -> None:
    report = await connector.inspect_key(make_creds(ip=None))
    assert isinstance(report.error, IpRestrictionMissing) and report.ip_whitelist == ()
    assert report.error.code == "ip_restriction_missing"
    assert "Restrict access to trusted IPs only" in report.error.next_step
    assert audit(report, EGRESS, BINANCE).problem.code == "ip_restriction_missing"  # type: ignore[union-attr]


async def test_ip_restriction_without_the_platforms_address(
    connector: BinanceFuturesConnector, make_creds: MakeCreds
) -> None:
    report = await connector.inspect_key(make_creds(ip=("203.0.113.7",)))
    assert type(report.error) is E.IpNotAllowed and report.ip_allowed is False
    assert report.error.headline == "The key does not allow requests from the platform's IP address."
    assert "add the platform's IP addresses" in report.error.next_step
    assert "203.0.113.7" not in report.error.next_step


async def test_wrong_secret(connector: BinanceFuturesConnector, make_creds: MakeCreds) -> None:
    good = make_creds()
    report = await connector.inspect_key(Credentials(good.api_key, "x" * 64))
    assert isinstance(report.error, E.InvalidSignature) and report.signature_valid is False
    assert report.error.exchange_code == -1022 and "Secret Key is wrong" in (report.error.headline or "")
    assert report.key_known is True and report.permissions is None


@pytest.mark.parametrize(
    "api_key", ["".join(secrets.choice(string.ascii_letters) for _ in range(64)), "short"]
)
async def test_unknown_key(connector: BinanceFuturesConnector, api_key: str) -> None:
    report = await connector.inspect_key(Credentials(api_key, "x" * 64))
    assert isinstance(report.error, E.AuthenticationFailed) and report.key_known is False
    assert report.error.exchange_code in (-2014, -2015)
    assert "Copy the API Key again" in report.error.next_step
    assert api_key not in report.error.message  # never echoed


class UncorrectableClock(ExchangeClock):
    """A host clock ten minutes behind whose offset to Binance cannot be measured (as when the
    host's clock keeps stepping): every signed request leaves outside the recvWindow."""

    def record(self, server_time_ms: int, sent_local_ms: int, received_local_ms: int) -> None:
        super().record(sent_local_ms, sent_local_ms, received_local_ms)


@pytest.fixture
async def skewed(binance_sandbox: BinanceSandbox) -> AsyncIterator[BinanceFuturesConnector]:
    clock = UncorrectableClock(wall_ms=lambda: time.time_ns() // 1_000_000 - 600_000)
    conn = BinanceFuturesConnector(binance_sandbox.url, clock=clock, timeout_s=5)
    yield conn
    await conn.aclose()


async def test_clock_skew(skewed: BinanceFuturesConnector, make_creds: MakeCreds) -> None:
    report = await skewed.inspect_key(make_creds())
    assert isinstance(report.error, E.TimestampOutOfWindow) and report.error.exchange_code == -1021
    assert "synchronise the server's clock" in report.error.next_step
    assert audit(report, EGRESS, BINANCE).problem.code == "timestamp_out_of_window"  # type: ignore[union-attr]
