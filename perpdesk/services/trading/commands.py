"""Typed trading commands beside the order ticket: trigger (plan), trailing stop, TP/SL, close by
percent, amend, moving a TP/SL's trigger. The API, the pages and the CLI parse what the trader
typed ONCE into one of these (numbers through the one number parser, sides through the one side
vocabulary of ticket.py); the services take them and never read a Mapping.

What needs the contract's rules (price tick, size step) is checked by the service, which reads the
instruments; everything else is checked here, each error naming its field and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from perpdesk.core.errors import InputError
from perpdesk.core.models import MarginMode, OrderSide, OrderType, PositionSide
from perpdesk.core.terminal import PriceType
from perpdesk.services.trading.ticket import decimal_of, order_side, position_side, text_of, word_of

MARGIN_WORDS: dict[str, MarginMode] = {m.value: m for m in MarginMode}
PRICE_TYPE_WORDS: dict[str, PriceType] = {p.value: p for p in PriceType}
DIRECTION_WORDS: dict[str, bool] = {"rises": True, "up": True, "falls": False, "down": False}
CLOSE_TYPE_WORDS: dict[str, OrderType] = {"market": OrderType.MARKET, "limit": OrderType.LIMIT}


def _number(values: Mapping[str, object], name: str, label: str) -> Decimal:
    value = decimal_of(name, values.get(name), label, required=True)
    assert value is not None
    return value


def _optional(values: Mapping[str, object], name: str, label: str) -> Decimal | None:
    return decimal_of(name, values.get(name), label, required=False)


def _symbol(values: Mapping[str, object]) -> str:
    symbol = text_of("symbol", values.get("symbol")).upper()
    if not symbol:
        raise InputError("symbol", "no contract given", "Give the order's symbol, e.g. BTCUSDT.")
    return symbol


def _choice(values: Mapping[str, object], name: str, words: Mapping[str, object], default: object,
            what: str) -> object:
    return word_of(name, values.get(name), words, default, what)


def _flag(values: Mapping[str, object], name: str) -> bool:
    return values.get(name) is True


@dataclass(frozen=True, slots=True)
class PlanCommand:
    """A trigger order: when the price rises/falls to `trigger_price`, a limit (`price`) or a
    market order is placed. `rising` None: from the side of the last price the trigger is on."""

    symbol: str
    side: OrderSide
    size: Decimal
    trigger_price: Decimal
    leverage: Decimal
    margin_mode: MarginMode = MarginMode.CROSS
    price: Decimal | None = None
    price_type: PriceType = PriceType.LAST
    rising: bool | None = None
    confirm_duplicate: bool = False
    confirm_leverage: bool = False


@dataclass(frozen=True, slots=True)
class TrailCommand:
    """A trailing stop: activates at `activation_price`, fires `callback_rate` % off the best price."""

    symbol: str
    side: OrderSide
    size: Decimal
    activation_price: Decimal
    callback_rate: Decimal
    leverage: Decimal
    margin_mode: MarginMode = MarginMode.CROSS
    price_type: PriceType = PriceType.LAST
    confirm_duplicate: bool = False
    confirm_leverage: bool = False


@dataclass(frozen=True, slots=True)
class TpSlCommand:
    """A position's take-profit and/or stop-loss (at least one)."""

    symbol: str
    side: PositionSide
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    confirm_duplicate: bool = False


@dataclass(frozen=True, slots=True)
class CloseCommand:
    """Close `percent` of a position by a market order, or a limit order at `price`."""

    symbol: str
    side: PositionSide
    percent: Decimal = Decimal(100)
    type: OrderType = OrderType.MARKET
    price: Decimal | None = None
    confirm_duplicate: bool = False


@dataclass(frozen=True, slots=True)
class AmendCommand:
    """A resting order's new price and/or size, by its order id or client order id."""

    symbol: str
    order_id: str | None
    client_order_id: str | None
    price: Decimal | None = None
    size: Decimal | None = None


@dataclass(frozen=True, slots=True)
class MoveTriggerCommand:
    """A waiting TP/SL order's new trigger price."""

    symbol: str
    order_id: str
    trigger_price: Decimal


