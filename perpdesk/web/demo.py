"""`perpdesk demo`: the platform and the sandbox (BitMart Futures, and Binance USDⓈ-M Futures on
the next port) in one process and event loop.

SQLite under the data directory, the vault's master key generated on first start, the platform
registered as a Fast Connect (OAuth) client at the sandbox, one demo user on the platform and one
on each exchange of the sandbox (the Binance one with a key to paste). The demo's
own credentials are kept in data_dir/demo.json (mode 0600) so a restart prints the same ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import secrets
import shlex
import signal
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from perpdesk.core.files import private_dir
from perpdesk.sandbox.persist import StateInUse, lock_state, unlock_state
from perpdesk.settings import SAVABLE, SAVED_SETTINGS_FILE, Settings, load_settings
from perpdesk.web.demo_seed import DEMO_USDT, binance_banner, new_sandbox_user, seed_binance
from perpdesk.web.mail_catcher import start_mail_catcher

SANDBOX_USER_EMAIL = "demo@sandbox.local"
PLATFORM_USER_EMAIL = "demo@perpdesk.local"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the demo (two servers share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _load_state(path: Path) -> dict[str, Any]:
    if path.exists():
        state: dict[str, Any] = json.loads(path.read_text())
        return state
    return {}


class PortInUse(Exception):
    pass


class DataDirInUse(Exception):
    """Another demo runs on this data directory: two would overwrite each other's sandbox."""


def _check_free(host: str, port: int, option: str) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"{host}:{port} is not available ({exc.strerror}); choose another with {option}"
            ) from None


def _prepare(data_dir: Path, state_path: Path) -> dict[str, Any]:
    private_dir(data_dir)
    return _load_state(state_path)


def _save_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, indent=1)
    os.replace(tmp, path)


def demo_router(enter_token: str, user_email: str) -> APIRouter:
    """GET /demo/enter?token=… signs the demo user in and opens Settings > Exchange Account API Keys."""
    router = APIRouter(include_in_schema=False)

    @router.get("/demo/enter")
    async def enter(request: Request, token: str = "") -> Response:
        from perpdesk.services.users.signin import user_by_email
        from perpdesk.web.auth import start_session

        services = request.app.state.services
        if not hmac.compare_digest(token.encode(), enter_token.encode()):
            return RedirectResponse("/signin", status_code=303)
        user = await user_by_email(services, user_email)
        if user is None:
            return RedirectResponse("/signin", status_code=303)
        response = RedirectResponse("/settings/exchange-accounts", status_code=303)
        await start_session(services, request, response, user.id, mfa_pending=False)
        return response

    return router


async def _wait_started(server: uvicorn.Server, task: asyncio.Task[None], what: str) -> None:
    for _ in range(2400):
        if server.started:
            return
        if task.done():
            task.result()  # raises what went wrong
            raise RuntimeError(f"{what} stopped during start-up")
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{what} did not start within 120 s")


