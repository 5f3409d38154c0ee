"""`perpdesk accounts ...`: connected exchange accounts, for people who script.

Works on the platform's database directly (PERPDESK_* settings, like `perpdesk serve`), on behalf
of the user named by --user. Secrets are never taken as arguments (they would show in `ps` and
shell history): the Secret and Passphrase come from PERPDESK_API_SECRET / PERPDESK_API_PASSPHRASE
or are prompted for without echo.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from perpdesk.cli.output import JsonOpt, dump_json, table
from perpdesk.cli.platform_data import fail, run_for_user, say
from perpdesk.core.errors import PerpdeskError
from perpdesk.core.models import Credentials
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused

if TYPE_CHECKING:
    from perpdesk.services.account_views import AccountView
    from perpdesk.services.key_audit import Audit

app = typer.Typer(
    help="Connected exchange accounts: list, connect (manual), edit, disconnect, check.",
    no_args_is_help=True,
)

SECRET_ENV = "PERPDESK_API_SECRET"  # noqa: S105  (a variable name, not a secret)
PASSPHRASE_ENV = "PERPDESK_API_PASSPHRASE"  # noqa: S105

UserOpt = Annotated[str, typer.Option("--user", "-u", help="The perpdesk user's email.")]
WithdrawOpt = Annotated[
    bool,
    typer.Option(help="Accept that the key can withdraw funds (refused otherwise; kept in the audit log)."),
]




def _read_credentials(api_key: str, exchange: str) -> Credentials:
    from perpdesk.exchanges.registry import entry
    from perpdesk.services.account_inputs import clean_credentials

    ex = entry(exchange).info  # an unknown exchange is refused with the ones there are
    secret = os.environ.get(SECRET_ENV) or typer.prompt("Secret", hide_input=True)
    passphrase = ""
    if ex.has_passphrase:
        passphrase = os.environ.get(PASSPHRASE_ENV) or typer.prompt(
            "Passphrase (the key's Memo)", hide_input=True
        )
    return clean_credentials(api_key, secret, passphrase, ex)


def _print_accounts(rows: list[Any]) -> None:
    """One line per account, its id whole (it is what the other commands take)."""
    cols = ["ID", "Label", "Exchange", "Venue", "Method", "Status", "Key", "Checked", "Balance"]
    body = [
        [a.id, a.label, f"{a.exchange_name} {a.market_name}", a.venue.api_url if a.venue else "not recorded",
         a.method_name, a.status_name, a.api_key_mask, a.last_check_at,
         ", ".join(f"{b['equity']} {b['currency']}" for b in a.balances)]
        for a in rows
    ]  # fmt: skip
    table("Trading accounts", cols, body, ids={"ID"})


@app.command("list")
def list_cmd(user: UserOpt, as_json: JsonOpt = False) -> None:
    """List the user's connected trading accounts."""
    from perpdesk.services import accounts

    rows = run_for_user(user, lambda deps, uid: accounts.list_accounts(deps, uid))
    if as_json:
        dump_json({"accounts": [r.to_dict() for r in rows]})
        return
    if not rows:
        typer.echo("No trading account connected.")
        return
    _print_accounts(rows)


