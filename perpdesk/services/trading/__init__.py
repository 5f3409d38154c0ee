"""Trading a connected account: place / cancel / amend orders, leverage, close a position, TP/SL.
Every call is scoped to the signed-in user's own account.

- access.py: the account and its credentials; ticket.py: the order ticket, parsed and checked;
- commands.py: the typed trigger, trailing, TP/SL, close and amend commands, parsed once;
- intents.py: orders written down before they are sent, and their outcome (Placement);
- conditional.py: trigger and trailing orders as intents, matched at the exchange by their terms;
- ports.py: the unit of work and repositories these use cases need, as Protocols;
- orders.py: place, close, leverage; position_terms.py: the ticket against the open position;
- changes.py: cancel, amend, TP/SL (lost answers recorded);
- settle.py: the background settler of unknown outcomes; reconcile.py: records vs the exchange.
"""

from __future__ import annotations

from perpdesk.services.trading.access import AccountNotActive, AccountRef, load_account
from perpdesk.services.trading.changes import (
    ChangeOutcome,
    amend_order,
    cancel_order,
    recent_changes,
    set_tp_sl,
)
from perpdesk.services.trading.intents import OrderBeingConfirmed, Placement
from perpdesk.services.trading.orders import (
    close_position,
    instruments_for,
    place_order,
    place_request,
    set_leverage,
)
from perpdesk.services.trading.reconcile import reconcile_account, reconcile_all
from perpdesk.services.trading.settle import IntentSettler, settle_due, settle_unknown
from perpdesk.services.trading.ticket import OrderTicket, new_client_order_id, parse_ticket

__all__ = [
    "AccountNotActive",
    "AccountRef",
    "ChangeOutcome",
    "IntentSettler",
    "OrderBeingConfirmed",
    "OrderTicket",
    "Placement",
    "amend_order",
    "cancel_order",
    "close_position",
    "instruments_for",
    "load_account",
    "new_client_order_id",
    "parse_ticket",
    "place_order",
    "place_request",
    "recent_changes",
    "reconcile_account",
    "reconcile_all",
    "set_leverage",
    "set_tp_sl",
    "settle_due",
    "settle_unknown",
]
