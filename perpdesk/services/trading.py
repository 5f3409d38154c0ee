"""Trading a connected account: place / cancel / amend orders, leverage and margin mode, close a
position, TP/SL. Every call is scoped to the signed-in user's own account.

Orders follow the intent rule: the client order id is chosen and the order stored as an intent
BEFORE it is sent; the exchange's answer then settles it placed / rejected / unknown. An unknown
outcome is settled later by looking the client order id up at the exchange, never by resending.

Input is checked here against the contract's rules (tick, size step, limits, leverage range)
so a bad ticket gets an InputError naming the field, and nothing is sent or stored for it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from perpdesk.core.errors import (
    Conflict,
    ExchangeError,
    ExchangeUnavailable,
    InputError,
    NotFound,
    PerpdeskError,
)
from perpdesk.core.models import (
    AccountStatus,
    Credentials,
    Instrument,
    MarginMode,
    Order,
    OrderRequest,
    OrderResult,
    OrderSide,
    OrderType,
    PlacementStatus,
    PositionSide,
    TimeInForce,
)
from perpdesk.core.money import fmt
from perpdesk.core.numbers import parse_number
from perpdesk.exchanges.base import FuturesConnector
from perpdesk.services.accounts import open_credentials
from perpdesk.services.background import PeriodicTask
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.accounts import ExchangeAccount
from perpdesk.store.base import utcnow
from perpdesk.store.orders import IntentPurpose, IntentStatus, OrderIntent, OrderIntentRepo

log = logging.getLogger(__name__)

# An unknown/pending intent the exchange still does not know after this long never reached it.
SETTLE_GRACE = timedelta(seconds=30)


class AccountNotActive(Conflict):
    code = "account_not_active"


# --- the account, scoped to its owner ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: str
    user_id: str
    exchange: str
    label: str
    status: str

    @property
    def active(self) -> bool:
        return self.status == AccountStatus.ACTIVE.value


async def load_account(deps: AccountsDeps, user_id: str, account_id: str) -> tuple[AccountRef, Credentials]:
    """The user's own account and its credentials, opened through the accounts service's vault
    helper. Another user's account id is "not found", exactly like a missing one."""
    async with deps.sessions() as s:
        row = await s.scalar(
            select(ExchangeAccount).where(
                ExchangeAccount.id == account_id, ExchangeAccount.user_id == user_id
            )
        )
        if row is None:
            raise NotFound(
                "No such connected account.",
                next_step="Open Settings > Exchange Account API Keys to see your connected accounts.",
            )
        ref = AccountRef(row.id, row.user_id, row.exchange, row.label, row.status)
        creds = await open_credentials(deps, s, row)
    return ref, creds


async def _tradable(deps: AccountsDeps, user_id: str, account_id: str) -> tuple[AccountRef, Credentials]:
    ref, creds = await load_account(deps, user_id, account_id)
    if not ref.active:
        if ref.status == AccountStatus.AWAITING_WHITELIST.value:
            raise AccountNotActive(
                f"{ref.label} is waiting for BitMart to whitelist it for futures API trading.",
                next_step="Send BitMart's API Whitelist Request; perpdesk activates the account once lifted.",
            )
        raise AccountNotActive(
            f"{ref.label} needs attention before it can trade.",
            next_step="Open Settings > Exchange Account API Keys, Edit the account and check it again.",
        )
    return ref, creds


def new_client_order_id() -> str:
    """30 letters and digits: within BitMart's 1-31 [A-Za-z0-9] and unique enough to never collide."""
    return "pd" + uuid.uuid4().hex[:28]


# --- ticket parsing ---------------------------------------------------------------------------

SIDE_WORDS: dict[str, OrderSide] = {
    "buy": OrderSide.BUY_OPEN_LONG,
    "long": OrderSide.BUY_OPEN_LONG,
    "buy_long": OrderSide.BUY_OPEN_LONG,
    "sell": OrderSide.SELL_OPEN_SHORT,
    "short": OrderSide.SELL_OPEN_SHORT,
    "sell_short": OrderSide.SELL_OPEN_SHORT,
    **{s.value: s for s in OrderSide},
}
TIF_WORDS: dict[str, TimeInForce] = {
    **{t.value: t for t in TimeInForce},
    "postonly": TimeInForce.POST_ONLY,
    "post-only": TimeInForce.POST_ONLY,
    "maker_only": TimeInForce.POST_ONLY,
}


