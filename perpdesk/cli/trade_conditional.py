"""`perpdesk trade tp-sl | trail | plan`: orders that wait at the exchange for a trigger price."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from perpdesk.cli.output import dump_json
from perpdesk.cli.platform_data import run_for_user
from perpdesk.cli.trade_options import (
    AccountOpt,
    ConfirmDuplicateOpt,
    ConfirmLeverageOpt,
    JsonOpt,
    NumberOpt,
    SizeOpt,
    SymbolOpt,
    UserOpt,
)
from perpdesk.cli.trade_outcomes import report_changed, report_placed


def _place(user: str, account: str, service: Any, parse: Any, ticket: dict[str, Any], as_json: bool) -> None:
    """Parse a ticket into its command and send it through a placing service (trigger, trailing);
    report the outcome."""
    placed = run_for_user(user, lambda deps, uid: service(deps, uid, account, parse(ticket)))
    report_placed(placed, as_json)


def tp_sl(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    side: Annotated[str | None, typer.Option(help="long | short: the position (to set).")] = None,
    take_profit: NumberOpt = None,
    stop_loss: NumberOpt = None,
    order_id: Annotated[str | None, typer.Option("--order-id", help="Change this TP/SL order ...")] = None,
    trigger_price: Annotated[str | None, typer.Option(help="... to this trigger price.")] = None,
    confirm_duplicate: ConfirmDuplicateOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Set TP and/or SL on a position (--side), or change one (--order-id --trigger-price)."""
    from perpdesk.services import terminal_orders, trading
    from perpdesk.services.trading.commands import parse_move_trigger, parse_tp_sl

    if order_id:
        moved = run_for_user(
            user,
            lambda deps, uid: terminal_orders.modify_tp_sl(deps, uid, account, parse_move_trigger(
                {"symbol": symbol, "order_id": order_id, "trigger_price": trigger_price}
            )),
        )
        report_changed(moved, f"TP/SL {order_id} now triggers at {trigger_price}.")
        return
    outcome = run_for_user(
        user,
        lambda deps, uid: trading.set_tp_sl(deps, uid, account, parse_tp_sl({
            "symbol": symbol, "side": side, "take_profit": take_profit, "stop_loss": stop_loss,
            "confirm_duplicate": confirm_duplicate,
        })),
    )
    if as_json:
        dump_json(outcome.to_dict())
        if not outcome.applied:
            raise typer.Exit(3)
        return
    report_changed(outcome, "Take-profit / stop-loss set for the position.")


def trail(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    side: Annotated[str, typer.Option(help="sell_close_long | buy_close_short | buy | sell")],
    size: SizeOpt,
    activation_price: Annotated[str, typer.Option()],
    callback_rate: Annotated[
        str, typer.Option(help="Percent, within the exchange's range (BitMart 0.1-5, Binance 0.1-10).")
    ],
    leverage: Annotated[str, typer.Option()],
    margin_mode: Annotated[str, typer.Option()] = "cross",
    confirm_duplicate: ConfirmDuplicateOpt = False,
    confirm_leverage: ConfirmLeverageOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Place a trailing stop."""
    from perpdesk.services import terminal_orders
    from perpdesk.services.trading.commands import parse_trail

    ticket = {
        "symbol": symbol,
        "side": side,
        "size": size,
        "activation_price": activation_price,
        "callback_rate": callback_rate,
        "leverage": leverage,
        "margin_mode": margin_mode,
        "confirm_duplicate": confirm_duplicate,
        "confirm_leverage": confirm_leverage,
    }
    _place(user, account, terminal_orders.place_trail, parse_trail, ticket, as_json)


def plan(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    side: Annotated[str, typer.Option()],
    size: SizeOpt,
    trigger_price: Annotated[str, typer.Option()],
    leverage: Annotated[str, typer.Option()],
    price: Annotated[str | None, typer.Option(help="Limit price once triggered; none: market.")] = None,
    margin_mode: Annotated[str, typer.Option()] = "cross",
    price_type: Annotated[str, typer.Option(help="last | mark")] = "last",
    confirm_duplicate: ConfirmDuplicateOpt = False,
    confirm_leverage: ConfirmLeverageOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Place a trigger (plan) order."""
    from perpdesk.services import terminal_orders
    from perpdesk.services.trading.commands import parse_plan

    ticket = {
        "symbol": symbol,
        "side": side,
        "size": size,
        "trigger_price": trigger_price,
        "price": price,
        "leverage": leverage,
        "margin_mode": margin_mode,
        "price_type": price_type,
        "confirm_duplicate": confirm_duplicate,
        "confirm_leverage": confirm_leverage,
    }
    _place(user, account, terminal_orders.place_plan, parse_plan, ticket, as_json)
