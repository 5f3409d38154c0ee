"""`perpdesk portfolio ...`: the portfolio of a user's accounts (Rich tables, or --json): totals
and accounts, realised PnL / fees / funding per period, fills (also as CSV), equity snapshots,
notifications. Through the platform's services (perpdesk/bootstrap.py), on behalf of --user."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from perpdesk.cli.accounts import UserOpt
from perpdesk.cli.output import JsonOpt, dict_rows, dump_json, table
from perpdesk.cli.platform_data import run_for_user
from perpdesk.services.deps import AccountsDeps

app = typer.Typer(
    help="Portfolio: totals and accounts (default), pnl, fills (--csv), equity, notifications.",
    invoke_without_command=True,
)
AccountOpt = Annotated[str | None, typer.Option("--account", help="One account's id (default: all).")]
StartOpt = Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (UTC).")]
EndOpt = Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD (UTC), inclusive.")]


@app.callback()
def summary(ctx: typer.Context, user: UserOpt = "", as_json: JsonOpt = False) -> None:
    """Every account and the total: equity, available, margin in use, unrealised PnL (USDT)."""
    if ctx.invoked_subcommand is not None:
        return
    from perpdesk.services import portfolio
    from perpdesk.services.portfolio_query import totals

    snaps = run_for_user(user, lambda deps, uid: portfolio.overview(deps, uid))
    total = totals(snaps)
    if as_json:
        dump_json({"accounts": [s.to_dict() for s in snaps], "total": {k: str(v) for k, v in total.items()}})
    else:
        rows = []
        for s in snaps:
            u = s.usdt
            vals = [u.equity, u.available, u.position_margin + u.frozen, u.unrealized_pnl] if u else []
            rows.append([s.account.id, s.account.label, s.account.status, *(str(v) for v in vals)]
                        + ["—"] * (4 - len(vals)) + [str(len(s.positions))])
        keys = ("equity", "available", "margin", "unrealized_pnl")
        rows.append(["", "Total", "", *(str(total[k]) for k in keys), ""])
        cols = ["ID", "Account", "Status", "Equity", "Available", "Margin in use", "uPnL", "Positions"]
        table("Portfolio (USDT)", cols, rows, numeric=cols[3:], ids={"ID"})
    unread = [(s.account, part, err) for s in snaps for part, err in s.errors.items()]
    for account, part, err in unread:  # "—" above is never silent: say why and exit 1
        typer.secho(f"{account.label} ({account.id}): {part} not read: {err.get('message', '')}",
                    fg=typer.colors.RED, err=True)
        if err.get("next_step"):
            typer.echo(f"  next step: {err['next_step']}", err=True)
    if unread:
        raise typer.Exit(1)


@app.command()
def pnl(
    user: UserOpt,
    period: Annotated[str, typer.Option(help="day | week | month")] = "day",
    start: StartOpt = None, end: EndOpt = None, account: AccountOpt = None, as_json: JsonOpt = False,
) -> None:
    """Realised PnL, fees and funding per period, from the exchange's transaction history."""
    from perpdesk.services import pnl_history
    from perpdesk.services.portfolio_query import period_of

    async def op(deps: AccountsDeps, uid: str) -> list[pnl_history.PnlRow]:
        span = pnl_history.Range.parse(start, end)
        return await pnl_history.pnl(deps, uid, period_of(period), span, account)

    rows = run_for_user(user, op)
    if as_json:
        dump_json({"period": period, "rows": [r.to_dict() for r in rows]})
        return
    cols = [period.capitalize(), "Realised PnL", "Fees", "Funding", "Net"]
    body = [[r.period.isoformat(), *(str(v) for v in (r.realised_pnl, r.fees, r.funding, r.net))]
            for r in rows]
    t = pnl_history.totals(rows)
    body.append(["Total", *(str(v) for v in (t.realised_pnl, t.fees, t.funding, t.net))])
    table("Realised PnL, fees and funding (USDT)", cols, body, numeric=cols[1:])


@app.command()
def fills(
    user: UserOpt,
    account: AccountOpt = None,
    symbol: Annotated[str | None, typer.Option(help="e.g. BTCUSDT")] = None,
    side: Annotated[str | None, typer.Option(help="buy | sell | buy_open_long | ...")] = None,
    start: StartOpt = None, end: EndOpt = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Write CSV to stdout.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fills, newest first (the last 7 days unless dates are given; at most 90 days)."""
    from perpdesk.services import pnl_history
    from perpdesk.services.fills_csv import fills_csv
    from perpdesk.services.portfolio_query import fills_query

    async def op(deps: AccountsDeps, uid: str) -> list[pnl_history.FillRow]:
        return await pnl_history.fills(deps, uid, fills_query(start, end, account, symbol, side))

    rows = run_for_user(user, op)
    if as_csv:
        for line in fills_csv(rows):
            sys.stdout.write(line)
        return
    if as_json:
        dump_json({"fills": [r.to_dict() for r in rows]})
        return
    keys = ["time", "account_id", "account", "symbol", "side", "price", "size", "realised_pnl", "fee",
            "order_id"]
    cols = ["Time (UTC)", "Account ID", "Account", "Symbol", "Side", "Price", "Size", "Realised PnL", "Fee",
            "Order ID"]
    body = dict_rows((r.to_dict() for r in rows), keys)
    table("Fills", cols, body, numeric=cols[5:9], ids={"Account ID", "Order ID"})


@app.command()
def equity(
    user: UserOpt,
    days: Annotated[int, typer.Option(min=1, max=400, help="How many days back.")] = 30,
    account: AccountOpt = None, as_json: JsonOpt = False,
) -> None:
    """The stored equity snapshots (one per snapshot pass, accounts summed)."""
    from perpdesk.services import equity_history

    points = run_for_user(user, lambda deps, uid: equity_history.history(deps, uid, days, account))
    if as_json:
        dump_json({"points": [p.to_dict() for p in points]})
        return
    rows = [[p.taken_at, str(p.equity), str(p.unrealized_pnl)] for p in points]
    table("Equity snapshots (USDT)", ["Taken (UTC)", "Equity", "uPnL"], rows, numeric={"Equity", "uPnL"})


@app.command()
def notifications(
    user: UserOpt,
    unread: Annotated[bool, typer.Option(help="Only unread ones.")] = False,
    mark_read: Annotated[bool, typer.Option(help="Mark them all read afterwards.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The user's notifications, newest first."""
    from perpdesk.services import notifications as notes

    async def op(deps: AccountsDeps, uid: str) -> list[dict[str, Any]]:
        rows = [notes.view(n) for n in await notes.listing(deps, uid, unread_only=unread)]
        if mark_read:
            await notes.mark_read(deps, uid)
        return rows

    rows = run_for_user(user, op)
    if as_json:
        dump_json({"notifications": rows})
        return
    body = [[r["created_at"], r["kind"], "" if r["read"] else "unread", r["title"]] for r in rows]
    table("Notifications", ["Time (UTC)", "Kind", "", "Title"], body)


__all__ = ["app"]
