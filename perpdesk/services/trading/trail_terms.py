"""A trailing stop's activation price and callback rate, from its stored intent.

Binance's open-algo-order list and query leave out a trailing stop's activatePrice and
callbackRate: only the placement's answer has them. What the process that placed the order saw
is no help to another process (a worker's mirror lists what a web process placed) nor after a
restart, so a listed trailing stop without its terms takes them from the trail intent written
before it was sent (the same database for every process): the intent recorded with the
exchange's id (algoId) on the same account, else the one written with its client id (Binance
keeps it, and the intent is written before the order is sent, so it is there before the order
can be listed). Terms the exchange does list are kept as they are; a trailing stop placed
elsewhere (the exchange's own site) has no intent and stays without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal

from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.services.trading.ports import TradingUnitOfWork

log = logging.getLogger(__name__)

Terms = tuple[Decimal, Decimal]  # activation price, callback rate (%)


def lacks_terms(p: PlanOrder) -> bool:
    return p.kind is PlanKind.TRAILING and (p.trigger_price <= 0 or p.callback_rate is None)


def with_terms(plans: Sequence[PlanOrder], terms: dict[str, Terms | None]) -> list[PlanOrder]:
    """The plans, each trailing stop without its terms given them from `terms` (by order id)."""
    out = []
    for p in plans:
        known = terms.get(p.order_id) if lacks_terms(p) else None
        if known is not None:
            activation, callback = known
            p = replace(p, trigger_price=p.trigger_price if p.trigger_price > 0 else activation,
                        callback_rate=p.callback_rate if p.callback_rate is not None else callback)
        out.append(p)
    return out


async def stored_terms(
    uow_factory: Callable[[], TradingUnitOfWork], user_id: str, account_id: str, plans: Sequence[PlanOrder]
) -> dict[str, Terms | None]:
    """The stored terms of the listed trailing stops that lack them, by order id (None: no intent
    of the account has them). No read when none lacks them."""
    wanting = [p for p in plans if lacks_terms(p)]
    if not wanting:
        return {}
    async with uow_factory() as uow:
        rows = await uow.orders.trails_by_ids(
            user_id, account_id, [p.order_id for p in wanting],
            [p.client_order_id for p in wanting if p.client_order_id],
        )
    by_order = {r.order_id: r for r in rows if r.order_id}
    by_client = {r.client_order_id: r for r in rows}
    out: dict[str, Terms | None] = {}
    for p in wanting:
        row = by_order.get(p.order_id) or (by_client.get(p.client_order_id) if p.client_order_id else None)
        if row is not None and row.trigger_price is not None and row.callback_rate is not None:
            out[p.order_id] = (row.trigger_price, row.callback_rate)
        else:
            out[p.order_id] = None
    return out


async def with_stored_terms(
    uow_factory: Callable[[], TradingUnitOfWork], user_id: str, account_id: str, plans: Sequence[PlanOrder]
) -> list[PlanOrder]:
    """The listed plans with the stored terms of the trailing stops the list gave without them."""
    return with_terms(plans, await stored_terms(uow_factory, user_id, account_id, plans))


class StoredTrailTerms:
    """One account's `with_stored_terms` for its live mirror, which lists the account's conditional
    orders on every push about them and every reconciliation: a Binance algo order cannot be
    modified, so the terms found for an order id (or that none is stored) are kept while the
    order is listed, and forgotten once it is not (bounded by the account's waiting orders). A
    failed read leaves the orders without their terms this time and is tried again next time.
    `gate` (shared by a worker's mirrors) bounds the reads at once: a cold start's first reads
    leave the connection pool to the rest."""

    def __init__(self, uow_factory: Callable[[], TradingUnitOfWork], user_id: str, account_id: str,
                 gate: asyncio.Semaphore | None = None) -> None:
        self.uow_factory = uow_factory
        self.user_id = user_id
        self.account_id = account_id
        self.gate = gate
        self.known: dict[str, Terms | None] = {}

    async def __call__(self, plans: list[PlanOrder]) -> list[PlanOrder]:
        unknown = [p for p in plans if lacks_terms(p) and p.order_id not in self.known]
        found: dict[str, Terms | None] = {}
        if unknown:
            try:
                async with self.gate or contextlib.nullcontext():
                    found = await stored_terms(self.uow_factory, self.user_id, self.account_id, unknown)
            except Exception as exc:  # the database: shown without them until the next read
                log.warning("trailing stop terms of account %s not read: %s", self.account_id,
                            type(exc).__name__)
        listed = {p.order_id for p in plans}
        self.known = {k: v for k, v in (self.known | found).items() if k in listed}
        return with_terms(plans, self.known)


__all__ = ["StoredTrailTerms", "lacks_terms", "stored_terms", "with_stored_terms", "with_terms"]
