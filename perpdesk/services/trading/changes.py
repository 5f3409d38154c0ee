"""Cancels, amends and TP/SL changes. An answer that never came back (the change may have been
applied) is written down as a lost change and decided by reading the exchange: the order's
state and price, or the position's TP/SL plan orders. Until the request's window has closed a
change not seen yet may still land, so it stays "being confirmed"; after it, what the exchange
shows is final. Nothing is ever sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from perpdesk.core.errors import ExchangeError, InputError, MaybeApplied
from perpdesk.core.instrument_rules import check_tick
from perpdesk.core.models import Credentials, Order, OrderState, PositionSide
from perpdesk.core.money import fmt
from perpdesk.exchanges.base import FuturesConnector
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.in_flight import TicketTerms
from perpdesk.services.trading.access import AccountRef, account_ref, tradable
from perpdesk.services.trading.commands import AmendCommand, TpSlCommand
from perpdesk.services.trading.intents import from_ms, hhmmss
from perpdesk.services.trading.ticket import instrument_in, symbol_of
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import ChangeKind, ChangeRecord, ChangeStatus

log = logging.getLogger(__name__)

OPEN_STATES = (OrderState.NEW, OrderState.PARTIALLY_FILLED)
BACKOFF_MAX = timedelta(seconds=30)  # an unknown outcome is never left unchecked longer


def backoff(attempts: int, base_s: float = 1.0) -> timedelta:
    """1, 2, 4, ... seconds after each unanswered look-up, at most BACKOFF_MAX."""
    return min(timedelta(seconds=base_s * 2 ** min(attempts, 16)), BACKOFF_MAX)


WHAT = {ChangeKind.CANCEL: "cancel", ChangeKind.AMEND: "change of the order", ChangeKind.TP_SL: "TP/SL"}


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What became of a cancel / amend / TP-SL change: applied, or being confirmed (with why)."""

    kind: ChangeKind
    status: ChangeStatus
    message: str
    next_step: str | None = None
    change_id: str | None = None
    decided_after: datetime | None = None

    @property
    def applied(self) -> bool:
        return self.status is ChangeStatus.APPLIED

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.change_id,
            "kind": self.kind.value,
            "status": self.status.value,
            "message": self.message,
            "next_step": self.next_step,
            "decided_after": self.decided_after.isoformat() if self.decided_after else None,
        }


def outcome(row: ChangeRecord) -> ChangeOutcome:
    kind, status = ChangeKind(row.kind), ChangeStatus(row.status)
    next_step = None
    if status is ChangeStatus.UNKNOWN:
        next_step = (
            f"Do not repeat it: perpdesk reads the exchange until {hhmmss(row.decided_after)} "
            "and shows whether it was applied."
        )
    elif status is ChangeStatus.NOT_APPLIED:
        next_step = "Repeat it if it is still wanted."
    return ChangeOutcome(kind, status, row.message or "", next_step, row.id, row.decided_after)


async def record_lost_change(
    deps: AccountsDeps, ref: AccountRef, connector: FuturesConnector, exc: MaybeApplied, **fields: object
) -> ChangeOutcome:
    kind = ChangeKind(str(fields["kind"]))
    now = utcnow()
    decided = from_ms(exc.decided_after_ms or connector.decided_after_ms())
    row = ChangeRecord(
        id=new_id(),
        user_id=ref.user_id,
        account_id=ref.id,
        status=ChangeStatus.UNKNOWN.value,
        settle_attempts=0,
        decided_after=decided,
        created_at=now,
        updated_at=now,
        message=f"The exchange did not answer the {WHAT[kind]}: it may have been applied. perpdesk "
        f"is reading the exchange to confirm it (final by {hhmmss(decided)}).",
        **fields,  # type: ignore[arg-type]  # the change's own columns, named by its senders
    )
    async with deps.trading_uow() as uow:
        await uow.orders.add_change(row)
        await uow.commit()
    log.info("%s on account %s: no answer, being confirmed (%s)", kind.value, ref.id, row.id)
    return outcome(row)


