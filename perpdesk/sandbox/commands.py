"""`perpdesk sandbox`: run the local BitMart exchange, and `perpdesk sandbox admin ...` to drive it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from perpdesk.sandbox.admin_client import AdminCallError, AdminClient

app = typer.Typer(help="The local BitMart Futures sandbox exchange.", invoke_without_command=True)
admin_app = typer.Typer(help="Drive a running sandbox through its admin API.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


@app.callback()
def sandbox(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8810, help="Port to listen on."),
    state: str = typer.Option(":memory:", "--state", help="SQLite state file (':memory:' = throw-away)."),
    admin_token: str = typer.Option(
        "", envvar="PERPDESK_SANDBOX_ADMIN_TOKEN", help="Admin API token; generated and printed when empty."
    ),
    auto_whitelist_after: float | None = typer.Option(
        None, help="Approve futures API whitelist requests automatically after this many seconds."
    ),
    seed: int = typer.Option(1, help="Seed of the deterministic price process."),
    price_interval: float = typer.Option(1.0, help="Seconds between price ticks."),
    funding_interval: float = typer.Option(8 * 3600.0, help="Seconds between funding settlements."),
    rate_limit_factor: float = typer.Option(
        1.0, help="Scale BitMart's rate limits (0 = off; for benchmarks)."
    ),
    public_url: str = typer.Option("", help="URL browsers use to reach the sandbox pages."),
    timestamp_window_ms: int = typer.Option(
        60_000, min=1, max=60_000, help="X-BM-TIMESTAMP window (BitMart: 60000); tests shorten it."
    ),
    binance_port: int | None = typer.Option(
        None, help="Also serve the Binance USDⓈ-M Futures dialect on this port (off unless given)."
    ),
    oauth_code_ttl: float | None = typer.Option(
        None, envvar="PERPDESK_SANDBOX_OAUTH_CODE_TTL", min=0.1,
        help="Seconds a Fast Connect authorisation code stays valid (BitMart: 300); tests shorten it.",
    ),
    ws_per_address: int = typer.Option(
        500, min=1, max=100_000,
        help="WebSocket connections served per client address (BitMart: 500); benchmarks raise it.",
    ),
) -> None:
    """Run the sandbox (when no sub-command is given)."""
    if ctx.invoked_subcommand is not None:
        return
    from perpdesk.sandbox.context import SandboxConfig
    from perpdesk.sandbox.server import run_sandbox

    config = SandboxConfig(
        host=host,
        port=port,
        state_path=state,
        admin_token=admin_token,
        auto_whitelist_after=auto_whitelist_after,
        seed=seed,
        price_interval_s=price_interval,
        funding_interval_s=funding_interval,
        public_url=public_url or f"http://{host}:{port}",
        timestamp_window_ms=timestamp_window_ms,
        rate_limit_factor=rate_limit_factor,
        oauth_code_ttl_s=oauth_code_ttl,
        binance_port=binance_port,
        ws_per_address=ws_per_address,
    )
    from perpdesk.sandbox.persist import StateInUse, lock_state

    try:
        lock_state(state)  # held until exit: refused here, not half-way through the start-up
    except StateInUse as exc:
        typer.secho(f"perpdesk sandbox: {exc}; stop it or give --state another file", fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"BitMart Futures sandbox on http://{host}:{port} (state: {state})", err=True)
    if binance_port is not None:
        typer.echo(f"Binance USDⓈ-M Futures sandbox on http://{host}:{binance_port}", err=True)
    run_sandbox(config)


DEFAULT_URL = "http://127.0.0.1:8810"
_state: dict[str, Any] = {}
# --url/--token go before the sub-command or after it (or come from the environment).
URL_OPT = typer.Option(
    None, "--url", envvar="PERPDESK_SANDBOX_URL", help=f"Sandbox base URL [{DEFAULT_URL}]."
)
TOKEN_OPT = typer.Option(None, "--token", envvar="PERPDESK_SANDBOX_ADMIN_TOKEN", help="Admin token.")


@admin_app.callback()
def admin(url: str | None = URL_OPT, token: str | None = TOKEN_OPT) -> None:
    _state["url"], _state["token"] = url, token


def _client(url: str | None, token: str | None) -> AdminClient:
    url = url or _state.get("url") or DEFAULT_URL
    token = token or _state.get("token")
    if not token:
        typer.echo(
            "error: no admin token: give --token T (before or after the command) "
            "or set PERPDESK_SANDBOX_ADMIN_TOKEN",
            err=True,
        )
        raise typer.Exit(2)
    return AdminClient(url, token)


def _run(
    method: str,
    path: str,
    body: dict[str, Any] | None,
    as_json: bool,
    conn: tuple[str | None, str | None] = (None, None),
    **query: Any,
) -> None:
    import httpx  # here, not at the top (see AdminClient)

    client = _client(*conn)
    try:
        result = client.call(method, path, body, **query)
    except AdminCallError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach the sandbox at {client.url}: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        for key, value in result.items() if isinstance(result, dict) else enumerate(result):
            typer.echo(f"{key}: {value}")


def _csv(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _deposits(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        currency, sep, amount = item.partition("=")
        if not sep or not currency or not amount:
            raise typer.BadParameter(f"{item!r}: write deposits as CURRENCY=AMOUNT, e.g. USDT=1000")
        out[currency.strip().upper()] = amount.strip()
    return out


JSON_OPT = typer.Option(False, "--json", help="Print JSON.")


@admin_app.command("create-user")
def create_user(
    email: str = typer.Option(...),
    password: str = typer.Option(..., help="At least 8 characters."),
    whitelisted: bool = typer.Option(False, "--whitelisted", help="Whitelist the account for futures API."),
    deposit: list[str] = typer.Option([], help="CURRENCY=AMOUNT credited to the spot wallet; repeatable."),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Register a user; prints uid, email and TOTP secret."""
    body = {"email": email, "password": password, "whitelisted": whitelisted, "deposit": _deposits(deposit)}
    _run("POST", "/users", body, as_json, (url, token))


