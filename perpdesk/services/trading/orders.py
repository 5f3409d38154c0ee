"""Use cases that send orders (place, close a position) and set leverage."""

from __future__ import annotations

from collections.abc import Mapping

from perpdesk.core.errors import ExchangeUnavailable, InputError, MaybeApplied
from perpdesk.core.instrument_rules import check_leverage, check_order
from perpdesk.core.models import Instrument, MarginMode, OrderRequest, OrderSide, OrderType, PositionSide
from perpdesk.exchanges.registry import Venue
from perpdesk.services.account_access import known_venue
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading.access import tradable
from perpdesk.services.trading.intents import Placement, send
from perpdesk.services.trading.ticket import (
    OrderTicket,
    choice,
    instrument_in,
    new_client_order_id,
    parse_decimal,
    parse_ticket,
    position_side,
    symbol_of,
)
from perpdesk.store.orders import IntentPurpose


async def instruments_for(deps: AccountsDeps, venue: Venue | None) -> list[Instrument]:
    """The contracts listed at an account's venue (`AccountRef.venue`, `AccountView.venue`)."""
    return sorted(await deps.connector_for(known_venue(venue)).instruments(), key=lambda i: i.symbol)


async def place_order(
    deps: AccountsDeps, user_id: str, account_id: str, ticket: OrderTicket | Mapping[str, object]
) -> Placement:
    """Check the ticket, store the intent, send it. A rejection by the exchange is a Placement with
    status `rejected` and the exchange's reason; no answer is `unknown` (being confirmed); a bad
    ticket raises InputError; the same ticket while one is being confirmed raises OrderBeingConfirmed."""
    ref, creds = await tradable(deps, user_id, account_id)
    req = parse_ticket(ticket, await instruments_for(deps, ref.venue))
    return await send(deps, ref, creds, req, IntentPurpose.ORDER)


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


async def close_position(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, side: str
) -> Placement:
    """A market order for the whole position, through an intent like any order (the connector's
    own close_position would pick its client id out of our sight)."""
    ref, creds = await tradable(deps, user_id, account_id)
    sym, pside = symbol_of(symbol), position_side(side)
    connector = deps.connector_for(ref.venue)
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
        side=OrderSide.SELL_CLOSE_LONG if pside is PositionSide.LONG else OrderSide.BUY_CLOSE_SHORT,
        size=pos.size,
        client_order_id=new_client_order_id(),
        type=OrderType.MARKET,
        margin_mode=pos.margin_mode,
    )
    return await send(deps, ref, creds, req, IntentPurpose.CLOSE)