@app.command()
def connect(
    user: UserOpt,
    api_key: Annotated[str, typer.Option(help="The key's Access Key (not secret; the Secret is prompted).")],
    exchange: Annotated[
        str, typer.Option(help="bitmart or binance (USDT-settled perpetual futures).")
    ] = "bitmart",
    label: Annotated[str | None, typer.Option(help="Account label (default '<Exchange> Futures').")] = None,
    await_whitelist: Annotated[
        bool, typer.Option(help="Save a key whose account BitMart has not whitelisted yet.")
    ] = False,
    check_only: Annotated[bool, typer.Option(help="Only inspect the key (Save); store nothing.")] = False,
    allow_withdraw: WithdrawOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Connect a futures key (Manual connect): inspect it, then seal and store it."""
    from perpdesk.services import connect_manual

    exchange = exchange.strip().lower()
    try:
        creds = _read_credentials(api_key, exchange)
    except PerpdeskError as exc:
        raise fail(f"{exc.message}. {exc.next_step}", 2) from None

    async def op(deps: AccountsDeps, uid: str) -> tuple[AccountView | None, Audit]:
        if check_only:
            result = await connect_manual.inspect(
                deps, uid, creds, allow_withdraw=allow_withdraw, exchange=exchange
            )
            if result.problem and result.verdict.value == "refused":
                raise ConnectRefused(result.problem)
            return None, result
        return await connect_manual.add(
            deps,
            uid,
            creds,
            label=label,
            accept_awaiting_whitelist=await_whitelist,
            allow_withdraw=allow_withdraw,
            exchange=exchange,
        )

    account, inspection = run_for_user(user, op)
    if as_json:
        stored = {"account": account.to_dict()} if account is not None else {}
        dump_json({**stored, "inspection": inspection.to_dict()})
        return
    for b in inspection.balances:
        typer.echo(
            f"{b.currency}: equity {b.equity}, available {b.available}, unrealised PnL {b.unrealized_pnl}"
        )
    for w in inspection.warnings:
        typer.secho(f"warning: {w.title}. {w.next_step}", fg=typer.colors.YELLOW, err=True)
    if account is not None:
        typer.echo(f"API key successfully connected: {account.id} {account.label} ({account.status})")
    else:
        typer.echo(f"The key is {inspection.verdict.value}; nothing was stored (--check-only).")


@app.command()
def edit(
    account_id: Annotated[str, typer.Argument(help="The account id (see `perpdesk accounts list`).")],
    user: UserOpt,
    label: Annotated[str | None, typer.Option(help="New label.")] = None,
    api_key: Annotated[
        str | None, typer.Option(help="Replace the credentials with this key (Secret/Passphrase prompted).")
    ] = None,
    allow_withdraw: WithdrawOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Change an account's label and/or replace its credentials (the new key is inspected first)."""
    from perpdesk.services import accounts

    if label is None and api_key is None:
        raise fail("give --label and/or --api-key", 2)
    creds = None
    if api_key is not None:
        # the account's exchange says which credentials to ask for (a passphrase or not)
        current = run_for_user(user, lambda deps, uid: accounts.get_account(deps, uid, account_id))
        try:
            creds = _read_credentials(api_key, current.exchange)
        except PerpdeskError as exc:
            raise fail(f"{exc.message}. {exc.next_step}", 2) from None

    async def op(deps: AccountsDeps, uid: str) -> AccountView:
        acc = None
        if creds is not None:
            acc, _ = await accounts.replace_credentials(
                deps, uid, account_id, creds, allow_withdraw=allow_withdraw
            )
        if label is not None:
            acc = await accounts.rename(deps, uid, account_id, label)
        assert acc is not None  # a label or a key was given
        return acc

    acc = run_for_user(user, op)
    if as_json:
        dump_json(acc.to_dict())
    else:
        _print_accounts([acc])


@app.command()
def disconnect(
    account_id: Annotated[str, typer.Argument(help="The account id.")],
    user: UserOpt,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Disconnect an account (Fast Connect keys are also revoked at the exchange)."""
    from perpdesk.services import accounts

    if not yes:
        typer.confirm(f"Disconnect account {account_id}?", abort=True)
    warnings = run_for_user(user, lambda deps, uid: accounts.disconnect(deps, uid, account_id))
    for w in warnings:
        say(w)
    typer.echo(f"Disconnected {account_id}.")


@app.command()
def check(
    account_id: Annotated[str, typer.Argument(help="The account id.")],
    user: UserOpt,
    as_json: JsonOpt = False,
) -> None:
    """Inspect an account's key at the exchange again and update its status and balance."""
    from perpdesk.services import account_checks

    acc, result = run_for_user(user, lambda deps, uid: account_checks.check(deps, uid, account_id))
    if as_json:
        dump_json({"account": acc.to_dict(), "inspection": result.to_dict()})
        return
    _print_accounts([acc])
    if result.problem:
        say(result.problem)
    if result.verdict.value == "refused":
        raise typer.Exit(1)
