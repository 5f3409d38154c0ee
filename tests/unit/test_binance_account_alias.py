"""The sandbox's Binance account alias tells accounts apart (the platform refuses a second
connection of the same exchange account by it)."""

from __future__ import annotations

from perpdesk.sandbox.binance.account import account_alias


def test_uids_sharing_their_last_digits_have_different_aliases() -> None:
    assert account_alias("12345678") != account_alias("87655678")
    aliases = {account_alias(str(uid)) for uid in range(10_000_000, 10_000_000 + 20_000 * 7, 7)}
    assert len(aliases) == 20_000 and all(a.startswith("SgsR") for a in aliases)