def _text(ticket: Mapping[str, object], name: str) -> str:
    value = ticket.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, float):
        raise InputError(
            name, "numbers must be sent as exact decimal strings", f'Send {name} as a string, e.g. "1.5".'
        )
    return str(value).strip()


def parse_decimal(ticket: Mapping[str, object], name: str, label: str, *, required: bool) -> Decimal | None:
    raw = _text(ticket, name)
    if not raw:
        if required:
            raise InputError(name, f"{label} is required", f"Enter the {label}.")
        return None
    return parse_number(raw, name, label, positive=True)


def _choice(
    ticket: Mapping[str, object], name: str, words: Mapping[str, object], default: object, what: str
) -> object:
    raw = _text(ticket, name).lower()
    if not raw:
        return default
    if raw not in words:
        allowed = ", ".join(sorted({str(k) for k in words}))
        raise InputError(name, f"is not a valid {what}", f"Choose one of: {allowed}.")
    return words[raw]


def _on_grid(value: Decimal, step: Decimal) -> bool:
    return step <= 0 or (value / step) == (value / step).to_integral_value()


def check_against(inst: Instrument, req: OrderRequest) -> None:
    """The contract's rules, as InputErrors naming the field (nothing is sent for a bad ticket)."""
    if req.size < inst.min_size:
        raise InputError(
            "size",
            f"{fmt(req.size)} contracts is below {inst.symbol}'s minimum of {fmt(inst.min_size)}",
            f"Order at least {fmt(inst.min_size)} contracts "
            f"(1 contract = {fmt(inst.contract_size)} {inst.base}).",
        )
    if req.size > inst.max_size:
        raise InputError(
            "size",
            f"{fmt(req.size)} contracts is above {inst.symbol}'s maximum of {fmt(inst.max_size)}",
            "Split the order or reduce the size.",
        )
    if not _on_grid(req.size, inst.size_step):
        raise InputError(
            "size",
            f"{fmt(req.size)} is not a multiple of {inst.symbol}'s size step {fmt(inst.size_step)}",
            f"Enter the size in steps of {fmt(inst.size_step)} contracts.",
        )
    for name, label, price in (
        ("price", "price", req.price),
        ("take_profit", "take-profit price", req.take_profit),
        ("stop_loss", "stop-loss price", req.stop_loss),
    ):
        if price is not None and not _on_grid(price, inst.price_tick):
            raise InputError(
                name,
                f"{fmt(price)} is not on {inst.symbol}'s price tick of {fmt(inst.price_tick)}",
                f"Enter the {label} in steps of {fmt(inst.price_tick)}.",
            )
    if req.leverage is not None and not (inst.min_leverage <= req.leverage <= inst.max_leverage):
        raise InputError(
            "leverage",
            f"{fmt(req.leverage)}x is outside {inst.symbol}'s range "
            f"{fmt(inst.min_leverage)}x-{fmt(inst.max_leverage)}x",
            f"Choose a leverage between {fmt(inst.min_leverage)} and {fmt(inst.max_leverage)}.",
        )
    if req.type is OrderType.MARKET and req.time_in_force is TimeInForce.POST_ONLY:
        raise InputError(
            "time_in_force",
            "a market order cannot be post-only",
            "Choose GTC, IOC or FOK for a market order, or make it a limit order.",
        )
    # TP/SL against a limit price only: a market order's reference (the cached last price) may
    # be stale, so there the exchange judges the trigger prices.
    ref = req.price
    if ref is None:
        return
    buying = req.side in (OrderSide.BUY_OPEN_LONG, OrderSide.BUY_CLOSE_SHORT)
    if req.take_profit is not None and (req.take_profit <= ref if buying else req.take_profit >= ref):
        raise InputError(
            "take_profit",
            f"a take-profit of {fmt(req.take_profit)} would trigger at once "
            f"against the order price {fmt(ref)}",
            "Set the take-profit above the price for a long, below it for a short.",
        )
    if req.stop_loss is not None and (req.stop_loss >= ref if buying else req.stop_loss <= ref):
        raise InputError(
            "stop_loss",
            f"a stop-loss of {fmt(req.stop_loss)} would trigger at once against the order price {fmt(ref)}",
            "Set the stop-loss below the price for a long, above it for a short.",
        )


