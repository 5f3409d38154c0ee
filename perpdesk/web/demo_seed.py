"""What `perpdesk demo` creates at its sandbox through the admin API: sandbox users (funded,
with 2FA), and the Binance user's API key (Enable Futures, the platform's IPs as trusted IPs),
ready to paste into Manual connect. Kept in the demo's state so a restart prints the same ones."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

BINANCE_USER_EMAIL = "demo-binance@sandbox.local"
DEMO_USDT = "10000"


async def new_sandbox_user(http: httpx.AsyncClient, email: str, *, whitelisted: bool) -> dict[str, Any]:
    """A sandbox user with DEMO_USDT in its futures wallet: its email, password, 2FA secret, uid."""
    password = "Demo-" + secrets.token_urlsafe(12)
    r = await http.post(
        "/sandbox-admin/users",
        json={
            "email": email,
            "password": password,
            "futures_deposit": {"USDT": DEMO_USDT},
            "whitelisted": whitelisted,
        },
    )
    r.raise_for_status()
    doc = r.json()
    doc = doc.get("data", doc)
    return {"email": email, "password": password, "totp_secret": doc["totp_secret"], "uid": doc.get("uid")}


async def seed_binance(http: httpx.AsyncClient, state: dict[str, Any], ips: list[str]) -> None:
    """The Binance sandbox user and its key, once (both persist in the sandbox's state)."""
    if "binance_user" in state:
        return
    user = await new_sandbox_user(http, BINANCE_USER_EMAIL, whitelisted=True)
    r = await http.post(
        "/sandbox-admin/keys",
        json={"email": BINANCE_USER_EMAIL, "dialect": "binance", "permissions": ["future_trade"], "ip": ips,
              "label": "perpdesk demo"},
    )
    r.raise_for_status()
    key = r.json()
    key = key.get("data", key)
    state["binance_user"] = {**user, "api_key": key["api_key"], "secret_key": key["secret_key"]}


def binance_banner(state: dict[str, Any], sandbox_url: str, binance_url: str) -> list[str]:
    import pyotp

    bx = state["binance_user"]
    return [
        f"  Binance USDⓈ-M Futures sandbox   {binance_url}/fapi/v1/ping",
        f"    email        {bx['email']}",
        f"    password     {bx['password']}",
        f"    2FA secret   {bx['totp_secret']}  (code now: {pyotp.TOTP(bx['totp_secret']).now()})",
        f"    futures balance: {DEMO_USDT} USDT test money",
        f"    API Key      {bx['api_key']}",
        f"    Secret Key   {bx['secret_key']}",
        "    (Enable Futures, restricted to the platform's IP: paste both into Manual connect > Binance)",
        f"    its API Management page: {sandbox_url}/binance/api-management (sign in as above)",
        "",
    ]
