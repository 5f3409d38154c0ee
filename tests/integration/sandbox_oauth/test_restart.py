"""A restart of the sandbox keeps browser sessions and unredeemed authorisation codes."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import httpx

from tests.fixtures.sandbox import start_sandbox
from tests.integration.sandbox_oauth.conftest import make_client, new_user
from tests.integration.sandbox_oauth.flow import authorize_params, consent, pkce_pair, signed_in_client


def test_session_and_code_survive_restart() -> None:
    state_path = str(Path(tempfile.mkdtemp(prefix="perpdesk-restart-")) / "state.sqlite")
    first = start_sandbox(state_path)
    try:
        client = make_client(first)
        user = new_user(first)
        browser = signed_in_client(first.base_url, user)
        verifier, challenge = pkce_pair()
        query = consent(browser, authorize_params(client["client_id"], client["redirect_uris"][0],
                                                  challenge, secrets.token_urlsafe(16)))
        cookies = dict(browser.cookies)
    finally:
        first.stop()
    second = start_sandbox(state_path, admin_token=first.admin_token)
    try:
        with httpx.Client(base_url=second.base_url, cookies=cookies, follow_redirects=True) as again:
            assert again.get("/api-config").url.path == "/api-config"  # still signed in
        token = httpx.post(second.base_url + "/oauth/token",
                           data={"grant_type": "authorization_code", "code": query["code"][0],
                                 "redirect_uri": client["redirect_uris"][0], "code_verifier": verifier},
                           auth=(client["client_id"], client["client_secret"]))
        assert token.status_code == 200, token.text
        assert token.json()["permissions"] == ["read", "future_trade"]
    finally:
        second.stop()
