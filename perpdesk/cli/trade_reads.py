"""`perpdesk trade orders | fills | position-mode`: what the account has at the exchange."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from perpdesk.cli.output import dump_json
from perpdesk.cli.platform_data import run_for_user
from perpdesk.cli.trade_options import AccountOpt, AnySymbolOpt, JsonOpt, UserOpt
from perpdesk.cli.trade_outcomes import show_table


def orders(
    user: UserOpt,
    account: AccountOpt,
    symbol: AnySymbolOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open orders and waiting trigger, TP/SL and trailing orders."""
    from perpdesk.services import portfolio, terminal
    from perpdesk.services.portfolio import jsonable

    async def both(deps: Any, uid: str) -> tuple[Any, Any]:
        return (
            await portfolio.open_orders(deps, uid, account, symbol),
            await terminal.conditional_orders(deps, uid, account, symbol),
        )

    open_, waiting = run_for_user(user, both)
    if as_json:
        dump_json({"orders": jsonable(open_), "conditional_orders": jsonable(waiting)})
        return
    show_table(
        "Open orders", ["order_id", "symbol", "side", "type", "price", "size", "filled_size", "state"], open_
    )
    show_table(
        "Trigger, TP/SL and trailing orders",
        ["order_id", "symbol", "kind", "side", "trigger_price", "execution_price", "callback_rate", "size"],
        waiting,
    )


def fills(
    user: UserOpt,
    account: AccountOpt,
    symbol: AnySymbolOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The account's recent fills (the exchange's last 7 days)."""
    from perpdesk.services import terminal
    from perpdesk.services.portfolio import jsonable

    found = run_for_user(user, lambda deps, uid: terminal.fills(deps, uid, account, symbol))
    if as_json:
        dump_json({"fills": jsonable(found)})
        return
    show_table("Fills", ["time", "symbol", "side", "price", "size", "fee", "realised_pnl", "order_id"], found)


def position_mode(
    user: UserOpt,
    account: AccountOpt,
    set_to: Annotated[str | None, typer.Option("--set", help="one_way | hedge")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the account's position mode, or switch it (--set)."""
    from perpdesk.services import terminal

    if set_to:
        mode = run_for_user(user, lambda deps, uid: terminal.set_position_mode(deps, uid, account, set_to))
    else:
        mode = run_for_user(user, lambda deps, uid: terminal.position_mode(deps, uid, account))
    if as_json:
        dump_json({"position_mode": mode.value})
    else:
        typer.echo(mode.value)
