"""The order ticket: what the trader typed (numbers as strings), parsed and checked against the
contract's rules into an OrderRequest. A bad ticket is an InputError naming the field."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from perpdesk.core.errors import InputError
from perpdesk.core.models import (
    Instrument,
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderType,
    PositionSide,
    TimeInForce,
)
from perpdesk.core.money import fmt


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """An order as typed in the form or sent to the JSON API: every value a string (or None)."""

    symbol: str = ""
    side: str = ""
    type: str = "limit"
    size: str | None = None
    price: str | None = None
    time_in_force: str = "gtc"
    leverage: str | None = None
    margin_mode: str | None = None
    take_profit: str | None = None
    stop_loss: str | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> OrderTicket:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in form.items() if k in names})

    def fields(self) -> dict[str, object]:
        return asdict(self)


def new_client_order_id() -> str:
    """30 letters and digits: within BitMart's 1-31 [A-Za-z0-9] and unique enough to never collide."""
    return CLIENT_ID_PREFIX + uuid.uuid4().hex[:28]


CLIENT_ID_PREFIX = "pd"  # every order perpdesk sends carries it (reconciliation looks for it)


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
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InputError(
            name, f"{label} is not a number", f"Enter the {label} as a number like 1.5."
        ) from None
    if not value.is_finite() or value <= 0:
        raise InputError(name, f"{label} must be greater than zero", f"Enter a positive {label}.")
    return value


def choice(
    ticket: Mapping[str, object], name: str, words: Mapping[str, object], default: object, what: str
) -> object:
    raw = _text(ticket, name).lower()
    if not raw:
        return default
    if raw not in words:
        allowed = ", ".join(sorted({str(k) for k in words}))
        raise InputError(name, f"{raw!r} is not a valid {what}", f"Choose one of: {allowed}.")
    return words[raw]


def on_grid(value: Decimal, step: Decimal) -> bool:
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
    if not on_grid(req.size, inst.size_step):
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
        if price is not None and not on_grid(price, inst.price_tick):
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
    ticket_in: OrderTicket | Mapping[str, object],
    instruments: list[Instrument],
    client_order_id: str | None = None,
) -> OrderRequest:
    """An order ticket (form or JSON; numbers as strings) → a checked OrderRequest."""
    ticket = ticket_in.fields() if isinstance(ticket_in, OrderTicket) else ticket_in
    symbol = _text(ticket, "symbol").upper()
    if not symbol:
        raise InputError("symbol", "no contract chosen", "Choose a perpetual contract, e.g. BTCUSDT.")
    by_symbol = {i.symbol: i for i in instruments}
    inst = by_symbol.get(symbol)
    if inst is None:
        raise InputError(
            "symbol",
            f"{symbol!r} is not a perpetual contract of this exchange",
            "Choose a symbol from the list of the exchange's USDT perpetuals.",
        )
    side = choice(ticket, "side", SIDE_WORDS, None, "side")
    if side is None:
        raise InputError("side", "no side chosen", "Choose Buy/Long or Sell/Short.")
    otype = choice(ticket, "type", {t.value: t for t in OrderType}, OrderType.LIMIT, "order type")
    tif = choice(ticket, "time_in_force", TIF_WORDS, TimeInForce.GTC, "time in force")
    mode = choice(ticket, "margin_mode", {m.value: m for m in MarginMode}, None, "margin mode")
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


def symbol_of(symbol: str | None) -> str:
    text = (symbol or "").strip().upper()
    if not text:
        raise InputError("symbol", "no contract given", "Give the order's symbol, e.g. BTCUSDT.")
    return text


def position_side(side: str) -> PositionSide:
    raw = (side or "").strip().lower()
    try:
        return PositionSide(raw)
    except ValueError:
        raise InputError("side", f"{raw!r} is not a position side", "Choose long or short.") from None


def instrument_in(instruments: list[Instrument], symbol: str) -> Instrument:
    sym = symbol_of(symbol)
    for inst in instruments:
        if inst.symbol == sym:
            return inst
    raise InputError(
        "symbol",
        f"{sym!r} is not a perpetual contract of this exchange",
        "Choose a symbol from the exchange's USDT perpetuals.",
    )


def check_leverage(inst: Instrument, lev: Decimal) -> None:
    if not (inst.min_leverage <= lev <= inst.max_leverage):
        raise InputError(
            "leverage",
            f"{fmt(lev)}x is outside {inst.symbol}'s range "
            f"{fmt(inst.min_leverage)}x-{fmt(inst.max_leverage)}x",
            f"Choose a leverage between {fmt(inst.min_leverage)} and {fmt(inst.max_leverage)}.",
        )


def check_tick(inst: Instrument, name: str, price: Decimal) -> None:
    if not on_grid(price, inst.price_tick):
        raise InputError(
            name,
            f"{fmt(price)} is not on {inst.symbol}'s price tick of {fmt(inst.price_tick)}",
            f"Enter the price in steps of {fmt(inst.price_tick)}.",
        )