def _ids(order_id: str | None, client_order_id: str | None) -> dict[str, str | None]:
    if not (order_id or client_order_id):
        raise InputError("order_id", "no order given", "Give the order id or the client order id.")
    return {"order_id": order_id or None, "client_order_id": client_order_id or None}


async def _change(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    kind: ChangeKind,
    done: str,
    send: Callable[[FuturesConnector, Credentials], Awaitable[None]],
    **fields: object,
) -> ChangeOutcome:
    """Send a change; no answer: write it down (with `fields`) to be settled by reading the exchange."""
    ref, creds = await tradable(deps, user_id, account_id)
    connector = deps.connector_for(ref.venue)
    try:
        await send(connector, creds)
    except MaybeApplied as exc:
        return await record_lost_change(deps, ref, connector, exc, kind=kind.value, **fields)
    return ChangeOutcome(kind, ChangeStatus.APPLIED, done)


async def cancel_order(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    symbol: str,
    *,
    order_id: str | None = None,
    client_order_id: str | None = None,
) -> ChangeOutcome:
    ids = _ids(order_id, client_order_id)
    sym = symbol_of(symbol)
    return await _change(
        deps, user_id, account_id, ChangeKind.CANCEL, "Order cancelled.",
        lambda conn, creds: conn.cancel_order(creds, sym, **ids), symbol=sym, **ids,
    )


async def amend_order(deps: AccountsDeps, user_id: str, account_id: str, cmd: AmendCommand) -> ChangeOutcome:
    ids = _ids(cmd.order_id, cmd.client_order_id)
    sym, p, z = cmd.symbol, cmd.price, cmd.size
    return await _change(
        deps, user_id, account_id, ChangeKind.AMEND, "Order amended.",
        lambda conn, creds: conn.amend_order(creds, sym, **ids, price=p, size=z),
        symbol=sym, price=p, size=z, **ids,
    )


async def set_tp_sl(deps: AccountsDeps, user_id: str, account_id: str, cmd: TpSlCommand) -> ChangeOutcome:
    """Set the position's TP/SL; the same TP/SL while one is being sent (or its lost answer is
    being confirmed) is refused unless `cmd.confirm_duplicate`."""
    ref, creds = await tradable(deps, user_id, account_id)
    connector = deps.connector_for(ref.venue)
    inst = instrument_in(await connector.instruments(), cmd.symbol)
    pside, tp, sl = cmd.side, cmd.take_profit, cmd.stop_loss
    for name, price in (("take_profit", tp), ("stop_loss", sl)):
        if price is not None:
            check_tick(inst, price, name)
    terms = TicketTerms("tp_sl", inst.symbol, pside.value, None, None,
                        extra=(fmt(tp) if tp else "", fmt(sl) if sl else ""))
    claim = await deps.tickets.claim(
        deps.trading_uow, ref.user_id, ref.id, terms, None, confirmed=cmd.confirm_duplicate,
        hold_until=from_ms(connector.decided_after_ms()),
    )
    try:
        await connector.set_tp_sl(creds, inst.symbol, pside, take_profit=tp, stop_loss=sl)
    except MaybeApplied as exc:  # the claim stays until the exchange's window has closed
        return await record_lost_change(
            deps,
            ref,
            connector,
            exc,
            kind=ChangeKind.TP_SL.value,
            symbol=inst.symbol,
            side=pside.value,
            take_profit=tp,
            stop_loss=sl,
        )
    except BaseException:
        await deps.tickets.release(deps.trading_uow, claim)
        raise
    await deps.tickets.release(deps.trading_uow, claim)
    return ChangeOutcome(
        ChangeKind.TP_SL, ChangeStatus.APPLIED, "Take-profit / stop-loss set for the position."
    )


async def recent_changes(deps: AccountsDeps, user_id: str, account_id: str) -> list[ChangeOutcome]:
    """Changes whose answer was lost on this account, newest first, with what became of them."""
    ref = await account_ref(deps, user_id, account_id)  # ownership: another user's is 404
    async with deps.trading_uow() as uow:
        return [outcome(r) for r in await uow.orders.changes_for(user_id, ref.id)]


# --- settling -------------------------------------------------------------------------------------


