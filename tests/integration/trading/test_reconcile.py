"""Reconciliation: orders at the exchange with perpdesk's client-id prefix and no record, and records
the exchange contradicts, are repaired and written to the account's audit log."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from perpdesk.core.models import MarginMode, OrderRequest, OrderSide, PlacementStatus
from perpdesk.services import trading
from perpdesk.store.accounts import AccountAuditEntry
from perpdesk.store.base import utcnow
from perpdesk.store.orders import IntentStatus, OrderIntentRepo
from tests.integration.trading.conftest import TCtx

ETH = "ETHUSDT"


def request(cid: str, price: str) -> OrderRequest:
    return OrderRequest(
        ETH,
        OrderSide.BUY_OPEN_LONG,
        Decimal(1),
        cid,
        price=Decimal(price),
        leverage=Decimal(5),
        margin_mode=MarginMode.CROSS,
    )


async def test_unrecorded_and_contradicted_orders_are_repaired_and_audited(tctx: TCtx) -> None:
    t = await tctx.trader()
    tctx.sandbox.admin.set_price(ETH, "3500")
    # an order with our prefix that perpdesk has no record of (a process lost it)
    orphan = trading.new_client_order_id()
    assert (
        await tctx.connector.place_order(t.creds, request(orphan, "2800"))
    ).status is PlacementStatus.PLACED
    # a record perpdesk settled "not placed" that the exchange in fact has
    wrong = trading.new_client_order_id()
    await tctx.stored_intent(
        t, wrong, ETH, "2810", IntentStatus.NOT_PLACED, error_code="not_received", settle_attempts=1,
        settled_at=utcnow(),
    )
    assert (
        await tctx.connector.place_order(t.creds, request(wrong, "2810"))
    ).status is PlacementStatus.PLACED
    # another client's order (no prefix) is not ours: left alone
    foreign = "other" + trading.new_client_order_id()[2:20]
    foreign_result = await tctx.connector.place_order(t.creds, request(foreign, "2820"))
    assert foreign_result.status is PlacementStatus.PLACED

    assert await trading.reconcile_account(tctx.deps, t.user_id, t.account_id) == 2
    async with tctx.deps.sessions() as s:
        repo = OrderIntentRepo(s)
        adopted = await repo.by_client_id(t.user_id, t.account_id, orphan)
        repaired = await repo.by_client_id(t.user_id, t.account_id, wrong)
        assert await repo.by_client_id(t.user_id, t.account_id, foreign) is None
        audit = list(
            await s.scalars(select(AccountAuditEntry).where(AccountAuditEntry.account_id == t.account_id))
        )
    assert adopted is not None and adopted.status == "placed" and adopted.purpose == "adopted"
    assert adopted.order_id and adopted.price == Decimal("2800")
    assert repaired is not None and repaired.status == "placed" and repaired.order_id
    entries = {(e.action, e.detail.get("client_order_id"), e.detail.get("was")) for e in audit}
    assert ("order.adopted", orphan, None) in entries
    assert ("order.repaired", wrong, "not_placed") in entries
    # nothing left to repair: a second pass changes nothing
    assert await trading.reconcile_account(tctx.deps, t.user_id, t.account_id) == 0


async def test_the_pass_over_every_account_rechecks_a_refused_record_no_longer_open(tctx: TCtx) -> None:
    """reconcile_all finds the accounts with refused records in one query; an account among them
    is still asked about an order that filled meanwhile (not among its open orders)."""
    quiet = await tctx.trader()
    t = await tctx.trader()
    tctx.sandbox.admin.set_price(ETH, "3500")
    wrong = trading.new_client_order_id()
    await tctx.stored_intent(
        t, wrong, ETH, "3600", IntentStatus.NOT_PLACED, error_code="not_received", settle_attempts=1,
        settled_at=utcnow(),
    )
    placed = await tctx.connector.place_order(t.creds, request(wrong, "3600"))
    assert placed.status is PlacementStatus.PLACED
    assert await tctx.connector.open_orders(t.creds) == []  # it filled: only a lookup by id finds it
    assert await trading.reconcile_all(tctx.deps) == 1
    async with tctx.deps.sessions() as s:
        repaired = await OrderIntentRepo(s).by_client_id(t.user_id, t.account_id, wrong)
        assert await OrderIntentRepo(s).by_client_id(quiet.user_id, quiet.account_id, wrong) is None
    assert repaired is not None and repaired.status == "placed" and repaired.order_id


async def test_the_pass_leaves_a_workers_accounts_to_that_workers_own_pass(tctx: TCtx) -> None:
    """With mirrors spread over workers, the installation's pass skips the accounts a worker
    mirrors (this process's and another's); each worker reconciles its own (`here=True`)."""
    from perpdesk.services.trading.reconcile import reconcile_all

    here, there = await tctx.trader(), await tctx.trader()
    tctx.sandbox.admin.set_price(ETH, "3500")
    orphans = {}
    for t in (here, there):  # an order of ours at the exchange that perpdesk has no record of
        orphans[t.account_id] = trading.new_client_order_id()
        placed = await tctx.connector.place_order(t.creds, request(orphans[t.account_id], "2800"))
        assert placed.status is PlacementStatus.PLACED

    class Worker:
        def here(self) -> list[tuple[str, str]]:
            return [(here.user_id, here.account_id)]

        async def elsewhere(self, account_ids: list[str]) -> set[str]:
            return {there.account_id} & set(account_ids)

        def open_orders_of(self, user_id: str, account_id: str) -> None:
            return None  # no current mirror: the exchange is read

    async def adopted(t: object) -> bool:
        async with tctx.deps.sessions() as s:
            return await OrderIntentRepo(s).by_client_id(
                t.user_id, t.account_id, orphans[t.account_id]) is not None  # type: ignore[attr-defined]

    worker = Worker()
    await reconcile_all(tctx.deps, None, worker, worker)  # the installation's pass
    assert not await adopted(here) and not await adopted(there)
    assert await reconcile_all(tctx.deps, None, worker, worker, here=True) == 1  # this worker's own
    assert await adopted(here) and not await adopted(there)
    await reconcile_all(tctx.deps)  # no cluster: every account
    assert await adopted(there)
