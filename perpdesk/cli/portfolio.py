"""`perpdesk portfolio ...`: the portfolio of a user's accounts (Rich tables, or --json): totals
and accounts, realised PnL / fees / funding per period, fills (also as CSV), equity snapshots,
notifications. Through the platform's services (perpdesk/bootstrap.py), on behalf of --user."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from perpdesk.cli.accounts import JsonOpt, UserOpt
from perpdesk.cli.accounts import _run as run_for_user
from perpdesk.services.deps import AccountsDeps

app = typer.Typer(
    help="Portfolio: totals and accounts (default), pnl, fills (--csv), equity, notifications.",
    invoke_without_command=True,
)
AccountOpt = Annotated[str | None, typer.Option("--account", help="One account's id (default: all).")]
StartOpt = Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (UTC).")]
EndOpt = Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD (UTC), inclusive.")]


def _table(title: str, columns: list[str], rows: list[list[str]], numeric: set[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for c in columns:
        table.add_column(c, justify="right" if c in numeric else "left")
    for r in rows:
        table.add_row(*r)
    Console().print(table)


def _dump(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


@app.callback()
def summary(ctx: typer.Context, user: UserOpt = "", as_json: JsonOpt = False) -> None:
    """Every account and the total: equity, available, margin in use, unrealised PnL (USDT)."""
    if ctx.invoked_subcommand is not None:
        return
    if not user:
        raise typer.BadParameter("give the perpdesk user's email", param_hint="--user")
    from perpdesk.services import portfolio
    from perpdesk.services.portfolio_query import totals

    snaps = run_for_user(user, lambda deps, uid: portfolio.overview(deps, uid))
    total = totals(snaps)
    if as_json:
        _dump({"accounts": [s.to_dict() for s in snaps], "total": {k: str(v) for k, v in total.items()}})
        return
    rows = []
    for s in snaps:
        u = s.usdt
        vals = [u.equity, u.available, u.position_margin + u.frozen, u.unrealized_pnl] if u else []
        rows.append([s.account.label, s.account.status, *(str(v) for v in vals)] + ["—"] * (4 - len(vals))
                    + [str(len(s.positions))])
    keys = ("equity", "available", "margin", "unrealized_pnl")
    rows.append(["Total", "", *(str(total[k]) for k in keys), ""])
    cols = ["Account", "Status", "Equity", "Available", "Margin in use", "uPnL", "Positions"]
    _table("Portfolio (USDT)", cols, rows, set(cols[2:]))


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
        _dump({"period": period, "rows": [r.to_dict() for r in rows]})
        return
    cols = [period.capitalize(), "Realised PnL", "Fees", "Funding", "Net"]
    body = [[r.period.isoformat(), *(str(v) for v in (r.realised_pnl, r.fees, r.funding, r.net))]
            for r in rows]
    t = pnl_history.totals(rows)
    body.append(["Total", *(str(v) for v in (t.realised_pnl, t.fees, t.funding, t.net))])
    _table("Realised PnL, fees and funding (USDT)", cols, body, set(cols[1:]))


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
        _dump({"fills": [r.to_dict() for r in rows]})
        return
    cols = ["Time (UTC)", "Account", "Symbol", "Side", "Price", "Size", "Realised PnL", "Fee"]
    body = [[d["time"][:19].replace("T", " "), d["account"], d["symbol"], d["side"], d["price"], d["size"],
             d["realised_pnl"], d["fee"]] for d in (r.to_dict() for r in rows)]
    _table("Fills", cols, body, {"Price", "Size", "Realised PnL", "Fee"})


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
        _dump({"points": [p.to_dict() for p in points]})
        return
    rows = [[p.taken_at.strftime("%Y-%m-%d %H:%M:%S"), str(p.equity), str(p.unrealized_pnl)] for p in points]
    _table("Equity snapshots (USDT)", ["Taken (UTC)", "Equity", "uPnL"], rows, {"Equity", "uPnL"})


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
        _dump({"notifications": rows})
        return
    body = [[r["created_at"][:19].replace("T", " "), r["kind"], "" if r["read"] else "unread", r["title"]]
            for r in rows]
    _table("Notifications", ["Time (UTC)", "Kind", "", "Title"], body, set())


__all__ = ["app"]