@admin_app.command("create-key")
def create_key(
    email: str = typer.Option(...),
    memo: str = typer.Option("", help="The key's memo (the passphrase clients send); BitMart keys only."),
    permissions: str = typer.Option("future_trade", help="Comma list of spot_trade,future_trade,withdraw."),
    ip: str = typer.Option("", help="Comma list of IPv4 addresses the key may be used from."),
    label: str = typer.Option(""),
    dialect: str = typer.Option("bitmart", help="bitmart, or binance (a key for the Binance port)."),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Create an API key; prints api_key, secret_key and memo."""
    body = {"email": email, "memo": memo, "permissions": _csv(permissions), "ip": _csv(ip), "label": label,
            "dialect": dialect}  # fmt: skip
    _run("POST", "/keys", body, as_json, (url, token))


@admin_app.command("whitelist")
def whitelist(
    email: str = typer.Option(...),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Whitelist an account for futures API trading."""
    _run("POST", "/whitelist", {"email": email}, as_json, (url, token))


@admin_app.command("deposit")
def deposit_cmd(
    email: str = typer.Option(...),
    amount: str = typer.Option(...),
    currency: str = typer.Option("USDT"),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Credit a user's spot wallet."""
    _run("POST", "/deposit", {"email": email, "amount": amount, "currency": currency}, as_json, (url, token))


@admin_app.command("set-price")
def set_price(
    symbol: str = typer.Option(...),
    price: str = typer.Option(...),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Set a contract's mark and last price (orders fill and trigger accordingly)."""
    _run("POST", "/price", {"symbol": symbol, "price": price}, as_json, (url, token))


@admin_app.command("settle-funding")
def settle_funding(
    symbol: str = typer.Option(...),
    rate: str = typer.Option("", help="Settle at this rate (e.g. 0.0001); default: the current rate."),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Settle a contract's funding now: longs pay shorts at a positive rate, shorts pay longs else."""
    _run("POST", "/funding", {"symbol": symbol, "rate": rate or None}, as_json, (url, token))


@admin_app.command("freeze-prices")
def freeze_prices(
    unfreeze: bool = typer.Option(False, "--unfreeze", help="Resume the seeded random walk instead."),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Stop (or --unfreeze) the random price walk; set-price and replays still move prices."""
    _run("POST", "/freeze-prices", {"frozen": not unfreeze}, as_json, (url, token))


@admin_app.command("replay-prices")
def replay_prices(
    file: Path = typer.Option(
        ..., "--file", exists=True, dir_okay=False, readable=True, help="SYMBOL,PRICE per line; # comments."
    ),
    clear: bool = typer.Option(False, "--clear", help="Drop prices still queued before adding these."),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Queue marks that the next ticks play back, one per tick per symbol."""
    text = file.read_text(encoding="utf-8")
    _run("POST", "/replay-prices", {"text": text, "clear": clear}, as_json, (url, token))


@admin_app.command("market")
def market(as_json: bool = JSON_OPT, url: str | None = URL_OPT, token: str | None = TOKEN_OPT) -> None:
    """Marks, whether the random walk runs, and the replay prices still queued."""
    _run("GET", "/market", None, as_json, (url, token))


@admin_app.command("fault")
def fault(
    kind: str = typer.Option("", help="latency | http_error | rate_limit | drop | execute_then_drop"),
    path: str = typer.Option(
        "*", help="Endpoint path, e.g. /contract/private/submit-order or /fapi/v1/order, or * for all."
    ),
    method: str | None = typer.Option(None, help="GET, POST, PUT or DELETE (default all)."),
    latency_ms: int = typer.Option(0),
    status: int = typer.Option(
        503, help="HTTP status for http_error (Binance: 500 -1000, 503 -1001, 504 executes then -1007)."
    ),
    times: int | None = typer.Option(None, help="Hit this many requests, then disappear."),
    probability: float = typer.Option(1.0),
    api_key: str | None = typer.Option(None, help="Hit only requests signed with this API key."),
    clear: bool = typer.Option(False, "--clear", help="Remove faults (of --path if given) instead."),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Inject (or --clear) a fault on an endpoint."""
    if clear:
        _run("POST", "/faults/clear", {"path": None if path == "*" else path}, as_json, (url, token))
        return
    if not kind:
        raise typer.BadParameter(
            "give --kind (latency, http_error, rate_limit, drop, execute_then_drop) or --clear"
        )
    body = {
        "kind": kind,
        "path": path,
        "method": method,
        "latency_ms": latency_ms,
        "status": status,
        "times": times,
        "probability": probability,
        "api_key": api_key,
    }
    _run("POST", "/faults", body, as_json, (url, token))


@admin_app.command("create-sub-account")
def create_sub_account(
    email: str = typer.Option(..., help="The main account's email."),
    sub_email: str = typer.Option(..., help="The sub-account's email (its username)."),
    password: str = typer.Option(..., help="At least 8 characters."),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Create a futures sub-account of a main account; prints uid, email and TOTP secret."""
    body = {"email": email, "sub_email": sub_email, "password": password}
    _run("POST", "/sub-accounts", body, as_json, (url, token))


@admin_app.command("create-oauth-client")
def create_oauth_client(
    name: str = typer.Option(...),
    redirect_uri: list[str] = typer.Option(..., help="Exact redirect URI; repeatable."),
    ip: str = typer.Option("", help="Comma list of IPv4 addresses the client's keys are bound to."),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Register a Fast Connect (OAuth) client; prints client_id and client_secret."""
    body = {"name": name, "redirect_uris": redirect_uri, "ip_whitelist": _csv(ip)}
    _run("POST", "/oauth-clients", body, as_json, (url, token))


@admin_app.command("outbox")
def outbox(
    email: str | None = typer.Option(None),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """Emails the sandbox has sent (to one address if given)."""
    _run("GET", "/outbox", None, as_json, (url, token), email=email)


@admin_app.command("user")
def user(
    email: str = typer.Option(...),
    as_json: bool = JSON_OPT,
    url: str | None = URL_OPT,
    token: str | None = TOKEN_OPT,
) -> None:
    """A user's state: whitelisting, whitelist request, keys (never secrets)."""
    _run("GET", "/user", None, as_json, (url, token), email=email)
