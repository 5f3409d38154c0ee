"""`perpdesk trade place | amend | cancel | cancel-all | close`: plain orders and positions."""

from __future__ import annotations

from typing import Annotated

import typer

from perpdesk.cli.output import dump_json
from perpdesk.cli.platform_data import run_for_user
from perpdesk.cli.trade_options import (
    AccountOpt,
    ConfirmDuplicateOpt,
    ConfirmLeverageOpt,
    JsonOpt,
    NumberOpt,
    OrderIdOpt,
    SizeOpt,
    SymbolOpt,
    UserOpt,
)
from perpdesk.cli.trade_outcomes import report_changed, report_placed


def place(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    side: Annotated[
        str,
        typer.Option(help="buy | sell | buy_open_long | sell_open_short | buy_close_short | sell_close_long"),
    ],
    size: SizeOpt,
    price: Annotated[str | None, typer.Option(help="Limit price; none: a market order.")] = None,
    leverage: NumberOpt = None,
    margin_mode: Annotated[str | None, typer.Option(help="cross | isolated")] = None,
    time_in_force: Annotated[str, typer.Option(help="gtc | ioc | fok | post_only")] = "gtc",
    take_profit: NumberOpt = None,
    stop_loss: NumberOpt = None,
    confirm_duplicate: ConfirmDuplicateOpt = False,
    confirm_leverage: ConfirmLeverageOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Place a limit (with --price) or market order."""
    from perpdesk.services import trading

    ticket = trading.OrderTicket(
        symbol=symbol, side=side, size=size, type="limit" if price else "market", price=price,
        leverage=leverage, margin_mode=margin_mode, time_in_force=time_in_force, take_profit=take_profit,
        stop_loss=stop_loss,
    )
    placed = run_for_user(user, lambda deps, uid: trading.place_order(
        deps, uid, account, ticket, confirm_duplicate=confirm_duplicate, confirm_leverage=confirm_leverage))
    report_placed(placed, as_json)


def amend(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    order_id: OrderIdOpt,
    price: NumberOpt = None,
    size: NumberOpt = None,
) -> None:
    """Change a limit order's price and/or size."""
    from perpdesk.services import trading
    from perpdesk.services.trading.commands import parse_amend

    outcome = run_for_user(
        user,
        lambda deps, uid: trading.amend_order(deps, uid, account, parse_amend(
            {"symbol": symbol, "order_id": order_id, "price": price, "size": size}
        )),
    )
    report_changed(outcome, f"Order {order_id} amended.")


def cancel(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    order_id: OrderIdOpt,
    conditional: Annotated[bool, typer.Option(help="A trigger, TP/SL or trailing order.")] = False,
) -> None:
    """Cancel one order (--conditional for trigger, TP/SL and trailing orders)."""
    from perpdesk.services import terminal_orders, trading

    if conditional:
        run_for_user(
            user, lambda deps, uid: terminal_orders.cancel_conditional(deps, uid, account, symbol, order_id)
        )
        typer.echo(f"Order {order_id} cancelled.")
        return
    outcome = run_for_user(
        user, lambda deps, uid: trading.cancel_order(deps, uid, account, symbol, order_id=order_id)
    )
    report_changed(outcome, f"Order {order_id} cancelled.")


def cancel_all(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    include_tp_sl: Annotated[bool, typer.Option(help="Also the position's TP/SL.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Cancel every open order of the symbol and its trigger and trailing orders."""
    from perpdesk.services import terminal_orders

    counts = run_for_user(
        user,
        lambda deps, uid: terminal_orders.cancel_all(deps, uid, account, symbol, include_tp_sl=include_tp_sl),
    )
    if as_json:
        dump_json({"cancelled": counts})
    else:
        typer.echo(
            f"Cancelled {counts['orders']} open order(s) and "
            f"{counts['conditional']} trigger/trailing order(s)."
        )


def close(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    side: Annotated[str, typer.Option(help="long | short: the position.")],
    percent: Annotated[str, typer.Option(help="Share of the position to close.")] = "100",
    price: Annotated[str | None, typer.Option(help="Limit price; none: at market.")] = None,
    confirm_duplicate: ConfirmDuplicateOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Close a position, or a percentage of it, by a market or limit order (100 %: its resting
    close orders are cancelled first)."""
    from perpdesk.services import terminal_orders
    from perpdesk.services.trading.commands import parse_close

    placed = run_for_user(
        user,
        lambda deps, uid: terminal_orders.close_percent(deps, uid, account, parse_close({
            "symbol": symbol, "side": side, "percent": percent, "type": "limit" if price else "market",
            "price": price, "confirm_duplicate": confirm_duplicate,
        })),
    )
    report_placed(placed, as_json)
