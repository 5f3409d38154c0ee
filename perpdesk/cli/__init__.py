"""The `perpdesk` command: `serve | demo | sandbox | accounts | portfolio | trade | vault`, one module
per group."""

from __future__ import annotations

import os

import typer

from perpdesk.cli.accounts import app as accounts_app
from perpdesk.cli.portfolio import app as portfolio_app
from perpdesk.cli.serve import register_platform_commands
from perpdesk.cli.trade import app as trade_app
from perpdesk.cli.vault import app as vault_app
from perpdesk.sandbox.commands import app as sandbox_app

app = typer.Typer(
    name="perpdesk",
    help="Connect, trade and manage exchange futures accounts; run the BitMart Futures sandbox.",
    no_args_is_help=True,
    add_completion=False,
)
register_platform_commands(app)  # serve, worker, demo
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(accounts_app, name="accounts")
app.add_typer(portfolio_app, name="portfolio")
app.add_typer(trade_app, name="trade")
app.add_typer(vault_app, name="vault")


def main() -> None:
    # Everything perpdesk writes (databases with their -wal/-shm files, keys, the sandbox's state,
    # caught mail) holds secrets or personal data: readable by the owning account only.
    os.umask(0o077)
    app()