def parse_plan(values: Mapping[str, object]) -> PlanCommand:
    rising = _choice(values, "trigger_direction", DIRECTION_WORDS, None, "trigger direction")
    return PlanCommand(
        symbol=_symbol(values),
        side=order_side(values.get("side")),
        size=_number(values, "size", "size (contracts)"),
        trigger_price=_number(values, "trigger_price", "trigger price"),
        leverage=_number(values, "leverage", "leverage"),
        margin_mode=_margin(values),
        price=_optional(values, "price", "limit price"),
        price_type=_price_type(values),
        rising=rising if isinstance(rising, bool) else None,
        confirm_duplicate=_flag(values, "confirm_duplicate"),
        confirm_leverage=_flag(values, "confirm_leverage"),
    )


def parse_trail(values: Mapping[str, object]) -> TrailCommand:
    rate = _number(values, "callback_rate", "callback rate (%)")  # its range is the exchange's
    return TrailCommand(
        symbol=_symbol(values),
        side=order_side(values.get("side")),
        size=_number(values, "size", "size (contracts)"),
        activation_price=_number(values, "activation_price", "activation price"),
        callback_rate=rate,
        leverage=_number(values, "leverage", "leverage"),
        margin_mode=_margin(values),
        price_type=_price_type(values),
        confirm_duplicate=_flag(values, "confirm_duplicate"),
        confirm_leverage=_flag(values, "confirm_leverage"),
    )


def parse_tp_sl(values: Mapping[str, object]) -> TpSlCommand:
    symbol = _symbol(values)
    side = position_side(text_of("side", values.get("side")))
    tp = _optional(values, "take_profit", "take-profit price")
    sl = _optional(values, "stop_loss", "stop-loss price")
    if tp is None and sl is None:
        raise InputError(
            "take_profit", "nothing to set", "Give a take-profit or a stop-loss price (or both)."
        )
    return TpSlCommand(symbol, side, tp, sl, _flag(values, "confirm_duplicate"))


def parse_close(values: Mapping[str, object]) -> CloseCommand:
    symbol = _symbol(values)
    side = position_side(text_of("side", values.get("side")))
    raw_pct = values.get("percent")
    pct = Decimal(100) if raw_pct is None or raw_pct == "" else _number(values, "percent", "percent")
    if pct > 100:
        raise InputError("percent", "is more than the whole position (100 %)", "Enter 1 to 100.")
    otype = _choice(values, "type", CLOSE_TYPE_WORDS, OrderType.MARKET, "order type")
    assert isinstance(otype, OrderType)
    price = _number(values, "price", "limit price") if otype is OrderType.LIMIT else None
    return CloseCommand(symbol, side, pct, otype, price, _flag(values, "confirm_duplicate"))


def parse_amend(values: Mapping[str, object]) -> AmendCommand:
    symbol = _symbol(values)
    order_id = text_of("order_id", values.get("order_id")) or None
    client_order_id = text_of("client_order_id", values.get("client_order_id")) or None
    if not (order_id or client_order_id):
        raise InputError("order_id", "no order given", "Give the order id or the client order id.")
    price = _optional(values, "price", "price")
    size = _optional(values, "size", "size (contracts)")
    if price is None and size is None:
        raise InputError("price", "nothing to change", "Give a new price or a new size (or both).")
    return AmendCommand(symbol, order_id, client_order_id, price, size)


def parse_move_trigger(values: Mapping[str, object]) -> MoveTriggerCommand:
    symbol = _symbol(values)
    order_id = text_of("order_id", values.get("order_id"))
    if not order_id:
        raise InputError("order_id", "no order given", "Give the TP/SL order's id.")
    return MoveTriggerCommand(symbol, order_id, _number(values, "trigger_price", "trigger price"))


def _margin(values: Mapping[str, object]) -> MarginMode:
    mode = _choice(values, "margin_mode", MARGIN_WORDS, MarginMode.CROSS, "margin mode")
    assert isinstance(mode, MarginMode)
    return mode


def _price_type(values: Mapping[str, object]) -> PriceType:
    kind = _choice(values, "price_type", PRICE_TYPE_WORDS, PriceType.LAST, "price type")
    assert isinstance(kind, PriceType)
    return kind


__all__ = [
    "AmendCommand",
    "CloseCommand",
    "MoveTriggerCommand",
    "PlanCommand",
    "TpSlCommand",
    "TrailCommand",
    "order_side",
    "parse_amend",
    "parse_close",
    "parse_move_trigger",
    "parse_plan",
    "parse_tp_sl",
    "parse_trail",
]
