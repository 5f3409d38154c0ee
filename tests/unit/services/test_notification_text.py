"""Notification texts show numbers as traders read them: money grouped with 2 decimals, prices at
the contract's tick (else their own decimals), sizes exact."""

from __future__ import annotations

from decimal import Decimal as D

from perpdesk.core.number_text import money_text, price_text
from perpdesk.live.triggers import describe
from perpdesk.services.notification_text import fill_text, liquidation_text


def test_a_fill_reads_with_grouped_money_and_the_price_at_its_tick() -> None:
    title, body = fill_text("Main", "buy_open_long", D("2.500"), "ETHUSDT", D("3512.5"),
                            D("1204.004"), D("-0.3512"), D("0.01"))
    assert title == "Main: buy open long 2.5 ETHUSDT at 3,512.50"
    assert body == "Realised PnL 1,204.00 USDT, fee -0.35 USDT."


def test_a_fill_without_a_known_tick_keeps_the_prices_own_decimals() -> None:
    title, _ = fill_text("Main", "sell_close_short", "10", "BTCUSDT", "104250.37", "0", "0", None)
    assert title.endswith("at 104,250.37")


def test_the_liquidation_warning_shows_prices_at_the_tick() -> None:
    title, body = liquidation_text("Main", "BTCUSDT", "long", D("4.87"), D("104250.3"), D("99173.1"),
                                   D(5), D("0.1"))
    assert title == "Main: BTCUSDT long is 4.87% from liquidation"
    assert body.startswith("Mark 104,250.3, liquidation price 99,173.1; your threshold is 5%.")


def test_a_trigger_text_shows_its_prices_at_the_tick() -> None:
    event = {"name": "Stop loss", "kind": "stop_loss", "symbol": "ETHUSDT", "position_side": "long",
             "price": "3400", "order_id": "o1", "order_side": "sell_close_long", "size": "3",
             "avg_fill_price": "3399.955", "filled_size": "3"}
    title, body = describe(event, D("0.01"))
    assert title == "Stop loss triggered on ETHUSDT long at 3,400.00"
    assert body == "Order o1: sell close long 3 at market. Filled 3 at 3,399.96."


def test_text_that_is_not_a_number_is_left_as_it_came() -> None:
    assert (money_text("n/a"), price_text("n/a")) == ("n/a", "n/a")
    assert money_text("-0.004") == "0.00"  # no "-0.00"
