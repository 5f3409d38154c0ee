"""Endpoints the official SDK (2.8.0) calls that the reference snapshot does not document: the
contract-account transfer and the two cross-collateral queries, through the SDK itself."""

from __future__ import annotations

import time

from bitmart.api_contract import APIContract

from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_api.helpers import new_trader


def test_contract_account_transfer_and_cross_collateral_queries(sandbox: SandboxServer) -> None:
    _, key = new_trader(sandbox)
    sdk = APIContract(key["api_key"], key["secret_key"], key["memo"], url=sandbox.base_url, timeout=(3, 10))

    def usdt() -> str:
        return str(sdk.get_assets_detail()[0]["data"][0]["available_balance"])

    before = usdt()
    moved, _ = sdk.post_account_transfer(currency="USDT", amount="25", type="contract_to_fund")
    assert moved["code"] == 1000 and moved["data"] == {"currency": "USDT", "amount": "25"}
    assert usdt() != before
    time.sleep(2.1)  # 1 transfer / 2 s per key, like transfer-contract
    back, _ = sdk.post_account_transfer(currency="USDT", amount="25", type="fund_to_contract")
    assert back["code"] == 1000 and usdt() == before
    repay, _ = sdk.get_auto_repayment(page=1, size=20, from_coin_code="USDT")
    assert repay["code"] == 1000 and repay["data"] == {"total": 0, "page": 1, "size": 20, "list": []}
    interest, _ = sdk.get_cross_collateral_interest_log(coin_code="USDT")
    assert interest["code"] == 1000 and interest["data"]["list"] == []
