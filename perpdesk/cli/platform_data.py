"""How the data commands (accounts, portfolio, trade) reach the platform's data: its settings
(PERPDESK_* variables, then the data directory's settings.json, which the demo writes), a database
that exists already (never a new empty one beside a running platform) and the vault's master key.
Anything missing is one clear line naming what to set (exit 2), never a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from perpdesk.core.errors import PerpdeskError
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused, UserMessage
from perpdesk.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

WHERE = (
    "Set PERPDESK_DATA_DIR to the platform's data directory (the demo prints it after `Data:`, "
    "with a ready command line)"
)


class NotReady(Exception):
    """The platform's data is not where the settings say; the message says what to set."""


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def say(msg: UserMessage) -> None:
    color = typer.colors.RED if msg.severity == "error" else typer.colors.YELLOW
    typer.secho(msg.plain(), fg=color, err=True)


def ready_settings() -> Settings:
    """The settings, once the database and the master key they name are known to exist."""
    from perpdesk.store.db import sqlite_file

    settings = load_settings()
    db_file = sqlite_file(settings.database_url)
    if db_file is not None and not db_file.exists():
        raise NotReady(
            f"no perpdesk database at {db_file.resolve()}. {WHERE}, "
            "or PERPDESK_DATABASE_URL to its database."
        )
    if settings.master_key is None:
        key_file = settings.master_key_file or settings.default_master_key_file()
        if not key_file.exists():
            raise NotReady(
                f"no vault master key at {key_file.resolve()}. {WHERE}, "
                "or PERPDESK_MASTER_KEY_FILE to the platform's key file."
            )
    return settings


async def _with_deps(email: str, fn: Callable[[AccountsDeps, str], Awaitable[T]]) -> T:
    """Open the platform's services (perpdesk/bootstrap.py), find the user, run fn(deps, user_id)."""
    from perpdesk.bootstrap import running
    from perpdesk.services.users.signin import user_by_email

    async with running(ready_settings()) as services:
        user = await user_by_email(services, email)
        if user is None:
            raise fail(f"--user: no perpdesk user with that email; sign up first (or check {WHERE}).", 2)
        return await fn(services.accounts, user.id)


def run_for_user(email: str, fn: Callable[[AccountsDeps, str], Awaitable[T]]) -> T:
    """Run a use case on behalf of the user `email`; every failure is a message and an exit code
    (1 refused, with the next step; 2 usage or configuration)."""
    from perpdesk.vault import MasterKeyError

    if not email:
        raise fail("--user: missing; give the perpdesk user's email.", 2)
    try:
        return asyncio.run(_with_deps(email, fn))
    except ConnectRefused as exc:
        say(exc.user_message)
        raise typer.Exit(1) from None
    except (SettingsError, NotReady, MasterKeyError) as exc:
        raise fail(f"perpdesk: {exc}", 2) from None
    except PerpdeskError as exc:
        typer.secho(exc.message, fg=typer.colors.RED, err=True)
        if exc.next_step:
            typer.echo(f"  next step: {exc.next_step}", err=True)
        raise typer.Exit(1) from None
