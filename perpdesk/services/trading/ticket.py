"""The order ticket: what the trader typed (numbers as strings), parsed and checked against the
contract's rules into an OrderRequest. A bad ticket is an InputError naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from perpdesk.core.errors import InputError
from perpdesk.core.instrument_rules import check_order
from perpdesk.core.models import (
    CLIENT_ID_PREFIX,
    Instrument,
    MarginMode,
    OrderRequest,
    OrderSide,
    OrderType,
    PositionSide,
    TimeInForce,
    new_client_order_id,
)

__all__ = ["CLIENT_ID_PREFIX", "OrderTicket", "new_client_order_id", "parse_ticket"]


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
    check_order(inst, req)
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
