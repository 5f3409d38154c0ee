"""`perpdesk accounts ...`: connected exchange accounts, for people who script.

Works on the platform's database directly (PERPDESK_* settings, like `perpdesk serve`), on behalf
of the user named by --user. Secrets are never taken as arguments (they would show in `ps` and
shell history): the Secret and Passphrase come from PERPDESK_API_SECRET / PERPDESK_API_PASSPHRASE
or are prompted for without echo.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from perpdesk.core.errors import PerpdeskError
from perpdesk.core.models import Credentials
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused, UserMessage

app = typer.Typer(
    help="Connected exchange accounts: list, connect (manual), edit, disconnect, check.",
    no_args_is_help=True,
)

T = TypeVar("T")
SECRET_ENV = "PERPDESK_API_SECRET"  # noqa: S105  (a variable name, not a secret)
PASSPHRASE_ENV = "PERPDESK_API_PASSPHRASE"  # noqa: S105

UserOpt = Annotated[str, typer.Option("--user", "-u", help="The perpdesk user's email.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
WithdrawOpt = Annotated[
    bool,
    typer.Option(help="Accept that the key can withdraw funds (refused otherwise; kept in the audit log)."),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _say(msg: UserMessage) -> None:
    color = typer.colors.RED if msg.severity == "error" else typer.colors.YELLOW
    typer.secho(msg.plain(), fg=color, err=True)


async def _with_deps(email: str, fn: Callable[[AccountsDeps, str], Awaitable[T]]) -> T:
    """Open the platform's services (perpdesk/bootstrap.py), find the user, run fn(deps, user_id)."""
    from perpdesk.bootstrap import running
    from perpdesk.settings import load_settings
    from perpdesk.store.repos import UserRepo

    async with running(load_settings()) as services:
        async with services.sessionmaker() as s:
            user = await UserRepo(s).by_email(email)
        if user is None:
            raise _fail(f"--user: no perpdesk user with email {email!r}; sign up first.", 2)
        return await fn(services.accounts, user.id)


def _run(email: str, fn: Callable[[AccountsDeps, str], Awaitable[T]]) -> T:
    from perpdesk.settings import SettingsError

    try:
        return asyncio.run(_with_deps(email, fn))
    except ConnectRefused as exc:
        _say(exc.user_message)
        raise typer.Exit(1) from None
    except SettingsError as exc:
        raise _fail(str(exc), 2) from None
    except PerpdeskError as exc:
        typer.secho(exc.message, fg=typer.colors.RED, err=True)
        if exc.next_step:
            typer.echo(f"  next step: {exc.next_step}", err=True)
        raise typer.Exit(1) from None


def _read_credentials(api_key: str) -> Credentials:
    from perpdesk.services.account_inputs import clean_credentials

    secret = os.environ.get(SECRET_ENV) or typer.prompt("Secret", hide_input=True)
    passphrase = os.environ.get(PASSPHRASE_ENV) or typer.prompt(
        "Passphrase (the key's Memo)", hide_input=True
    )
    return clean_credentials(api_key, secret, passphrase)


def _print_account(a: Any) -> None:
    bal = ", ".join(f"{b['equity']} {b['currency']}" for b in a.balances) or "-"
    checked = a.last_check_at.strftime("%Y-%m-%d %H:%M UTC") if a.last_check_at else "-"
    typer.echo(
        f"{a.id}  {a.label}  Bitmart {a.market_name}  {a.method_name}  {a.status_name}  "
        f"key {a.api_key_mask}  checked {checked}  balance {bal}"
    )


@app.command("list")
def list_cmd(user: UserOpt, as_json: JsonOpt = False) -> None:
    """List the user's connected trading accounts."""
    from perpdesk.services import accounts

    rows = _run(user, lambda deps, uid: accounts.list_accounts(deps, uid))
    if as_json:
        typer.echo(json.dumps({"accounts": [r.to_dict() for r in rows]}, indent=2))
        return
    if not rows:
        typer.echo("No trading account connected.")
    for r in rows:
        _print_account(r)