async def _read(connector: FuturesConnector, creds: Credentials, row: ChangeRecord) -> tuple[str | None, str]:
    """(verdict, why) from the exchange's state now: "applied", "not_applied", or None (not yet)."""
    kind = ChangeKind(row.kind)
    if kind is ChangeKind.TP_SL:
        have = await connector.tp_sl_triggers(creds, row.symbol)
        side = PositionSide(row.side or "long")
        wanted = [(k, p) for k, p in (("take_profit", row.take_profit), ("stop_loss", row.stop_loss)) if p]
        if all((k, side, p) in have for k, p in wanted):
            return "applied", "Take-profit / stop-loss confirmed at the exchange."
        return None, "The exchange does not show the TP/SL."
    order: Order | None = await connector.get_order(
        creds,
        row.symbol,
        order_id=row.order_id,
        client_order_id=None if row.order_id else row.client_order_id,
    )
    ref = row.order_id or row.client_order_id
    if order is None:
        return "not_applied", f"The exchange has no order {ref}."
    if kind is ChangeKind.CANCEL:
        if order.state is OrderState.CANCELLED:
            return "applied", f"Order {ref} is cancelled."
        if order.state is OrderState.FILLED:
            return "not_applied", f"Order {ref} filled before the cancel reached it."
        return None, f"Order {ref} is still open."
    if order.state not in OPEN_STATES:
        return "not_applied", f"Order {ref} is no longer open ({order.state.value}): it was not changed."
    if (row.price is None or order.price == row.price) and (row.size is None or order.size == row.size):
        return "applied", f"Order {ref} now shows the new {_what_amended(row)}."
    return None, f"Order {ref} still shows its old {_what_amended(row)}."


def _what_amended(row: ChangeRecord) -> str:
    return " and ".join(w for w, v in (("price", row.price), ("size", row.size)) if v is not None)


def _settled(row: ChangeRecord, verdict: str | None, why: str, looked_at: datetime) -> ChangeRecord:
    """What a read of the exchange (`_read`'s verdict, or "no_answer") proves about a change."""
    now = utcnow()
    row = replace(row, settle_attempts=row.settle_attempts + 1, updated_at=now)
    past_window = row.decided_after is not None and looked_at >= row.decided_after
    if verdict == "no_answer":
        return replace(row, next_check_at=now + backoff(row.settle_attempts))
    if verdict == "applied" or (verdict == "not_applied" and ChangeKind(row.kind) is not ChangeKind.TP_SL):
        return replace(row, status=verdict, settled_at=now, message=why)
    if past_window:
        return replace(row, status=ChangeStatus.NOT_APPLIED.value, settled_at=now,
                       message=f"{why} The exchange's window has closed: the change was not applied.")
    return row


async def settle_changes(
    deps: AccountsDeps,
    ref: AccountRef,
    connector: FuturesConnector,
    creds: Credentials,
    respect_backoff: bool = True,
) -> list[ChangeOutcome]:
    async with deps.trading_uow() as uow:
        ids = [c.id for c in await uow.orders.unknown_changes(ref.user_id, ref.id)]
    out: list[ChangeOutcome] = []
    for change_id in ids:
        async with deps.trading_uow() as uow:
            row = await uow.orders.change(ref.user_id, change_id)
            waiting = row is not None and row.next_check_at is not None and row.next_check_at > utcnow()
            if row is None or (respect_backoff and waiting):
                continue
        looked_at = utcnow()
        try:
            verdict, why = await _read(connector, creds, row)
        except (ExchangeError, OSError, TimeoutError) as exc:
            verdict, why = "no_answer", type(exc).__name__
        async with deps.trading_uow() as uow:
            row = await uow.orders.change(ref.user_id, change_id)
            if row is None or row.status != ChangeStatus.UNKNOWN.value:
                continue
            row = await uow.orders.save_change(_settled(row, verdict, why, looked_at))
            await uow.commit()
        if row.status != ChangeStatus.UNKNOWN.value:
            log.info("%s %s settled: %s", row.kind, row.id, row.status)
        out.append(outcome(row))
    return out


__all__ = ["ChangeOutcome", "amend_order", "cancel_order", "recent_changes", "set_tp_sl", "settle_changes"]
