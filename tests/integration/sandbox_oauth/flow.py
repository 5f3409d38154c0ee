"""Drive the sandbox's sign-in and Fast Connect consent over plain HTTP (no browser)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.fixtures.sandbox import fresh_totp

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CONSENT = re.compile(r'name="consent_id" value="([^"]+)"')
_RETURN = re.compile(r'id="return-link" href="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, html[:2000]
    return match.group(1)


def signed_in_client(base_url: str, user: dict[str, Any]) -> httpx.Client:
    client = httpx.Client(base_url=base_url, follow_redirects=True, timeout=10)
    page = client.get("/sign-in")
    page = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "email": user["email"],
                                         "password": user["password"]})
    assert page.url.path == "/sign-in/verify", page.text[:500]
    page = client.post("/sign-in/verify", data={"csrf_token": csrf_of(page.text), "method": "authenticator",
                                                "code": fresh_totp(user["totp_secret"])})
    assert page.url.path == "/api-config", page.text[:500]
    return client


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(client_id: str, redirect_uri: str, challenge: str, state: str, **extra: str) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
              "scope": "future_trade", "state": state, "code_challenge": challenge,
              "code_challenge_method": "S256", "ip_whitelist": "127.0.0.1", **extra}
    return "/oauth/authorize?" + urlencode(params)


def consent(browser: httpx.Client, authorize_path: str, decision: str = "confirm",
            spot: bool = False, future: bool = True) -> dict[str, list[str]]:
    """Open the consent page, answer it, return the query the exchange sends to the redirect URI."""
    page = browser.get(authorize_path)
    assert page.status_code == 200, page.text[:1000]
    form = {"csrf_token": csrf_of(page.text), "consent_id": _CONSENT.search(page.text).group(1),  # type: ignore[union-attr]
            "decision": decision}
    if spot:
        form["spot_trade"] = "on"
    if future:
        form["future_trade"] = "on"
    answer = browser.post("/oauth/authorize", data=form, follow_redirects=False)
    if decision == "confirm":
        assert answer.status_code == 200 and "API key created successfully" in answer.text, answer.text[:800]
        location = _RETURN.search(answer.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    else:
        assert answer.status_code == 303
        location = answer.headers["location"]
    return parse_qs(urlsplit(location).query)