@app.command()
def connect(
    user: UserOpt,
    api_key: Annotated[str, typer.Option(help="The key's Access Key (not secret; the Secret is prompted).")],
    label: Annotated[str | None, typer.Option(help="Account label (default 'Bitmart Futures').")] = None,
    await_whitelist: Annotated[
        bool, typer.Option(help="Save a key whose account BitMart has not whitelisted yet.")
    ] = False,
    check_only: Annotated[bool, typer.Option(help="Only inspect the key (Save); store nothing.")] = False,
    allow_withdraw: WithdrawOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Connect a BitMart Futures key (Manual connect): inspect it, then seal and store it."""
    from perpdesk.services import connect_manual

    try:
        creds = _read_credentials(api_key)
    except PerpdeskError as exc:
        raise _fail(f"{exc.message}. {exc.next_step}", 2) from None

    async def op(deps: AccountsDeps, uid: str) -> dict[str, Any]:
        if check_only:
            result = await connect_manual.inspect(deps, uid, creds, allow_withdraw=allow_withdraw)
            if result.problem and result.verdict.value == "refused":
                raise ConnectRefused(result.problem)
            return {"inspection": result.to_dict()}
        account, result = await connect_manual.add(
            deps,
            uid,
            creds,
            label=label,
            accept_awaiting_whitelist=await_whitelist,
            allow_withdraw=allow_withdraw,
        )
        return {"account": account.to_dict(), "inspection": result.to_dict()}

    out = _run(user, op)
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    insp = out["inspection"]
    for b in insp["balances"]:
        typer.echo(
            f"{b['currency']}: equity {b['equity']}, available {b['available']}, "
            f"unrealised PnL {b['unrealized_pnl']}"
        )
    for w in insp["warnings"]:
        typer.secho(f"warning: {w['title']}. {w['next_step']}", fg=typer.colors.YELLOW, err=True)
    if "account" in out:
        a = out["account"]
        typer.echo(f"API key successfully connected: {a['id']} {a['label']} ({a['status']})")
    else:
        typer.echo(f"The key is {insp['verdict']}; nothing was stored (--check-only).")


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
        raise _fail("give --label and/or --api-key", 2)
    creds = None
    if api_key is not None:
        try:
            creds = _read_credentials(api_key)
        except PerpdeskError as exc:
            raise _fail(f"{exc.message}. {exc.next_step}", 2) from None

    async def op(deps: AccountsDeps, uid: str) -> Any:
        acc = None
        if creds is not None:
            acc, _ = await accounts.replace_credentials(
                deps, uid, account_id, creds, allow_withdraw=allow_withdraw
            )
        if label is not None:
            acc = await accounts.rename(deps, uid, account_id, label)
        return acc

    acc = _run(user, op)
    if as_json:
        typer.echo(json.dumps(acc.to_dict(), indent=2))
    else:
        _print_account(acc)


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
    warnings = _run(user, lambda deps, uid: accounts.disconnect(deps, uid, account_id))
    for w in warnings:
        _say(w)
    typer.echo(f"Disconnected {account_id}.")


@app.command()
def check(
    account_id: Annotated[str, typer.Argument(help="The account id.")],
    user: UserOpt,
    as_json: JsonOpt = False,
) -> None:
    """Inspect an account's key at the exchange again and update its status and balance."""
    from perpdesk.services import account_checks

    acc, result = _run(user, lambda deps, uid: account_checks.check(deps, uid, account_id))
    if as_json:
        typer.echo(json.dumps({"account": acc.to_dict(), "inspection": result.to_dict()}, indent=2))
        return
    _print_account(acc)
    if result.problem:
        _say(result.problem)
    if result.verdict.value == "refused":
        raise typer.Exit(1)
