"""Use cases that send orders (place, close a position) and set leverage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from perpdesk.core.errors import Conflict, ExchangeUnavailable, InputError, MaybeApplied
from perpdesk.core.instrument_rules import check_leverage, check_order
from perpdesk.core.models import (
    Credentials,
    Instrument,
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderType,
    PositionSide,
)
from perpdesk.exchanges.base import FuturesConnector
from perpdesk.exchanges.registry import Venue
from perpdesk.services.account_access import known_venue
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading.access import tradable
from perpdesk.services.trading.intents import Placement, send
from perpdesk.services.trading.position_terms import check_position_terms
from perpdesk.services.trading.ticket import (
    OrderTicket,
    choice,
    instrument_in,
    new_client_order_id,
    parse_decimal,
    parse_ticket,
    position_side,
)
from perpdesk.store.order_records import IntentPurpose

if TYPE_CHECKING:
    from perpdesk.live.query import LiveQuery


async def instruments_for(deps: AccountsDeps, venue: Venue | None) -> list[Instrument]:
    """The contracts listed at an account's venue (`AccountRef.venue`, `AccountView.venue`)."""
    return sorted(await deps.connector_for(known_venue(venue)).instruments(), key=lambda i: i.symbol)


async def place_order(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    ticket: OrderTicket | Mapping[str, object],
    *,
    confirm_duplicate: bool = False,
    confirm_leverage: bool = False,
    live: LiveQuery | None = None,
) -> Placement:
    """Check the ticket, store the intent, send it. A rejection by the exchange is a Placement with
    status `rejected` and the exchange's reason; no answer is `unknown` (being confirmed); a bad
    ticket raises InputError; the same ticket while one is being sent or confirmed raises
    DuplicateTicket / OrderBeingConfirmed (unless `confirm_duplicate`); a ticket that would change
    the open position's leverage raises LeverageChange (unless `confirm_leverage`), its margin mode
    MarginModeChange."""
    ref, creds = await tradable(deps, user_id, account_id)
    req = parse_ticket(ticket, await instruments_for(deps, ref.venue))
    await check_position_terms(deps, ref, creds, req, live, confirmed=confirm_leverage)
    return await send(deps, ref, creds, req, IntentPurpose.ORDER, confirm_duplicate=confirm_duplicate)


async def place_request(deps: AccountsDeps, user_id: str, account_id: str, req: OrderRequest) -> Placement:
    """Place an already built OrderRequest (its client_order_id must be new for this account)."""
    ref, creds = await tradable(deps, user_id, account_id)
    check_order(instrument_in(await instruments_for(deps, ref.venue), req.symbol), req)
    return await send(deps, ref, creds, req, IntentPurpose.ORDER)


async def set_leverage(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, leverage: str, margin_mode: str
) -> None:
    ref, creds = await tradable(deps, user_id, account_id)
    connector = deps.connector_for(ref.venue)
    inst = instrument_in(await connector.instruments(), symbol)
    lev = parse_decimal({"leverage": leverage}, "leverage", "leverage", required=True)
    assert lev is not None
    mode = choice(
        {"margin_mode": margin_mode}, "margin_mode", {m.value: m for m in MarginMode}, None, "margin mode"
    )
    if not isinstance(mode, MarginMode):
        raise InputError("margin_mode", "no margin mode chosen", "Choose cross or isolated.")
    check_leverage(inst, lev)
    try:
        await connector.set_leverage(creds, inst.symbol, lev, mode)
    except MaybeApplied:
        # setting leverage is idempotent: a lost answer is settled by setting it once more
        try:
            await connector.set_leverage(creds, inst.symbol, lev, mode)
        except MaybeApplied as exc:
            raise ExchangeUnavailable(
                f"The exchange did not answer the leverage change for {inst.symbol} (twice): "
                "it may or may not be set.",
                next_step="Setting leverage is safe to repeat: submit it again in a moment.",
            ) from exc


def close_side(pside: PositionSide) -> OrderSide:
    return OrderSide.SELL_CLOSE_LONG if pside is PositionSide.LONG else OrderSide.BUY_CLOSE_SHORT


async def cancel_resting_closes(
    connector: FuturesConnector, creds: Credentials, symbol: str, pside: PositionSide
) -> int:
    """Cancel the open orders that close this position (they hold its contracts, so a close of the
    whole position would be refused while one rests); returns how many."""
    closing = close_side(pside)
    orders = await connector.open_orders(creds, symbol)
    resting = [o for o in orders if o.symbol == symbol and o.side is closing]
    for o in resting:
        try:
            await connector.cancel_order(creds, symbol, order_id=o.order_id)
        except MaybeApplied as exc:
            raise Conflict(
                f"The exchange did not answer the cancel of the resting close order {o.order_id}, so "
                f"the whole {pside.value} position in {symbol} could not be closed yet.",
                next_step="Cancel that order under Open orders (or wait until it shows cancelled), then "
                "close again.",
            ) from exc
    return len(resting)


async def close_position(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, side: str
) -> Placement:
    """A market order for the whole position, through an intent like any order (the connector's
    own close_position would pick its client id out of our sight). Resting close orders of the
    position are cancelled first."""
    ref, creds = await tradable(deps, user_id, account_id)
    # a listed contract before anything goes to the exchange (whose refusal could repeat the text)
    sym, pside = instrument_in(await instruments_for(deps, ref.venue), symbol).symbol, position_side(side)
    connector = deps.connector_for(ref.venue)
    await cancel_resting_closes(connector, creds, sym, pside)
    held = [p for p in await connector.positions(creds, sym) if p.symbol == sym and p.side is pside]
    if not held:
        raise InputError(
            "symbol",
            f"there is no open {pside.value} position in {sym}",
            "Reload the page: the position may be closed already.",
        )
    pos = held[0]
    req = OrderRequest(
        symbol=sym,
        side=close_side(pside),
        size=pos.size,
        client_order_id=new_client_order_id(),
        type=OrderType.MARKET,
        margin_mode=pos.margin_mode,
    )
    return await send(deps, ref, creds, req, IntentPurpose.CLOSE)