def parse_ticket(
    ticket: Mapping[str, object], instruments: list[Instrument], client_order_id: str | None = None
) -> OrderRequest:
    """An order ticket (form or JSON; numbers as strings) → a checked OrderRequest."""
    symbol = _text(ticket, "symbol").upper()
    if not symbol:
        raise InputError("symbol", "no contract chosen", "Choose a perpetual contract, e.g. BTCUSDT.")
    by_symbol = {i.symbol: i for i in instruments}
    inst = by_symbol.get(symbol)
    if inst is None:
        raise InputError(
            "symbol",
            "is not a perpetual contract of this exchange",
            "Choose a symbol from the list of the exchange's USDT perpetuals.",
        )
    side = _choice(ticket, "side", SIDE_WORDS, None, "side")
    if side is None:
        raise InputError("side", "no side chosen", "Choose Buy/Long or Sell/Short.")
    otype = _choice(ticket, "type", {t.value: t for t in OrderType}, OrderType.LIMIT, "order type")
    tif = _choice(ticket, "time_in_force", TIF_WORDS, TimeInForce.GTC, "time in force")
    mode = _choice(ticket, "margin_mode", {m.value: m for m in MarginMode}, None, "margin mode")
    price = parse_decimal(ticket, "price", "price", required=otype is OrderType.LIMIT)
    if otype is OrderType.MARKET:
        price = None  # a market order has no price; a stale value from the form is ignored
    size = parse_decimal(ticket, "size", "size (contracts)", required=True)
    assert size is not None
    req = OrderRequest(
        symbol=symbol,
        side=side,  # type: ignore[arg-type]
        size=size,
        client_order_id=client_order_id or new_client_order_id(),
        type=otype,  # type: ignore[arg-type]
        price=price,
        time_in_force=tif,  # type: ignore[arg-type]
        leverage=parse_decimal(ticket, "leverage", "leverage", required=False),
        margin_mode=mode,  # type: ignore[arg-type]
        take_profit=parse_decimal(ticket, "take_profit", "take-profit price", required=False),
        stop_loss=parse_decimal(ticket, "stop_loss", "stop-loss price", required=False),
    )
    check_against(inst, req)
    return req


# --- placing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placement:
    """What became of one order: the intent's status, the exchange's id, or why it failed."""

    client_order_id: str
    status: str  # IntentStatus
    symbol: str
    side: str
    type: str
    size: Decimal
    price: Decimal | None
    order_id: str | None = None
    error: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.status == IntentStatus.PLACED.value

    def to_dict(self) -> dict[str, object]:
        return {
            "client_order_id": self.client_order_id,
            "status": self.status,
            "symbol": self.symbol,
            "side": self.side,
            "type": self.type,
            "size": fmt(self.size),
            "price": fmt(self.price) if self.price is not None else None,
            "order_id": self.order_id,
            "error": self.error,
        }


def _placement(row: OrderIntent) -> Placement:
    error = None
    if row.error_code or row.error_message:
        error = {"code": row.error_code or "error", "message": row.error_message or ""}
    return Placement(
        row.client_order_id,
        row.status,
        row.symbol,
        row.side,
        row.type,
        row.size,
        row.price,
        row.order_id,
        error,
    )


