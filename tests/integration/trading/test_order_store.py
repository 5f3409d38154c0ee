"""The order intents table: migration up/down, exact decimals, per-account unique client ids,
and what happens to intents when their account is disconnected."""

from __future__ import annotations

import asyncio
from dataclasses import FrozenInstanceError, replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from perpdesk.services import accounts, trading
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.db import alembic_config, make_engine, migrate
from perpdesk.store.order_records import IntentRecord
from perpdesk.store.orders import DecimalText, OrderIntent, OrderIntentRepo
from tests.integration.trading.conftest import TCtx


def _intent(user_id: str, account_id: str, cid: str, **kw: object) -> IntentRecord:
    values: dict[str, object] = dict(
        id=new_id(),
        user_id=user_id,
        account_id=account_id,
        exchange="bitmart",
        client_order_id=cid,
        purpose="order",
        symbol="BTCUSDT",
        side="buy_open_long",
        type="limit",
        time_in_force="gtc",
        size=Decimal(1),
        price=Decimal("95000.1"),
        status="pending",
        settle_attempts=0,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    values.update(kw)
    return IntentRecord(**values)  # type: ignore[arg-type]


async def test_migration_0003_up_down_up(tmp_path: Path) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    await migrate(url)
    engine = make_engine(url)

    async def tables() -> set[str]:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))

    try:
        assert "order_intents" in await tables()
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0002_accounts")
        assert "order_intents" not in await tables() and "exchange_accounts" in await tables()
        await migrate(url)
        assert "order_intents" in await tables()
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        async with engine.connect() as conn:
            assert (await conn.execute(text("select version_num from alembic_version"))).scalar() == head
    finally:
        await engine.dispose()


async def test_decimals_exact_and_client_ids_unique_per_account(tctx: TCtx) -> None:
    t = await tctx.trader()
    tiny = Decimal("0.000000000000000001234567890123456789")
    async with tctx.deps.sessions() as s, s.begin():
        await OrderIntentRepo(s).add(
            _intent(t.user_id, t.account_id, "pdexact1", size=Decimal("123456789.987654321"), price=tiny)
        )
    async with tctx.deps.sessions() as s:
        row = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, "pdexact1")
        assert row is not None and row.price == tiny and row.size == Decimal("123456789.987654321")
        raw = (
            await s.execute(text("select price from order_intents where client_order_id = 'pdexact1'"))
        ).scalar()
        assert raw == "0.000000000000000001234567890123456789"  # stored as the exact string
        # another user asking for the same client id sees nothing
        assert await OrderIntentRepo(s).by_client_id("someone-else", t.account_id, "pdexact1") is None
    with pytest.raises(IntegrityError):
        async with tctx.deps.sessions() as s, s.begin():
            await OrderIntentRepo(s).add(_intent(t.user_id, t.account_id, "pdexact1"))
    with pytest.raises(TypeError):
        DecimalText().process_bind_param(0.1, None)  # type: ignore[arg-type]


async def test_an_intent_is_a_frozen_record_written_back_by_save(tctx: TCtx) -> None:
    t = await tctx.trader()
    stored = _intent(t.user_id, t.account_id, "pdsave1", price=Decimal("95000.10"))
    async with tctx.deps.sessions() as s, s.begin():
        await OrderIntentRepo(s).add(stored)
    with pytest.raises(FrozenInstanceError):
        stored.status = "placed"  # type: ignore[misc]  # a service cannot write by touching one
    placed = replace(stored, status="placed", order_id="42", settle_attempts=1)
    async with tctx.deps.sessions() as s, s.begin():
        assert await OrderIntentRepo(s).save(placed) == placed
    async with tctx.deps.sessions() as s:
        again = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, "pdsave1")
        assert again == placed and again.price == Decimal("95000.10")
        gone = replace(placed, id=new_id())
        with pytest.raises(LookupError):
            await OrderIntentRepo(s).save(gone)


async def test_trails_by_ids_finds_the_accounts_trail_intents_by_exchange_or_client_id(tctx: TCtx) -> None:
    t, other = await tctx.trader(), await tctx.trader()
    trail = {"purpose": "trail", "type": "market", "price": None, "trigger_price": Decimal("186.370"),
             "callback_rate": Decimal("1.37")}
    rows = [
        _intent(t.user_id, t.account_id, "pdtrail1", order_id="101", status="placed", **trail),
        _intent(t.user_id, t.account_id, "pdtrail2", **trail),  # no exchange id recorded yet
        _intent(t.user_id, t.account_id, "pdplan1", order_id="102", status="placed"),
        _intent(other.user_id, other.account_id, "pdtrail3", order_id="103", status="placed", **trail),
    ]
    async with tctx.deps.sessions() as s, s.begin():
        for row in rows:
            await OrderIntentRepo(s).add(row)
    async with tctx.deps.sessions() as s:
        repo = OrderIntentRepo(s)
        found = await repo.trails_by_ids(t.user_id, t.account_id, ["101", "102", "103"],
                                         ["pdtrail2", "pdtrail3"])
        assert sorted(r.client_order_id for r in found) == ["pdtrail1", "pdtrail2"]
        assert {(r.trigger_price, r.callback_rate) for r in found} == {(Decimal("186.37"), Decimal("1.37"))}
        assert await repo.trails_by_ids(t.user_id, t.account_id, ["101"], []) == [rows[0]]
        assert await repo.trails_by_ids(t.user_id, t.account_id, [], []) == []


async def test_disconnecting_an_account_removes_its_intents(tctx: TCtx) -> None:
    t = await tctx.trader()
    tctx.sandbox.admin.set_price("ETHUSDT", "3500")
    placed = await trading.place_order(
        tctx.deps, t.user_id, t.account_id, {"symbol": "ETHUSDT", "side": "buy", "price": "3000", "size": "1"}
    )
    assert placed.status == "placed"
    await trading.cancel_order(
        tctx.deps, t.user_id, t.account_id, "ETHUSDT", client_order_id=placed.client_order_id
    )
    await accounts.disconnect(tctx.deps, t.user_id, t.account_id)
    async with tctx.deps.sessions() as s:
        left = list(await s.scalars(select(OrderIntent).where(OrderIntent.account_id == t.account_id)))
    assert left == []
