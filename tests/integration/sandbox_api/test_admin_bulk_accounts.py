"""POST /sandbox-admin/bulk-accounts: many benchmark accounts in one request."""

from __future__ import annotations

import pytest

from tests.fixtures.sandbox import AdminCallError, SandboxServer
from tests.integration.sandbox_api.helpers import contract

SYMBOL = "ETHUSDT"


def test_bulk_accounts_have_working_keys_and_the_position_asked(sandbox: SandboxServer) -> None:
    body = {"count": 3, "email_prefix": "bulk-a", "futures_usdt": "500",
            "position": {"symbol": SYMBOL, "size": 2, "leverage": "5"}}
    made = sandbox.admin.client.call("POST", "/bulk-accounts", body)["accounts"]
    assert len(made) == 3 and len({a["api_key"] for a in made}) == 3
    for acct in made:
        sdk = contract(sandbox, acct)
        answer, _headers = sdk.get_position(SYMBOL)
        held = [p["current_amount"] for p in answer["data"] if p["current_amount"] != "0"]
        assert held == ["2"]
        assets, _headers = sdk.get_assets_detail()
        assert any(a["currency"] == "USDT" for a in assets["data"])
    # the keys accept any source address and the users are whitelisted for futures
    assert sandbox.admin.user(made[0]["email"])["futures_whitelisted"] is True


def test_bulk_accounts_are_bounded_and_named(sandbox: SandboxServer) -> None:
    for bad in ({"count": 0}, {"count": 5001}, {"count": "3"},
                {"count": 1, "position": {"symbol": "NOPE"}},
                {"count": 1, "email_prefix": "a b"}):
        with pytest.raises(AdminCallError) as info:
            sandbox.admin.client.call("POST", "/bulk-accounts", bad)
        assert info.value.status == 400
    sandbox.admin.client.call("POST", "/bulk-accounts", {"count": 1, "email_prefix": "bulk-b"})
    with pytest.raises(AdminCallError) as info:  # the same emails again
        sandbox.admin.client.call("POST", "/bulk-accounts", {"count": 1, "email_prefix": "bulk-b"})
    assert info.value.field == "email"
