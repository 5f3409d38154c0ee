"""`perpdesk vault ...`: create, inspect and rotate the master key. Never prints key material."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from perpdesk.cli.output import JsonOpt, dump_json

if TYPE_CHECKING:
    from perpdesk.settings import Settings
    from perpdesk.store.vault_rotation import RotationReport
    from perpdesk.vault.keys import MasterKeyProvider

app = typer.Typer(
    help="The credential vault: master key creation, status and rotation.", no_args_is_help=True
)


def _settings() -> Settings:
    from perpdesk.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _provider(settings: Settings) -> MasterKeyProvider:
    from perpdesk.vault import MasterKeyError, provider_from_settings

    key = settings.master_key.get_secret_value() if settings.master_key else None
    try:
        return provider_from_settings(
            key, settings.master_key_file, default_file=settings.default_master_key_file()
        )
    except MasterKeyError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


@app.command()
def init(
    file: Annotated[
        Path | None,
        typer.Option(
            help="Keyring file to create (default: PERPDESK_MASTER_KEY_FILE or data_dir/master.key)."
        ),
    ] = None,
    from_env: Annotated[
        bool, typer.Option(help="Write the keyring given in PERPDESK_MASTER_KEY to the file.")
    ] = False,
) -> None:
    """Create a new master keyring file (mode 0600). Refuses to overwrite an existing one."""
    from perpdesk.vault.keys import Keyring, write_keyring_file

    settings = _settings()
    path = file or settings.master_key_file or settings.default_master_key_file()
    if path.exists():
        typer.secho(f"{path} already exists; not overwriting a master key.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    if from_env:
        if settings.master_key is None:
            typer.secho("PERPDESK_MASTER_KEY is not set.", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        keyring = Keyring.from_env_value(settings.master_key.get_secret_value())
    else:
        keyring = Keyring.generate()
    write_keyring_file(path, keyring)
    typer.echo(
        f"created {path} (master key version {keyring.current}); back it up: without it no secret opens"
    )


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """Master key versions in the keyring, and how many sealed secrets use each."""
    from perpdesk.bootstrap import database
    from perpdesk.store.vault_rotation import count_versions

    settings = _settings()
    keyring = _provider(settings).keyring()

    async def run() -> dict[int, int]:
        async with database(settings) as sessions:  # migrates: a new database has no tables yet
            return dict(await count_versions(sessions))

    counts = asyncio.run(run())
    versions = sorted(set(counts) | set(keyring.keys))
    if as_json:
        dump_json(
            {
                "current_version": keyring.current,
                "versions": [
                    {"version": v, "sealed_secrets": counts.get(v, 0), "in_keyring": v in keyring.keys}
                    for v in versions
                ],
            }
        )
        return
    typer.echo(f"current master key version: {keyring.current}")
    typer.echo(f"versions in keyring: {', '.join(str(v) for v in sorted(keyring.keys))}")
    for version in versions:
        missing = "" if version in keyring.keys else "  (MISSING from keyring: these do not open)"
        typer.echo(f"  v{version}: {counts.get(version, 0)} sealed secret(s){missing}")


@app.command()
def rotate(
    keep_old: Annotated[
        bool, typer.Option(help="Keep old master keys in the keyring after every secret is re-wrapped.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Make a new master key current and re-wrap every data key under it, while the platform runs.

    Ciphertexts are not touched and no plaintext is written: only the wrapped data keys change.
    Old keys leave the keyring once no sealed secret uses them (unless --keep-old).
    """
    from perpdesk.bootstrap import database
    from perpdesk.store.vault_rotation import rotate as do_rotate
    from perpdesk.vault import MasterKeyError

    settings = _settings()
    provider = _provider(settings)

    async def run() -> RotationReport:
        async with database(settings) as sessions:
            return await do_rotate(sessions, provider, prune=not keep_old)

    try:
        report = asyncio.run(run())
    except MasterKeyError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if as_json:
        dump_json(dataclasses.asdict(report))
        raise typer.Exit(1 if report.unreadable else 0)
    typer.echo(
        f"new master key version: {report.new_version} (was {', '.join(map(str, report.old_versions))})"
    )
    typer.echo(f"re-wrapped {report.rewrapped} data key(s)")
    if report.unreadable:
        typer.secho(
            f"{len(report.unreadable)} sealed secret(s) did not open and were left as they are: "
            + ", ".join(report.unreadable[:20]),
            fg=typer.colors.YELLOW,
            err=True,
        )
        raise typer.Exit(1)
    typer.echo("old master keys removed from the keyring" if report.pruned else "old master keys kept")
