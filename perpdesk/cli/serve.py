"""`perpdesk serve` (the platform) and `perpdesk demo` (platform + sandbox, no configuration)."""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from perpdesk.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI


class DatabaseUnavailable(Exception):
    def __init__(self, url: str, exc: BaseException) -> None:
        from perpdesk.store.db import shown_url

        shown = shown_url(url)
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        super().__init__(
            f"PERPDESK_DATABASE_URL: cannot open or migrate the database at {shown}: "
            f"{type(exc).__name__}: {detail[:300]}. Check the URL, that the server runs and accepts "
            "this user, and that the database exists."
        )


def plain_http_warning(settings: Settings) -> str | None:
    """Why serving on this address is unsafe (reachable from other machines without TLS), or None."""
    host = settings.host.strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback or (settings.secure_cookies and settings.public_url.startswith("https://")):
        return None
    return (
        f"WARNING: the platform listens on {settings.host}, reachable from other machines, but "
        "PERPDESK_PUBLIC_URL is not https: cookies are not Secure and HSTS is off, so passwords "
        "and sessions cross the network readable. Serve it behind TLS and set "
        "PERPDESK_PUBLIC_URL=https://your-host (or listen on 127.0.0.1 only)."
    )


def _fail(message: str) -> typer.Exit:
    typer.secho(f"perpdesk: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def _settings(host: str | None, port: int | None) -> Settings:
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise _fail(str(exc)) from None


def _run_migrated(settings: Settings, fastapi_app: FastAPI) -> None:
    """Migrate the database, then serve (scripts/cluster.sh migrates once before starting several)."""
    import uvloop

    from perpdesk.store.db import migrate
    from perpdesk.web.server import serve_platform

    async def run() -> None:
        try:
            await migrate(settings.database_url)
        except Exception as exc:  # any driver/Alembic error: say which setting to check
            raise DatabaseUnavailable(settings.database_url, exc) from None
        await serve_platform(fastapi_app, settings)

    try:
        uvloop.run(run())
    except DatabaseUnavailable as exc:
        raise _fail(str(exc)) from None


def register_platform_commands(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str | None, typer.Option(help="Listen address (PERPDESK_HOST).")] = None,
        port: Annotated[int | None, typer.Option(help="Listen port (PERPDESK_PORT).")] = None,
        init_master_key: Annotated[
            bool, typer.Option(help="Create the master key file if it does not exist (then back it up).")
        ] = False,
        web_only: Annotated[
            bool, typer.Option(help="Pages, API and live streams only: mirrors and jobs run in "
                               "`perpdesk worker` processes (PostgreSQL; docs/deploy.md).")
        ] = False,
    ) -> None:
        """Run the platform (configured by PERPDESK_* environment variables; see docs/platform.md)."""
        settings = _settings(host, port)
        if web_only:
            from perpdesk.cli.worker import needs_postgres

            if problem := needs_postgres(settings, "`perpdesk serve --web-only`"):
                raise _fail(problem)
        from perpdesk.log_config import configure_logging
        from perpdesk.vault import MasterKeyError, ensure_keyring_file

        configure_logging(settings.log_level, json_lines=settings.log_json)
        warning = plain_http_warning(settings)
        if warning:
            typer.secho(warning, fg=typer.colors.YELLOW, bold=True, err=True)
            logging.getLogger("perpdesk.security").warning(warning)
        if init_master_key and not settings.master_key:
            ensure_keyring_file(settings.master_key_file or settings.default_master_key_file())
        try:
            from perpdesk.bootstrap import bootstrap
            from perpdesk.web.app import create_app

            services = bootstrap(settings, "web") if web_only else None
            fastapi_app = create_app(settings, services=services, run_migrations=False)
        except (MasterKeyError, SettingsError) as exc:
            raise _fail(str(exc)) from None

        _run_migrated(settings, fastapi_app)

    @app.command()
    def worker(
        host: Annotated[str | None, typer.Option(help="Listen address (PERPDESK_HOST).")] = None,
        port: Annotated[int | None, typer.Option(help="Listen port (PERPDESK_PORT).")] = None,
    ) -> None:
        """Run account mirrors and background jobs for web-only processes (PostgreSQL; docs/deploy.md)."""
        settings = _settings(host, port)
        from perpdesk.cli.worker import create_worker_app, needs_postgres

        if problem := needs_postgres(settings, "`perpdesk worker`"):
            raise _fail(problem)
        from perpdesk.log_config import configure_logging
        from perpdesk.vault import MasterKeyError

        configure_logging(settings.log_level, json_lines=settings.log_json)
        try:
            from perpdesk.bootstrap import bootstrap

            worker_app = create_worker_app(bootstrap(settings, "worker"))
        except (MasterKeyError, SettingsError) as exc:
            raise _fail(str(exc)) from None
        _run_migrated(settings, worker_app)

    @app.command()
    def demo(
        data_dir: Annotated[
            Path, typer.Option(help="Where the demo keeps its SQLite files and keys.")
        ] = Path("./data"),
        port: Annotated[int, typer.Option(help="Platform port.")] = 8800,
        sandbox_port: Annotated[int, typer.Option(help="Sandbox exchange port.")] = 8810,
        host: Annotated[str, typer.Option(help="Address both servers listen on.")] = "127.0.0.1",
    ) -> None:
        """Run the platform and the BitMart Futures sandbox together, seeded with demo users."""
        import uvloop

        from perpdesk.web.demo import DataDirInUse, PortInUse, run_demo

        try:
            uvloop.run(run_demo(data_dir=data_dir, host=host, port=port, sandbox_port=sandbox_port))
        except (SettingsError, PortInUse, DataDirInUse) as exc:
            raise _fail(str(exc)) from None
        except KeyboardInterrupt:
            pass