async def _seed_sandbox(
    base: str, token: str, state: dict[str, Any], redirect_uri: str, ips: list[str]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        if "sandbox_user" not in state:
            state["sandbox_user"] = await new_sandbox_user(http, SANDBOX_USER_EMAIL, whitelisted=True)
        await seed_binance(http, state, ips)
        oauth = state.get("oauth") or {}
        if oauth.get("redirect_uri") != redirect_uri:
            r = await http.post(
                "/sandbox-admin/oauth-clients",
                json={"name": "perpdesk (demo)", "redirect_uris": [redirect_uri], "ip_whitelist": ips},
            )
            r.raise_for_status()
            doc = r.json()
            doc = doc.get("data", doc)
            state["oauth"] = {
                "client_id": doc["client_id"],
                "client_secret": doc["client_secret"],
                "redirect_uri": redirect_uri,
            }


async def _seed_platform(app: FastAPI, state: dict[str, Any]) -> None:
    from perpdesk.services.users.signin import sign_up, user_by_email
    from perpdesk.store.db import migrate

    services = app.state.services
    await migrate(services.settings.database_url)
    user = state.get("platform_user")
    exists = user is not None and await user_by_email(services, user["email"]) is not None
    if not exists:
        password = "Demo-" + secrets.token_urlsafe(12)
        async with services.uow() as uow:
            old = await uow.users.by_email(PLATFORM_USER_EMAIL)
            if old is not None:  # demo.json was lost: start the demo user afresh
                await uow.users.delete(old.id)
                await uow.commit()
        await sign_up(services, PLATFORM_USER_EMAIL, password)
        state["platform_user"] = {"email": PLATFORM_USER_EMAIL, "password": password}


def cli_command_line(data_dir: Path, *args: str) -> str:
    """A command line that works pasted into any shell, in any folder, while the demo runs: this
    installation's `perpdesk` with the demo's data directory (settings.json there gives the rest)."""
    script = Path(sys.executable).parent / "perpdesk"
    program = shlex.quote(str(script)) if script.exists() else f"{shlex.quote(sys.executable)} -m perpdesk"
    env = f"PERPDESK_DATA_DIR={shlex.quote(str(data_dir.resolve()))}"
    return " ".join([env, program, *(shlex.quote(a) for a in args)])


def _banner(settings: Settings, sandbox_url: str, binance_url: str, state: dict[str, Any]) -> str:
    import pyotp

    p, sx = state["platform_user"], state["sandbox_user"]
    code = pyotp.TOTP(sx["totp_secret"]).now()
    one_click = f"{settings.public_url}/demo/enter?token={state['enter_token']}"
    return "\n".join(
        [
            "",
            "perpdesk demo is running (Ctrl+C stops it)",
            "",
            "  Start here (signs you in, opens Settings > Exchange Account API Keys):",
            f"    {one_click}",
            "",
            f"  Platform   {settings.public_url}/signin",
            f"    email     {p['email']}",
            f"    password  {p['password']}",
            "",
            f"  BitMart Futures sandbox   {sandbox_url}/",
            f"    email        {sx['email']}",
            f"    password     {sx['password']}",
            f"    2FA secret   {sx['totp_secret']}  (add it to an authenticator app; code now: {code})",
            f"    futures balance: {DEMO_USDT} USDT test money; futures API whitelisted",
            "    a fresh 2FA code: .venv/bin/python -c "
            f"\"import pyotp;print(pyotp.TOTP('{sx['totp_secret']}').now())\"",
            f"    admin token  {state['sandbox_admin_token']}  (sandbox admin API and CLI), e.g.:",
            "      .venv/bin/perpdesk sandbox admin set-price --symbol BTCUSDT --price 95000"
            f" --url {sandbox_url} --token {state['sandbox_admin_token']}",
            "",
            *binance_banner(state, sandbox_url, binance_url),
            "  Command line (in another terminal, from any folder, while the demo runs), e.g.:",
            f"    {cli_command_line(settings.data_dir, 'portfolio', '--user', p['email'])}",
            f"    {cli_command_line(settings.data_dir, 'accounts', 'list', '--user', p['email'])}",
            "    (and trade, vault: see --help; add --json for JSON)",
            "",
            f"  Platform egress IP (whitelist this on API keys): {', '.join(settings.egress_ips)}",
            f"  Email (sign-up and password reset links) is caught, one .eml file each, in "
            f"{(settings.data_dir / 'mail').resolve()}",
            f"  Data: {settings.data_dir.resolve()}",
            "",
        ]
    )


async def run_demo(
    *, data_dir: Path, host: str = "127.0.0.1", port: int = 8800, sandbox_port: int = 8810
) -> None:
    from perpdesk.log_config import configure_logging
    from perpdesk.sandbox.app import create_app as create_sandbox_app
    from perpdesk.sandbox.context import SandboxConfig
    from perpdesk.sandbox.server import binance_uvicorn_config
    from perpdesk.sandbox.server import uvicorn_config as sandbox_uvicorn_config
    from perpdesk.vault import ensure_keyring_file
    from perpdesk.web.app import create_app
    from perpdesk.web.server import uvicorn_config

    _check_free(host, port, "--port")
    _check_free(host, sandbox_port, "--sandbox-port")
    _check_free(host, sandbox_port + 1, "--sandbox-port (+1, the Binance dialect)")
    state_path = data_dir / "demo.json"
    state = await asyncio.to_thread(_prepare, data_dir, state_path)
    sandbox_state = str(data_dir / "sandbox.sqlite3")
    try:
        held = lock_state(sandbox_state)  # for the demo's life; its sandbox takes it again
    except StateInUse:
        raise DataDirInUse(
            f"another perpdesk demo is using {data_dir}; stop it (Ctrl+C in its terminal) "
            "or give this one another --data-dir"
        ) from None
    state.setdefault("sandbox_admin_token", secrets.token_urlsafe(24))
    state.setdefault("enter_token", secrets.token_urlsafe(24))
    sandbox_url = f"http://{host}:{sandbox_port}"
    binance_url = f"http://{host}:{sandbox_port + 1}"

    base = load_settings(data_dir=data_dir, host=host, port=port)
    configure_logging(base.log_level, json_lines=False)
    key_file = base.master_key_file or base.default_master_key_file()
    if not base.master_key and await asyncio.to_thread(ensure_keyring_file, key_file):
        print(f"created the vault's master key: {key_file} (back it up)", file=sys.stderr)

    sandbox_cfg = SandboxConfig(
        host=host,
        port=sandbox_port,
        state_path=sandbox_state,
        admin_token=state["sandbox_admin_token"],
        public_url=sandbox_url,
        auto_whitelist_after=30.0,  # a whitelist request made in the demo is approved after 30 s
        binance_port=sandbox_port + 1,  # the Binance USDⓈ-M dialect (docs/sandbox-binance.md)
    )
    sandbox_app = create_sandbox_app(sandbox_cfg)
    sandbox_server = _Server(sandbox_uvicorn_config(sandbox_cfg, sandbox_app))
    binance_server = _Server(binance_uvicorn_config(sandbox_cfg, sandbox_app))
    servers: list[uvicorn.Server] = [sandbox_server, binance_server]

    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)

    sandbox_task = asyncio.create_task(sandbox_server.serve(), name="sandbox")
    binance_task = asyncio.create_task(binance_server.serve(), name="sandbox-binance")
    platform_task: asyncio.Task[None] | None = None
    mail_dir = data_dir / "mail"
    catcher = await start_mail_catcher(mail_dir, host)  # the demo's outbox: reset links land here
    try:
        await _wait_started(sandbox_server, sandbox_task, "the sandbox")
        await _wait_started(binance_server, binance_task, "the sandbox's Binance port")
        to_sandbox: dict[str, Any] = {
            "data_dir": data_dir,
            "host": host,
            "port": port,
            "bitmart_api_url": sandbox_url,
            "bitmart_web_url": sandbox_url,
            "bitmart_ws_url": f"ws://{host}:{sandbox_port}/user?protocol=1.1",
            "binance_api_url": binance_url,
            "binance_web_url": sandbox_url,
            "binance_ws_url": f"ws://{host}:{sandbox_port + 1}",
            "egress_ips": ["127.0.0.1"],
            "smtp_host": host,
            "smtp_port": catcher.sockets[0].getsockname()[1],
            "smtp_security": "none",
            "webhook_allow_private": True,  # the demo runs on loopback: a receiver there is fine
        }
        settings = load_settings(**to_sandbox)
        # the CLI, given this data directory, reaches the same sandbox (environment variables win)
        saved = {k: v for k, v in to_sandbox.items() if k in SAVABLE}
        await asyncio.to_thread(_save_state, data_dir / SAVED_SETTINGS_FILE, saved)
        await _seed_sandbox(
            sandbox_url,
            state["sandbox_admin_token"],
            state,
            settings.fast_connect_redirect_uri,
            settings.egress_ips,
        )
        # again, now with the OAuth client the seeding registered
        settings = load_settings(
            **to_sandbox,
            fast_connect_client_id=state["oauth"]["client_id"],
            fast_connect_client_secret=state["oauth"]["client_secret"],
        )
        app = create_app(settings)
        app.include_router(demo_router(state["enter_token"], PLATFORM_USER_EMAIL))
        await _seed_platform(app, state)
        await asyncio.to_thread(_save_state, state_path, state)

        platform_server = _Server(uvicorn_config(app, settings, access_log=False))
        servers.append(platform_server)
        platform_task = asyncio.create_task(platform_server.serve(), name="platform")
        await _wait_started(platform_server, platform_task, "the platform")
        print(_banner(settings, sandbox_url, binance_url, state), flush=True)
        await asyncio.gather(sandbox_task, binance_task, platform_task)
    finally:
        stop()
        catcher.close()
        unlock_state(held)
        for task in (sandbox_task, binance_task, platform_task):
            if task is not None and not task.done():
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(task, 10)
