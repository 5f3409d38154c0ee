"""The order ticket: what the trader typed (numbers as strings), parsed and checked against the
contract's rules into an OrderRequest. A bad ticket is an InputError naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from perpdesk.core.decimal_input import parse_number
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
    def from_mapping(cls, values: Mapping[str, object]) -> OrderTicket:
        """From a form or a JSON object; each value is checked when the ticket is parsed."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in values.items() if k in names})  # type: ignore[arg-type]


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


def text_of(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, float):
        raise InputError(
            name, "numbers must be sent as exact decimal strings", f'Send {name} as a string, e.g. "1.5".'
        )
    return str(value).strip()


def decimal_of(name: str, value: object, label: str, *, required: bool) -> Decimal | None:
    raw = text_of(name, value)
    if not raw:
        if required:
            raise InputError(name, f"{label} is required", f"Enter the {label}.")
        return None
    return parse_number(raw, name, label, positive=True)


def word_of(name: str, value: object, words: Mapping[str, object], default: object, what: str) -> object:
    raw = text_of(name, value).lower()
    if not raw:
        return default
    if raw not in words:
        allowed = ", ".join(sorted({str(k) for k in words}))
        raise InputError(name, f"is not a valid {what}", f"Choose one of: {allowed}.")
    return words[raw]


def order_side(value: object) -> OrderSide:
    """The one order-side vocabulary of every ticket and command (buy/long, sell/short and the
    exchange's four sides), with one error text."""
    side = word_of("side", value, SIDE_WORDS, None, "side")
    if not isinstance(side, OrderSide):
        raise InputError("side", "no side chosen", "Choose Buy/Long or Sell/Short.")
    return side


def parse_decimal(values: Mapping[str, object], name: str, label: str, *, required: bool) -> Decimal | None:
    return decimal_of(name, values.get(name), label, required=required)


def choice(
    values: Mapping[str, object], name: str, words: Mapping[str, object], default: object, what: str
) -> object:
    return word_of(name, values.get(name), words, default, what)


def parse_ticket(
    ticket_in: OrderTicket | Mapping[str, object],
    instruments: list[Instrument],
    client_order_id: str | None = None,
) -> OrderRequest:
    """An order ticket (form or JSON; numbers as strings) → a checked OrderRequest."""
    t = ticket_in if isinstance(ticket_in, OrderTicket) else OrderTicket.from_mapping(ticket_in)
    symbol = text_of("symbol", t.symbol).upper()
    if not symbol:
        raise InputError("symbol", "no contract chosen", "Choose a perpetual contract, e.g. BTCUSDT.")
    inst = next((i for i in instruments if i.symbol == symbol), None)
    if inst is None:
        raise InputError(
            "symbol",
            "is not a perpetual contract of this exchange",
            "Choose a symbol from the list of the exchange's USDT perpetuals.",
        )
    side = order_side(t.side)
    otype = word_of("type", t.type, {o.value: o for o in OrderType}, OrderType.LIMIT, "order type")
    tif = word_of("time_in_force", t.time_in_force, TIF_WORDS, TimeInForce.GTC, "time in force")
    mode = word_of("margin_mode", t.margin_mode, {m.value: m for m in MarginMode}, None, "margin mode")
    assert isinstance(otype, OrderType) and isinstance(tif, TimeInForce)
    assert mode is None or isinstance(mode, MarginMode)
    price = decimal_of("price", t.price, "price", required=otype is OrderType.LIMIT)
    if otype is OrderType.MARKET:
        price = None  # a market order has no price; a stale value from the form is ignored
    size = decimal_of("size", t.size, "size (contracts)", required=True)
    assert size is not None
    req = OrderRequest(
        symbol=symbol,
        side=side,
        size=size,
        client_order_id=client_order_id or new_client_order_id(),
        type=otype,
        price=price,
        time_in_force=tif,
        leverage=decimal_of("leverage", t.leverage, "leverage", required=False),
        margin_mode=mode,
        take_profit=decimal_of("take_profit", t.take_profit, "take-profit price", required=False),
        stop_loss=decimal_of("stop_loss", t.stop_loss, "stop-loss price", required=False),
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
        raise InputError("side", "is not a position side", "Choose long or short.") from None


def instrument_in(instruments: list[Instrument], symbol: str) -> Instrument:
    sym = symbol_of(symbol)
    for inst in instruments:
        if inst.symbol == sym:
            return inst
    raise InputError(
        "symbol",
        "is not a perpetual contract of this exchange",
        "Choose a symbol from the exchange's USDT perpetuals.",
    )
