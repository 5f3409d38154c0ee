"""Fast Connect at the exchange, in Chromium: the platform's tab opens the exchange in a second
tab; the user signs in, passes 2FA, leaves Spot Trade off and Future-Trade on, confirms; the
exchange shows "API key created successfully" and sends the browser to the platform's redirect
URI with a code that /oauth/token redeems once and only once."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import BrowserContext, expect

from tests.e2e.sandbox.conftest import Shots
from tests.fixtures.sandbox import SandboxServer, fresh_totp
from tests.integration.sandbox_oauth.flow import authorize_params, pkce_pair

pytestmark = pytest.mark.e2e


class _Platform(BaseHTTPRequestHandler):
    """Stands in for the platform: a page with a Connect link, and the callback."""

    authorize_url = ""
    callbacks: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/fast-connect/callback":
            type(self).callbacks.append(parse_qs(parts.query))
            body = b"<h1>Connected</h1>"
        else:
            body = (f'<h1>Platform</h1><a id="connect" target="_blank" href="{self.authorize_url}">'
                    f"Connect</a>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[tuple[str, type[_Platform]]]:
    handler = type("Platform", (_Platform,), {"callbacks": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


async def test_fast_connect_consent_in_second_tab(
    sandbox: SandboxServer,
    browser_context: BrowserContext,
    shot: Shots,
    platform: tuple[str, type[_Platform]],
) -> None:
    platform_url, handler = platform
    redirect_uri = platform_url + "/fast-connect/callback"
    client = sandbox.admin.create_oauth_client("Altrady Test", [redirect_uri], ["127.0.0.1", "127.0.0.2"])
    user = sandbox.admin.create_user(deposit={}, futures_deposit={})
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    handler.authorize_url = sandbox.base_url + authorize_params(
        client["client_id"], redirect_uri, challenge, state, ip_whitelist="127.0.0.1,127.0.0.2",
        label="Fast Connect Futures")

    tab1 = await browser_context.new_page()
    await tab1.goto(platform_url + "/")
    async with browser_context.expect_page() as new_tab:
        await tab1.get_by_role("link", name="Connect").click()
    tab2 = await new_tab.value

    # Sign in at the exchange, then 2FA; the exchange brings the user back to the consent page.
    await tab2.get_by_label("Email").fill(user["email"])
    await tab2.get_by_label("Password").fill(user["password"])
    await tab2.get_by_role("button", name="Sign In").click()
    await tab2.get_by_label("Google Authenticator code").fill(fresh_totp(user["totp_secret"]))
    await tab2.get_by_role("button", name="Submit").click()

    await expect(tab2.get_by_role("heading", name="Altrady Test requests access")).to_be_visible()
    await expect(tab2.locator("#consent-ips")).to_contain_text("127.0.0.2")
    await expect(tab2.get_by_label("Spot Trade")).not_to_be_checked()
    await expect(tab2.get_by_label("Future-Trade")).to_be_checked()
    await tab2.get_by_label("Spot Trade").uncheck()
    await tab2.get_by_label("Future-Trade").check()
    await shot(tab2, "consent")
    await tab2.get_by_role("button", name="Confirm").click()
    await expect(tab2.get_by_role("heading", name="API key created successfully")).to_be_visible()
    await shot(tab2, "created")
    await tab2.wait_for_url(redirect_uri + "?*", timeout=10_000)  # the automatic return to the platform
    await shot(tab2, "back-at-platform")

    query = parse_qs(urlsplit(tab2.url).query)
    assert query["state"] == [state] and handler.callbacks[-1] == query
    form = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect_uri,
            "code_verifier": verifier}
    auth = (client["client_id"], client["client_secret"])
    first = httpx.post(sandbox.base_url + "/oauth/token", data=form, auth=auth)
    assert first.status_code == 200, first.text
    token = first.json()
    assert token["permissions"] == ["read", "future_trade"]
    assert token["ip_whitelist"] == ["127.0.0.1", "127.0.0.2"]
    assert token["key_label"] == "Fast Connect Futures"
    second = httpx.post(sandbox.base_url + "/oauth/token", data=form, auth=auth)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
