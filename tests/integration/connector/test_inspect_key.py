"""Key inspection against the sandbox: every verdict the KeyReport can give, from real answers."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core import errors as E
from perpdesk.core.models import Credentials, Permission
from perpdesk.exchanges.bitmart import BitmartFuturesConnector
from tests.integration.connector.conftest import MakeCreds


async def test_good_key_is_usable_with_balances_permissions_and_ips(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds(permissions=("future_trade", "spot_trade"), ip=("127.0.0.1", "127.0.0.9"))
    report = await connector.inspect_key(creds)
    assert report.usable_for_futures, report
    assert report.key_known and report.signature_valid and report.ip_allowed and report.futures_whitelisted
    assert report.permissions == {Permission.READ, Permission.FUTURE_TRADE, Permission.SPOT_TRADE}
    assert report.ip_whitelist == ("127.0.0.1", "127.0.0.9")
    assert report.account_id == make_creds.last_user["uid"]  # type: ignore[attr-defined]
    (usdt,) = report.balances
    assert usdt.currency == "USDT" and usdt.equity == Decimal(10000)
    assert report.passphrase_distinguishable is False and report.error is None


async def test_unknown_key(connector: BitmartFuturesConnector) -> None:
    report = await connector.inspect_key(Credentials("0" * 40, "secret", "memo"))
    assert report.key_known is False
    assert isinstance(report.error, E.AuthenticationFailed)
    assert not report.usable_for_futures


async def test_wrong_secret_and_wrong_memo_are_the_same_honest_verdict(
    connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    for bad in (replace(creds, secret=creds.secret[::-1]), replace(creds, passphrase="not-the-memo")):
        report = await connector.inspect_key(bad)
        assert report.key_known is True
        assert report.signature_valid is False
        assert report.passphrase_distinguishable is False
        assert isinstance(report.error, E.InvalidSignature)
        assert "cannot tell which" in report.error.next_step
        assert report.balances  # KEYED reads still work: the key exists, only signing fails


async def test_foreign_source_ip_is_refused(sandbox: Any, make_creds: MakeCreds) -> None:
    creds = make_creds(ip=("127.0.0.2",))
    from_1 = BitmartFuturesConnector(sandbox.base_url, source_address="127.0.0.1")
    from_2 = BitmartFuturesConnector(sandbox.base_url, source_address="127.0.0.2")
    try:
        refused = await from_1.inspect_key(creds)
        assert refused.ip_allowed is False and isinstance(refused.error, E.IpNotAllowed)
        assert refused.key_known is True and not refused.usable_for_futures
        allowed = await from_2.inspect_key(creds)
        assert allowed.ip_allowed is True and allowed.usable_for_futures, allowed
    finally:
        await from_1.aclose()
        await from_2.aclose()


async def test_key_without_future_trade(connector: BitmartFuturesConnector, make_creds: MakeCreds) -> None:
    report = await connector.inspect_key(make_creds(permissions=("spot_trade",)))
    assert report.signature_valid is True
    assert report.permissions is not None and Permission.FUTURE_TRADE not in report.permissions
    assert Permission.SPOT_TRADE in report.permissions
    assert isinstance(report.error, E.PermissionMissing)
    assert not report.usable_for_futures


async def test_account_not_whitelisted_then_whitelisted(
    sandbox: Any, connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds(whitelisted=False)
    report = await connector.inspect_key(creds)
    assert report.futures_whitelisted is False
    assert isinstance(report.error, E.NotWhitelistedForFutures)
    assert "API Whitelist Request" in report.error.next_step
    sandbox.admin.whitelist(make_creds.last_user["email"])  # type: ignore[attr-defined]
    assert (await connector.inspect_key(creds)).usable_for_futures


async def test_inspection_costs_one_round_trip_of_three_calls_once_the_clock_is_known(
    sandbox: Any, connector: BitmartFuturesConnector, make_creds: MakeCreds
) -> None:
    creds = make_creds()
    await connector.inspect_key(creds)  # measures the clock offset on the way
    before = {k: len(b.sent) for k, b in connector.limiter._buckets.items()}
    await connector.inspect_key(creds)
    after = {k: len(b.sent) for k, b in connector.limiter._buckets.items()}
    grown = {k[1] for k in after if after[k] > before.get(k, 0)}
    assert grown == {"/contract/private/assets-detail", "/contract/private/cancel-order",
                     "/uapi-key/v1/account/info"}


async def test_exchange_down_is_reported_not_guessed() -> None:
    from tests.fixtures.procs import free_port

    conn = BitmartFuturesConnector(f"http://127.0.0.1:{free_port()}", timeout_s=1)
    try:
        report = await conn.inspect_key(Credentials("k" * 40, "secret", "memo"))
        assert report.key_known is None and report.signature_valid is None and report.ip_allowed is None
        assert isinstance(report.error, E.ExchangeUnavailable)
        with pytest.raises(E.ExchangeUnavailable):
            await conn.balances(Credentials("k" * 40, "secret", "memo"))
    finally:
        await conn.aclose()