async def _record_intent(
    deps: AccountsDeps, ref: AccountRef, req: OrderRequest, purpose: IntentPurpose
) -> None:
    now = utcnow()
    async with deps.sessions() as s, s.begin():
        await OrderIntentRepo(s).add(
            OrderIntent(
                user_id=ref.user_id,
                account_id=ref.id,
                exchange=ref.exchange,
                client_order_id=req.client_order_id,
                purpose=purpose.value,
                symbol=req.symbol,
                side=req.side.value,
                type=req.type.value,
                time_in_force=req.time_in_force.value,
                size=req.size,
                price=req.price,
                leverage=req.leverage,
                margin_mode=req.margin_mode.value if req.margin_mode else None,
                take_profit=req.take_profit,
                stop_loss=req.stop_loss,
                status=IntentStatus.PENDING.value,
                settle_attempts=0,
                created_at=now,
                updated_at=now,
            )
        )


async def _record_outcome(deps: AccountsDeps, ref: AccountRef, cid: str, result: OrderResult) -> Placement:
    async with deps.sessions() as s, s.begin():
        row = await OrderIntentRepo(s).by_client_id(ref.user_id, ref.id, cid)
        if row is None:  # the account was disconnected meanwhile (cascade): nothing left to record
            raise NotFound("The account was disconnected while the order was sent.")
        now = utcnow()
        row.status = result.status.value
        row.order_id = result.order_id
        row.updated_at = now
        if result.status is not PlacementStatus.UNKNOWN:
            row.settled_at = now
        if result.error is not None:
            row.error_code = result.error.code[:64]
            row.error_message = result.error.message[:500]
        return _placement(row)


async def _send(
    deps: AccountsDeps, ref: AccountRef, creds: Credentials, req: OrderRequest, purpose: IntentPurpose
) -> Placement:
    """Intent first, then the exchange; the intent records whatever came back."""
    await _record_intent(deps, ref, req, purpose)
    connector = deps.connector_for(ref.exchange)
    try:
        result = await connector.place_order(creds, req)
    except (ExchangeError, OSError, TimeoutError) as exc:
        # The connector settles timeouts itself; anything escaping it leaves the outcome open.
        err = (
            exc
            if isinstance(exc, ExchangeError)
            else ExchangeUnavailable(f"The exchange did not answer ({type(exc).__name__}).")
        )
        result = OrderResult(PlacementStatus.UNKNOWN, req.client_order_id, error=err)
    placement = await _record_outcome(deps, ref, req.client_order_id, result)
    log.info("order %s on account %s: %s", req.client_order_id, ref.id, placement.status)
    return placement


async def instruments_for(deps: AccountsDeps, exchange: str) -> list[Instrument]:
    return sorted(await deps.connector_for(exchange).instruments(), key=lambda i: i.symbol)


async def place_order(
    deps: AccountsDeps, user_id: str, account_id: str, ticket: Mapping[str, object]
) -> Placement:
    """Check the ticket, store the intent, send it. A rejection by the exchange is a Placement with
    status `rejected` and the exchange's reason (the intent keeps it); a bad ticket raises InputError."""
    ref, creds = await _tradable(deps, user_id, account_id)
    req = parse_ticket(ticket, await instruments_for(deps, ref.exchange))
    return await _send(deps, ref, creds, req, IntentPurpose.ORDER)


async def place_request(deps: AccountsDeps, user_id: str, account_id: str, req: OrderRequest) -> Placement:
    """Place an already built OrderRequest (its client_order_id must be new for this account)."""
    ref, creds = await _tradable(deps, user_id, account_id)
    insts = await instruments_for(deps, ref.exchange)
    inst = next((i for i in insts if i.symbol == req.symbol), None)
    if inst is None:
        raise InputError(
            "symbol",
            "is not a perpetual contract of this exchange",
            "Choose a symbol from the exchange's USDT perpetuals.",
        )
    check_against(inst, req)
    async with deps.sessions() as s:
        if await OrderIntentRepo(s).by_client_id(user_id, account_id, req.client_order_id) is not None:
            raise Conflict(
                f"An order with client order id {req.client_order_id} was already sent.",
                next_step="Never resend: look the order up with its client order id instead.",
            )
    return await _send(deps, ref, creds, req, IntentPurpose.ORDER)


