"""Equity snapshots stored on SQLite and PostgreSQL from the real sandbox, read back as one point
per pass with the user's accounts summed, exact decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core.models import Balance
from perpdesk.services import equity_history, trading
from tests.integration.trading.conftest import TCtx


async def test_snapshots_sum_the_users_accounts_per_pass(tctx: TCtx) -> None:
    t = await tctx.trader(futures_usdt="1000.123456")
    await tctx.trader(futures_usdt="250.5", user_id=t.user_id)
    other = await tctx.trader(futures_usdt="7")
    assert await equity_history.take_snapshots(tctx.deps) >= 3
    tctx.sandbox.admin.set_price("ETHUSDT", "3500")
    order = {"symbol": "ETHUSDT", "side": "buy", "type": "market", "size": "1", "leverage": "5",
             "margin_mode": "cross"}
    assert (await trading.place_order(tctx.deps, t.user_id, t.account_id, order)).status == "placed"
    tctx.sandbox.admin.set_price("ETHUSDT", "3700")
    (usdt,) = [b for b in await tctx.connector.balances(t.creds) if b.currency == "USDT"]
    assert await equity_history.take_snapshots(tctx.deps) >= 3

    first, second = await equity_history.history(tctx.deps, t.user_id)
    assert first.equity == Decimal("1250.623456") and second.equity == usdt.equity + Decimal("250.5")
    assert first.taken_at < second.taken_at and first.unrealized_pnl == 0
    assert second.unrealized_pnl == usdt.unrealized_pnl > 0
    assert first.to_dict()["equity"] == "1250.623456"
    one = await equity_history.history(tctx.deps, t.user_id, account_id=t.account_id)
    assert [p.equity for p in one] == [Decimal("1000.123456"), usdt.equity]
    assert [p.equity for p in await equity_history.history(tctx.deps, other.user_id)] == [Decimal(7)] * 2


async def test_a_current_mirror_here_gives_its_balance_and_the_exchange_is_not_asked(
    tctx: TCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirrored_acct = await tctx.trader(futures_usdt="500")
    asked = await tctx.trader(futures_usdt="20.25", user_id=mirrored_acct.user_id)
    live = Balance("USDT", Decimal("512.345678"), Decimal("400.5"), frozen=Decimal("1.5"),
                   position_margin=Decimal("100"), unrealized_pnl=Decimal("12.345678"))

    class Mirrors:
        def usdt_of(self, user_id: str, account_id: str) -> Balance | None:
            return live if account_id == mirrored_acct.account_id else None

    reads: list[str] = []
    real = tctx.connector.balances

    async def counted(creds: Any) -> Any:
        reads.append(creds.api_key)
        return await real(creds)

    monkeypatch.setattr(tctx.connector, "balances", counted)
    assert await equity_history.take_snapshots(tctx.deps, Mirrors()) >= 2
    assert mirrored_acct.creds.api_key not in reads and asked.creds.api_key in reads
    one = await equity_history.history(tctx.deps, mirrored_acct.user_id, account_id=mirrored_acct.account_id)
    assert [(p.equity, p.unrealized_pnl) for p in one] == [(Decimal("512.345678"), Decimal("12.345678"))]
    (point,) = await equity_history.history(tctx.deps, mirrored_acct.user_id)
    assert point.equity == Decimal("532.595678")  # the mirror's and the exchange's, summed
