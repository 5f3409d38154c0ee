"""The typed trading commands: parsed once from what the trader typed, each bad field named with
what to do, one side vocabulary for every ticket."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

import pytest

from perpdesk.core.errors import InputError
from perpdesk.core.models import Instrument, MarginMode, OrderSide, OrderType, PositionSide
from perpdesk.core.terminal import PriceType
from perpdesk.services.trading.commands import (
    parse_amend,
    parse_close,
    parse_move_trigger,
    parse_plan,
    parse_tp_sl,
    parse_trail,
)
from perpdesk.services.trading.ticket import parse_ticket

PLAN = {"symbol": "ethusdt", "side": "long", "size": "2", "trigger_price": "3400.5", "leverage": "5"}
TRAIL = {"symbol": "ETHUSDT", "side": "sell_close_long", "size": "1", "activation_price": "3600",
         "callback_rate": "1", "leverage": "5"}
TP_SL = {"symbol": "ETHUSDT", "side": "long", "take_profit": "3900"}
CLOSE = {"symbol": "ETHUSDT", "side": "short", "percent": "50"}
AMEND = {"symbol": "ETHUSDT", "order_id": "123", "price": "3100"}
MOVE = {"symbol": "ETHUSDT", "order_id": "9", "trigger_price": "3300"}

Parse = Callable[[Mapping[str, object]], object]


def test_a_plan_is_parsed_into_decimals_and_enums() -> None:
    cmd = parse_plan({**PLAN, "price": "3401", "margin_mode": "isolated", "price_type": "mark",
                      "trigger_direction": "falls", "confirm_duplicate": True})
    assert (cmd.symbol, cmd.side, cmd.size, cmd.trigger_price) == (
        "ETHUSDT", OrderSide.BUY_OPEN_LONG, Decimal(2), Decimal("3400.5"))
    assert (cmd.price, cmd.margin_mode, cmd.price_type, cmd.rising) == (
        Decimal(3401), MarginMode.ISOLATED, PriceType.MARK, False)
    assert cmd.confirm_duplicate and not cmd.confirm_leverage
    assert parse_plan(PLAN).rising is None and parse_plan(PLAN).margin_mode is MarginMode.CROSS


def test_every_order_side_word_means_the_same_in_every_command() -> None:
    inst = Instrument(symbol="ETHUSDT", base="ETH", quote="USDT", contract_size=Decimal("0.01"),
                      price_tick=Decimal("0.1"), size_step=Decimal(1), min_size=Decimal(1),
                      max_size=Decimal(10000), min_leverage=Decimal(1), max_leverage=Decimal(100))
    words = (("buy", OrderSide.BUY_OPEN_LONG), ("Long", OrderSide.BUY_OPEN_LONG),
             ("sell_short", OrderSide.SELL_OPEN_SHORT), ("buy_close_short", OrderSide.BUY_CLOSE_SHORT))
    for word, side in words:
        ticket = parse_ticket({"symbol": "ETHUSDT", "side": word, "size": "1", "price": "3000"}, [inst])
        assert parse_plan({**PLAN, "side": word}).side is side is ticket.side
        assert parse_trail({**TRAIL, "side": word}).side is side
    errors = []
    for parse, base in ((parse_plan, PLAN), (parse_trail, TRAIL)):
        with pytest.raises(InputError) as bad:
            parse({**base, "side": "upwards"})
        errors.append(bad.value.to_dict())
    with pytest.raises(InputError) as ticket_bad:
        parse_ticket({"symbol": "ETHUSDT", "side": "upwards", "size": "1", "price": "1"}, [inst])
    assert errors[0] == errors[1] == ticket_bad.value.to_dict()  # one vocabulary, one error text


@pytest.mark.parametrize(
    ("parse", "base", "field", "value"),
    [
        (parse_plan, PLAN, "symbol", ""),
        (parse_plan, PLAN, "side", ""),
        (parse_plan, PLAN, "size", "two"),
        (parse_plan, PLAN, "size", None),
        (parse_plan, PLAN, "trigger_price", "-1"),
        (parse_plan, PLAN, "leverage", 5.0),
        (parse_plan, PLAN, "price", "1e999"),
        (parse_plan, PLAN, "margin_mode", "portfolio"),
        (parse_plan, PLAN, "price_type", "index"),
        (parse_plan, PLAN, "trigger_direction", "sideways"),
        (parse_trail, TRAIL, "callback_rate", "-1"),
        (parse_trail, TRAIL, "activation_price", "NaN"),
        (parse_tp_sl, TP_SL, "side", "buy"),
        (parse_tp_sl, TP_SL, "take_profit", "x"),
        (parse_tp_sl, TP_SL, "stop_loss", "0"),
        (parse_trail, TRAIL, "side", "up"),
        (parse_trail, TRAIL, "size", "0"),
        (parse_close, CLOSE, "side", "flat"),
        (parse_close, CLOSE, "symbol", " "),
        (parse_amend, AMEND, "symbol", ""),
        (parse_close, CLOSE, "percent", "150"),
        (parse_close, CLOSE, "percent", "-5"),
        (parse_close, CLOSE, "type", "stop"),
        (parse_close, {**CLOSE, "type": "limit"}, "price", None),
        (parse_amend, AMEND, "price", "3,100"),
        (parse_amend, AMEND, "size", "0x10"),
        (parse_move_trigger, MOVE, "trigger_price", ""),
        (parse_move_trigger, MOVE, "order_id", ""),
    ],
)
def test_each_bad_field_is_named_with_what_to_do(
    parse: Parse, base: dict[str, object], field: str, value: object
) -> None:
    with pytest.raises(InputError) as bad:
        parse({**base, field: value})
    err = bad.value
    assert err.field == field
    assert err.next_step and err.next_step.rstrip().endswith(".")
    if isinstance(value, str) and len(value) > 1:
        assert value not in err.message and value not in err.next_step  # the value is never echoed


def test_a_change_needs_something_to_change() -> None:
    with pytest.raises(InputError) as nothing:
        parse_tp_sl({"symbol": "ETHUSDT", "side": "long"})
    assert nothing.value.field == "take_profit"
    assert "take-profit or a stop-loss" in (nothing.value.next_step or "")
    with pytest.raises(InputError) as no_change:
        parse_amend({"symbol": "ETHUSDT", "order_id": "1"})
    assert no_change.value.field == "price"
    with pytest.raises(InputError) as no_order:
        parse_amend({"symbol": "ETHUSDT", "price": "1"})
    assert no_order.value.field == "order_id"


def test_close_tp_sl_amend_and_move_are_typed() -> None:
    close = parse_close(CLOSE)
    assert (close.side, close.percent, close.type, close.price) == (
        PositionSide.SHORT, Decimal(50), OrderType.MARKET, None)
    assert parse_close({"symbol": "ETHUSDT", "side": "long"}).percent == Decimal(100)
    limit = parse_close({**CLOSE, "type": "limit", "price": "3000"})
    assert (limit.type, limit.price) == (OrderType.LIMIT, Decimal(3000))
    tp = parse_tp_sl({**TP_SL, "stop_loss": "3000"})
    assert (tp.side, tp.take_profit, tp.stop_loss) == (PositionSide.LONG, Decimal(3900), Decimal(3000))
    amend = parse_amend({"symbol": "ETHUSDT", "client_order_id": "pd1", "size": "3"})
    assert (amend.order_id, amend.client_order_id, amend.price, amend.size) == (None, "pd1", None, Decimal(3))
    assert parse_move_trigger(MOVE).trigger_price == Decimal(3300)
    trail = parse_trail(TRAIL)
    assert (trail.callback_rate, trail.activation_price) == (Decimal(1), Decimal(3600))