async def settle_unknown(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    *,
    grace: timedelta = SETTLE_GRACE,
    now: datetime | None = None,
) -> list[Placement]:
    """Settle unknown (and crash-left pending) intents by asking the exchange for their client
    order id. Found: placed. Not found once `grace` has passed since sending: rejected (it never
    reached the exchange). Exchange unreachable: stays unknown for the next try. Never resends."""
    ref, creds = await load_account(deps, user_id, account_id)
    async with deps.sessions() as s:
        rows = await OrderIntentRepo(s).unsettled(user_id, account_id)
        todo = [(r.client_order_id, r.symbol, r.created_at) for r in rows]
    connector = deps.connector_for(ref.exchange)
    now = now or utcnow()
    out: list[Placement] = []
    for cid, symbol, created in todo:
        found: Order | None = None
        answered = True
        try:
            found = await connector.get_order(creds, symbol, client_order_id=cid)
        except (ExchangeError, OSError, TimeoutError) as exc:
            log.info("settling %s: the exchange did not answer (%s)", cid, type(exc).__name__)
            answered = False
        async with deps.sessions() as s, s.begin():
            row = await OrderIntentRepo(s).by_client_id(user_id, account_id, cid)
            if row is None or row.status not in (IntentStatus.UNKNOWN.value, IntentStatus.PENDING.value):
                continue  # settled meanwhile by someone else
            row.settle_attempts += 1
            row.updated_at = utcnow()
            if found is not None:
                row.status, row.order_id, row.settled_at = (
                    IntentStatus.PLACED.value,
                    found.order_id,
                    row.updated_at,
                )
                row.error_code = row.error_message = None
            elif answered and now - created >= grace:
                row.status, row.settled_at = IntentStatus.REJECTED.value, row.updated_at
                row.error_code = "not_received"
                row.error_message = f"The exchange has no order {cid}: it never reached the exchange."
            out.append(_placement(row))
    return out


async def settle_due(deps: AccountsDeps, *, min_age: timedelta = timedelta(seconds=5)) -> int:
    """One pass over every account holding unsettled intents at least `min_age` old (younger ones
    are probably still being sent). Returns how many intents reached a final outcome."""
    async with deps.sessions() as s:
        pairs = await OrderIntentRepo(s).accounts_with_unsettled(utcnow() - min_age)
    final = 0
    for user_id, account_id in pairs:
        try:
            done = await settle_unknown(deps, user_id, account_id)
        except PerpdeskError as exc:  # e.g. the account was disconnected meanwhile
            log.info("settling account %s skipped: %s", account_id, exc.code)
            continue
        final += sum(1 for p in done if p.status in (IntentStatus.PLACED.value, IntentStatus.REJECTED.value))
    return final


class IntentSettler(PeriodicTask):
    """Background task: settles unknown order outcomes by client order id, every `interval_s`."""

    name = "perpdesk-intent-settler"

    def __init__(self, deps: AccountsDeps, interval_s: float = 15.0) -> None:
        super().__init__()
        self.deps = deps
        self._interval_s = interval_s

    async def run_pass(self) -> int:
        return await settle_due(self.deps)

    def interval_s(self) -> float:
        return self._interval_s


# --- orders -----------------------------------------------------------------------------------


def _ids(order_id: str | None, client_order_id: str | None) -> None:
    if not (order_id or client_order_id):
        raise InputError("order_id", "no order given", "Give the order id or the client order id.")


def _symbol(symbol: str | None) -> str:
    text = (symbol or "").strip().upper()
    if not text:
        raise InputError("symbol", "no contract given", "Give the order's symbol, e.g. BTCUSDT.")
    return text


async def cancel_order(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    symbol: str,
    *,
    order_id: str | None = None,
    client_order_id: str | None = None,
) -> None:
    _ids(order_id, client_order_id)
    ref, creds = await _tradable(deps, user_id, account_id)
    await deps.connector_for(ref.exchange).cancel_order(
        creds, _symbol(symbol), order_id=order_id or None, client_order_id=client_order_id or None
    )


