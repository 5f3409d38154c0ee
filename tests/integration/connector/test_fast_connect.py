"""The Fast Connect client against the sandbox's OAuth server: authorize URL → sign-in and consent
(driven over HTTP like a browser) → code redemption with PKCE → a working key → revocation."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from perpdesk.core import errors as E
from perpdesk.core.models import Permission
from perpdesk.exchanges.bitmart import (
    BitmartFastConnect,
    BitmartFuturesConnector,
    new_state,
    pkce_challenge,
    pkce_verifier,
)
from perpdesk.exchanges.bitmart.fast_connect import FastConnectFailed
from tests.fixtures.procs import free_port
from tests.integration.sandbox_oauth.flow import consent, signed_in_client


@pytest.fixture
async def provider(sandbox: Any) -> AsyncIterator[tuple[BitmartFastConnect, str]]:
    redirect_uri = f"http://127.0.0.1:{free_port()}/fast-connect/callback"
    client = sandbox.admin.create_oauth_client(f"perpdesk {secrets.token_hex(3)}", [redirect_uri],
                                               ["127.0.0.1"])
    base = sandbox.base_url
    fc = BitmartFastConnect(base + "/oauth/authorize", base + "/oauth/token", base + "/oauth/revoke",
                            client["client_id"], client["client_secret"])
    yield fc, redirect_uri
    await fc.aclose()


def _code(sandbox: Any, fc: BitmartFastConnect, redirect_uri: str, verifier: str) -> str:
    state = new_state()
    url = fc.authorize_url(state=state, code_challenge=pkce_challenge(verifier), redirect_uri=redirect_uri,
                           ip_whitelist=["127.0.0.1"], label="perpdesk test")
    browser = signed_in_client(sandbox.base_url, sandbox.admin.create_user())
    try:
        query = consent(browser, url.removeprefix(sandbox.base_url))
    finally:
        browser.close()
    assert query["state"] == [state]
    return query["code"][0]


async def test_redeem_gives_a_working_key_and_revoke_deletes_it(
    sandbox: Any, provider: tuple[BitmartFastConnect, str], connector: BitmartFuturesConnector
) -> None:
    fc, redirect_uri = provider
    verifier = pkce_verifier()
    issued = await fc.redeem(code=_code(sandbox, fc, redirect_uri, verifier), code_verifier=verifier,
                             redirect_uri=redirect_uri)
    assert Permission.FUTURE_TRADE in issued.permissions and Permission.SPOT_TRADE not in issued.permissions
    assert issued.ip_whitelist == ("127.0.0.1",)
    report = await connector.inspect_key(issued.credentials)
    assert report.usable_for_futures, report
    await fc.revoke(issued.credentials.api_key)
    await fc.revoke(issued.credentials.api_key)  # idempotent
    gone = await connector.inspect_key(issued.credentials)
    assert gone.key_known is False and isinstance(gone.error, E.AuthenticationFailed)


async def test_a_code_redeems_once_and_needs_its_verifier(
    sandbox: Any, provider: tuple[BitmartFastConnect, str]
) -> None:
    fc, redirect_uri = provider
    verifier = pkce_verifier()
    code = _code(sandbox, fc, redirect_uri, verifier)
    with pytest.raises(FastConnectFailed, match="invalid_grant"):
        await fc.redeem(code=code, code_verifier=pkce_verifier(), redirect_uri=redirect_uri)
    verifier2 = pkce_verifier()
    code2 = _code(sandbox, fc, redirect_uri, verifier2)
    await fc.redeem(code=code2, code_verifier=verifier2, redirect_uri=redirect_uri)
    with pytest.raises(FastConnectFailed) as again:
        await fc.redeem(code=code2, code_verifier=verifier2, redirect_uri=redirect_uri)
    assert again.value.next_step


async def test_wrong_client_secret_is_refused(sandbox: Any, provider: tuple[BitmartFastConnect, str]) -> None:
    fc, redirect_uri = provider
    verifier = pkce_verifier()
    code = _code(sandbox, fc, redirect_uri, verifier)
    bad = BitmartFastConnect(fc.authorize_url_base, fc.token_url, fc.revoke_url, fc.client_id, "wrong-secret")
    with pytest.raises(FastConnectFailed, match="invalid_client"):
        await bad.redeem(code=code, code_verifier=verifier, redirect_uri=redirect_uri)
    with pytest.raises(FastConnectFailed):
        await bad.revoke("0" * 40)
