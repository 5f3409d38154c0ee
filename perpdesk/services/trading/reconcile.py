"""Reconciliation: perpdesk's order log against the exchange, repaired and audited, never ignored.

- An open order at the exchange carrying perpdesk's client-id prefix with no record (e.g. sent by
  a process that stopped before writing its outcome, on a database restored from a backup) gets a
  record (`adopted`).
- A record the exchange contradicts (an order perpdesk settled as not placed or rejected that the
  exchange shows) is corrected to placed.
Each repair is an entry in the account's audit log.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Protocol

from perpdesk.core.background import ItemBackoff
from perpdesk.core.models import CLIENT_ID_PREFIX, AccountStatus, Order
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.pass_scope import PassScope, left_to_the_pass
from perpdesk.services.trading.access import AccountRef, load_account
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import IntentPurpose, IntentRecord, IntentStatus

log = logging.getLogger(__name__)

RECHECK_REFUSED = timedelta(hours=1)


class MirroredOrders(Protocol):
    """Open orders as a current live mirror in this process holds them (None: no such mirror)."""

    def open_orders_of(self, user_id: str, account_id: str) -> list[Order] | None: ...


class MirroredHere(MirroredOrders, PassScope, Protocol):
    """This process's mirrors: their open orders, and which accounts they are."""


def _ours(o: Order) -> bool:
    return (o.client_order_id or "").startswith(CLIENT_ID_PREFIX)


def _adopted(ref: AccountRef, o: Order) -> IntentRecord:
    now = utcnow()
    return IntentRecord(
        id=new_id(),
        user_id=ref.user_id,
        account_id=ref.id,
        exchange=ref.exchange,
        client_order_id=o.client_order_id or "",  # carries our prefix: never empty
        purpose=IntentPurpose.ADOPTED.value,
        symbol=o.symbol,
        side=o.side.value,
        type=o.type.value,
        time_in_force="gtc",
        size=o.size,
        price=o.price,
        leverage=o.leverage,
        margin_mode=o.margin_mode.value if o.margin_mode else None,
        status=IntentStatus.PLACED.value,
        order_id=o.order_id,
        settle_attempts=0,
        created_at=now,
        updated_at=now,
        settled_at=now,
    )


async def reconcile_account(
    deps: AccountsDeps, user_id: str, account_id: str, *, any_refused: bool = True,
    mirrored: MirroredOrders | None = None,
) -> int:
    """Repair one account's records from the exchange; returns the number of repairs.
    `any_refused=False`: the caller knows the account has no recently refused intent to check.
    `mirrored`: a current mirror that shows nothing of ours open settles it with no I/O at all (the
    mirror follows the exchange's pushes and reads it itself); anything of ours is read afresh."""
    if not any_refused and mirrored is not None:
        held = mirrored.open_orders_of(user_id, account_id)
        if held is not None and not any(_ours(o) for o in held):
            return 0
    ref, creds = await load_account(deps, user_id, account_id)
    connector = deps.connector_for(ref.venue)
    open_orders = [o for o in await connector.open_orders(creds) if _ours(o)]
    to_check: list[tuple[str, str]] = []
    if any_refused:
        async with deps.trading_uow() as uow:
            refused = await uow.orders.recently_refused(user_id, account_id, utcnow() - RECHECK_REFUSED)
            to_check = [(r.symbol, r.client_order_id) for r in refused]
    seen = {o.client_order_id: o for o in open_orders if o.client_order_id}
    for symbol, cid in to_check:
        if cid not in seen:
            found = await connector.get_order(creds, symbol, client_order_id=cid)
            if found is not None:
                seen[cid] = found
    if not seen:
        return 0  # nothing of ours open and nothing to recheck: no records to read or write
    repairs = 0
    async with deps.trading_uow() as uow:
        repo = uow.orders
        known = await repo.known_client_ids(ref.id, list(seen))
        for cid, order in seen.items():
            row = known.get(cid)
            if row is None:
                await repo.add(_adopted(ref, order))
                action, before = "order.adopted", None
            elif row.status in (IntentStatus.NOT_PLACED.value, IntentStatus.REJECTED.value):
                before = row.status
                await repo.save(replace(
                    row, status=IntentStatus.PLACED.value, order_id=order.order_id, updated_at=utcnow(),
                    error_code="repaired", error_message=f"The exchange shows it (was {before}).",
                ))
                action = "order.repaired"
            else:
                continue
            repairs += 1
            log.warning("reconcile: %s %s on account %s", action, cid, ref.id)
            await uow.audit.record(
                user_id=ref.user_id,
                action=action,
                account_id=ref.id,
                actor="system",
                detail={
                    "client_order_id": cid,
                    "order_id": order.order_id,
                    "symbol": order.symbol,
                    "was": before,
                },
            )
        await uow.commit()
    return repairs


async def reconcile_all(
    deps: AccountsDeps, accounts: ItemBackoff | None = None, mirrored: MirroredOrders | None = None,
    scope: PassScope | None = None, *, here: bool = False,
) -> int:
    """Every active account, each on its own: one that fails is left alone for a growing while by
    `accounts` and never stops the others. With live mirrors spread over workers (`scope`), the
    installation's pass leaves the accounts a worker mirrors to that worker, which does them with
    `here=True` from its mirrors (perpdesk/services/pass_scope.py)."""
    accounts = accounts or ItemBackoff("reconciling account", 0.0)
    async with deps.trading_uow() as uow:
        if here:
            pairs = scope.here() if scope is not None else []
        else:
            pairs = [(a.user_id, a.id) for a in await uow.accounts.with_status(AccountStatus.ACTIVE.value)]
        # one query for every account, instead of one transaction per account that finds nothing
        refused = await uow.orders.accounts_with_refused(utcnow() - RECHECK_REFUSED)
    if not here:
        pairs = await left_to_the_pass(scope, pairs)
    total = 0
    for user_id, account_id in pairs:
        if not accounts.due(account_id):
            continue
        try:
            total += await reconcile_account(deps, user_id, account_id, any_refused=account_id in refused,
                                             mirrored=mirrored)
        except Exception as exc:
            accounts.failed(account_id, exc)
            continue
        accounts.succeeded(account_id)
    return total