async def amend_order(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    symbol: str,
    *,
    order_id: str | None = None,
    client_order_id: str | None = None,
    price: str | None = None,
    size: str | None = None,
) -> None:
    _ids(order_id, client_order_id)
    ref, creds = await _tradable(deps, user_id, account_id)
    new = {"price": price, "size": size}
    p = parse_decimal(new, "price", "price", required=False)
    z = parse_decimal(new, "size", "size (contracts)", required=False)
    if p is None and z is None:
        raise InputError("price", "nothing to change", "Give a new price or a new size (or both).")
    await deps.connector_for(ref.exchange).amend_order(
        creds,
        _symbol(symbol),
        order_id=order_id or None,
        client_order_id=client_order_id or None,
        price=p,
        size=z,
    )


# --- leverage, TP/SL, close -------------------------------------------------------------------


async def _instrument(connector: FuturesConnector, symbol: str) -> Instrument:
    sym = _symbol(symbol)
    for inst in await connector.instruments():
        if inst.symbol == sym:
            return inst
    raise InputError(
        "symbol",
        "is not a perpetual contract of this exchange",
        "Choose a symbol from the exchange's USDT perpetuals.",
    )


async def set_leverage(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, leverage: str, margin_mode: str
) -> None:
    ref, creds = await _tradable(deps, user_id, account_id)
    connector = deps.connector_for(ref.exchange)
    inst = await _instrument(connector, symbol)
    lev = parse_decimal({"leverage": leverage}, "leverage", "leverage", required=True)
    assert lev is not None
    mode = _choice(
        {"margin_mode": margin_mode}, "margin_mode", {m.value: m for m in MarginMode}, None, "margin mode"
    )
    if mode is None:
        raise InputError("margin_mode", "no margin mode chosen", "Choose cross or isolated.")
    if not (inst.min_leverage <= lev <= inst.max_leverage):
        raise InputError(
            "leverage",
            f"{fmt(lev)}x is outside {inst.symbol}'s range "
            f"{fmt(inst.min_leverage)}x-{fmt(inst.max_leverage)}x",
            f"Choose a leverage between {fmt(inst.min_leverage)} and {fmt(inst.max_leverage)}.",
        )
    await connector.set_leverage(creds, inst.symbol, lev, mode)  # type: ignore[arg-type]


def _position_side(side: str) -> PositionSide:
    raw = (side or "").strip().lower()
    try:
        return PositionSide(raw)
    except ValueError:
        raise InputError("side", "is not a position side", "Choose long or short.") from None


async def set_tp_sl(
    deps: AccountsDeps,
    user_id: str,
    account_id: str,
    symbol: str,
    side: str,
    *,
    take_profit: str | None = None,
    stop_loss: str | None = None,
) -> None:
    ref, creds = await _tradable(deps, user_id, account_id)
    connector = deps.connector_for(ref.exchange)
    inst = await _instrument(connector, symbol)
    pside = _position_side(side)
    values = {"take_profit": take_profit, "stop_loss": stop_loss}
    tp = parse_decimal(values, "take_profit", "take-profit price", required=False)
    sl = parse_decimal(values, "stop_loss", "stop-loss price", required=False)
    if tp is None and sl is None:
        raise InputError(
            "take_profit", "nothing to set", "Give a take-profit or a stop-loss price (or both)."
        )
    for name, price in (("take_profit", tp), ("stop_loss", sl)):
        if price is not None and not _on_grid(price, inst.price_tick):
            raise InputError(
                name,
                f"{fmt(price)} is not on {inst.symbol}'s price tick of {fmt(inst.price_tick)}",
                f"Enter the price in steps of {fmt(inst.price_tick)}.",
            )
    await connector.set_tp_sl(creds, inst.symbol, pside, take_profit=tp, stop_loss=sl)


async def close_position(
    deps: AccountsDeps, user_id: str, account_id: str, symbol: str, side: str
) -> Placement:
    """A market order for the whole position, through an intent like any order (the connector's
    own close_position would pick its client id out of our sight)."""
    ref, creds = await _tradable(deps, user_id, account_id)
    sym, pside = _symbol(symbol), _position_side(side)
    connector = deps.connector_for(ref.exchange)
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
    return await _send(deps, ref, creds, req, IntentPurpose.CLOSE)


__all__ = [
    "AccountNotActive",
    "AccountRef",
    "IntentSettler",
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
    "set_leverage",
    "set_tp_sl",
    "settle_due",
    "settle_unknown",
]
