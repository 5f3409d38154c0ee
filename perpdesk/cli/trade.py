"""`perpdesk trade ...`: the terminal's actions from a shell, through the same services as the
pages and the JSON API (bootstrap's Services), on behalf of --user. Tables by Rich, or --json.

Numbers are given and printed as exact decimal strings. Exit codes: 0 done, 1 refused (the
reason and the next step on stderr), 2 usage; an order whose outcome is unknown exits 3 (it is
never sent again: look at `perpdesk trade orders` before placing it anew).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from perpdesk.cli.accounts import UserOpt, _run
from perpdesk.cli.output import JsonOpt, dict_rows, dump_json, table
from perpdesk.services.portfolio import jsonable
from perpdesk.services.trading.commands import (
    parse_amend,
    parse_close,
    parse_move_trigger,
    parse_plan,
    parse_tp_sl,
    parse_trail,
)

app = typer.Typer(
    help="Trade a connected account: place, amend, cancel, cancel-all, close, tp-sl, trail, plan, "
    "orders, fills.",
    no_args_is_help=True,
)
AccountOpt = Annotated[
    str, typer.Option("--account", "-a", help="The connected account's id (perpdesk accounts list).")
]
SymbolOpt = Annotated[str, typer.Option("--symbol", "-s", help="A USDT perpetual, e.g. BTCUSDT.")]
AnySymbolOpt = Annotated[str | None, typer.Option("--symbol", "-s")]
OrderIdOpt = Annotated[str, typer.Option("--order-id")]
SizeOpt = Annotated[str, typer.Option(help="Contracts.")]
NumberOpt = Annotated[str | None, typer.Option()]
ConfirmDuplicateOpt = Annotated[bool, typer.Option(
    "--confirm-duplicate", help="Send it although the same ticket is being sent or confirmed.")]
ConfirmLeverageOpt = Annotated[bool, typer.Option(
    "--confirm-leverage", help="Change the open position's leverage to --leverage.")]
ID_KEYS = {"order_id", "client_order_id"}


def _table(title: str, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """JSON-ready dicts as a table: one column per key, ids whole, times as ISO 8601."""
    cols = [k.replace("_", " ") for k in keys]
    ids = {c for k, c in zip(keys, cols, strict=True) if k in ID_KEYS}
    table(title, cols, dict_rows(rows, keys), ids=ids)


def _placed(result: dict[str, Any], as_json: bool) -> None:
    """One or more placements: printed, then the exit code says placed / rejected / unknown."""
    orders = result.get("orders") or [result]
    if as_json:
        dump_json(result)
    else:
        _table(
            "Orders",
            ["status", "kind", "symbol", "side", "size", "price", "order_id", "client_order_id"],
            orders,
        )
    for o in orders:
        err = o.get("error") or {}
        if o.get("status") in ("rejected", "not_placed"):
            typer.secho(f"refused: {err.get('message', '')}", fg=typer.colors.RED, err=True)
            if err.get("next_step"):
                typer.echo(f"  next step: {err['next_step']}", err=True)
            raise typer.Exit(1)
        if o.get("status") in ("unknown", "pending"):
            typer.secho(
                err.get("message") or "The exchange did not confirm the order; it is not sent again.",
                fg=typer.colors.YELLOW,
                err=True,
            )
            typer.echo(
                "  next step: "
                + (err.get("next_step") or "Check `perpdesk trade orders` before placing it anew."),
                err=True,
            )
            raise typer.Exit(3)


def _place(user: str, account: str, service: Any, parse: Any, ticket: dict[str, Any], as_json: bool) -> None:
    """Parse a ticket into its command and send it through a placing service (trigger, trailing);
    report the outcome."""
    placed = _run(user, lambda deps, uid: service(deps, uid, account, parse(ticket)))
    _placed(placed.to_dict(), as_json)


def _changed(outcome: Any, done: str) -> None:
    """A cancel / amend: applied, or being confirmed (no answer: perpdesk reads the exchange)."""
    if outcome is None or getattr(outcome, "applied", True):
        typer.echo(done)
        return
    typer.secho(outcome.message, fg=typer.colors.YELLOW, err=True)
    if outcome.next_step:
        typer.echo(f"  next step: {outcome.next_step}", err=True)
    raise typer.Exit(3)


@app.command()
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

    ticket = {
        "symbol": symbol,
        "side": side,
        "size": size,
        "type": "limit" if price else "market",
        "price": price,
        "leverage": leverage,
        "margin_mode": margin_mode,
        "time_in_force": time_in_force,
        "take_profit": take_profit,
        "stop_loss": stop_loss,
    }
    placed = _run(user, lambda deps, uid: trading.place_order(
        deps, uid, account, ticket, confirm_duplicate=confirm_duplicate, confirm_leverage=confirm_leverage))
    _placed(placed.to_dict(), as_json)


@app.command()
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

    outcome = _run(
        user,
        lambda deps, uid: trading.amend_order(deps, uid, account, parse_amend(
            {"symbol": symbol, "order_id": order_id, "price": price, "size": size}
        )),
    )
    _changed(outcome, f"Order {order_id} amended.")


@app.command()
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
        _run(user, lambda deps, uid: terminal_orders.cancel_conditional(deps, uid, account, symbol, order_id))
        typer.echo(f"Order {order_id} cancelled.")
        return
    outcome = _run(
        user, lambda deps, uid: trading.cancel_order(deps, uid, account, symbol, order_id=order_id)
    )
    _changed(outcome, f"Order {order_id} cancelled.")


@app.command("cancel-all")
def cancel_all(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    include_tp_sl: Annotated[bool, typer.Option(help="Also the position's TP/SL.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Cancel every open order of the symbol and its trigger and trailing orders."""
    from perpdesk.services import terminal_orders

    counts = _run(
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


@app.command()
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

    placed = _run(
        user,
        lambda deps, uid: terminal_orders.close_percent(deps, uid, account, parse_close({
            "symbol": symbol, "side": side, "percent": percent, "type": "limit" if price else "market",
            "price": price, "confirm_duplicate": confirm_duplicate,
        })),
    )
    _placed(placed.to_dict(), as_json)


@app.command("tp-sl")
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

    if order_id:
        moved = _run(
            user,
            lambda deps, uid: terminal_orders.modify_tp_sl(deps, uid, account, parse_move_trigger(
                {"symbol": symbol, "order_id": order_id, "trigger_price": trigger_price}
            )),
        )
        _changed(moved, f"TP/SL {order_id} now triggers at {trigger_price}.")
        return
    outcome = _run(
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
    _changed(outcome, "Take-profit / stop-loss set for the position.")


@app.command()
def trail(
    user: UserOpt,
    account: AccountOpt,
    symbol: SymbolOpt,
    side: Annotated[str, typer.Option(help="sell_close_long | buy_close_short | buy | sell")],
    size: SizeOpt,
    activation_price: Annotated[str, typer.Option()],
    callback_rate: Annotated[str, typer.Option(help="Percent, 0.1-5.")],
    leverage: Annotated[str, typer.Option()],
    margin_mode: Annotated[str, typer.Option()] = "cross",
    confirm_duplicate: ConfirmDuplicateOpt = False,
    confirm_leverage: ConfirmLeverageOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Place a trailing stop."""
    from perpdesk.services import terminal_orders

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


@app.command()
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


@app.command()
def orders(
    user: UserOpt,
    account: AccountOpt,
    symbol: AnySymbolOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open orders and waiting trigger, TP/SL and trailing orders."""
    from perpdesk.services import portfolio, terminal

    async def both(deps: Any, uid: str) -> tuple[Any, Any]:
        return (
            await portfolio.open_orders(deps, uid, account, symbol),
            await terminal.conditional_orders(deps, uid, account, symbol),
        )

    open_, waiting = _run(user, both)
    data = {"orders": jsonable(open_), "conditional_orders": jsonable(waiting)}
    if as_json:
        dump_json(data)
        return
    _table(
        "Open orders",
        ["order_id", "symbol", "side", "type", "price", "size", "filled_size", "state"],
        data["orders"],
    )
    _table(
        "Trigger, TP/SL and trailing orders",
        ["order_id", "symbol", "kind", "side", "trigger_price", "execution_price", "callback_rate", "size"],
        data["conditional_orders"],
    )


@app.command()
def fills(
    user: UserOpt,
    account: AccountOpt,
    symbol: AnySymbolOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The account's recent fills (the exchange's last 7 days)."""
    from perpdesk.services import terminal

    found = jsonable(_run(user, lambda deps, uid: terminal.fills(deps, uid, account, symbol)))
    if as_json:
        dump_json({"fills": found})
        return
    _table("Fills", ["time", "symbol", "side", "price", "size", "fee", "realised_pnl", "order_id"], found)


@app.command("position-mode")
def position_mode(
    user: UserOpt,
    account: AccountOpt,
    set_to: Annotated[str | None, typer.Option("--set", help="one_way | hedge")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the account's position mode, or switch it (--set)."""
    from perpdesk.services import terminal

    if set_to:
        mode = _run(user, lambda deps, uid: terminal.set_position_mode(deps, uid, account, set_to))
    else:
        mode = _run(user, lambda deps, uid: terminal.position_mode(deps, uid, account))
    if as_json:
        dump_json({"position_mode": mode.value})
    else:
        typer.echo(mode.value)
