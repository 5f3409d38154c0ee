"""The exchange's pages over plain HTTP: session cookie, CSRF, refusals, key edit and delete."""

from __future__ import annotations

import re

import httpx

from tests.fixtures.sandbox import SandboxServer, fresh_totp
from tests.integration.sandbox_oauth.conftest import new_user
from tests.integration.sandbox_oauth.flow import csrf_of, signed_in_client


def test_session_cookie_csrf_and_headers(sandbox: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox.base_url) as client:
        assert "Sign Up" in client.get("/").text
        page = client.get("/sign-in")
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert 'for="email"' in page.text and 'for="password"' in page.text
        # A form without its CSRF token is refused and signs nobody in.
        user = new_user(sandbox)
        forged = client.post("/sign-in", data={"email": user["email"], "password": user["password"]})
        assert forged.status_code == 403


def test_sign_in_refusals(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    with httpx.Client(base_url=sandbox.base_url, follow_redirects=True) as client:
        token = csrf_of(client.get("/sign-in").text)
        for email, password in ((user["email"], "wrong-password"), ("nobody@example.com", "whatever1")):
            page = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})
            assert page.status_code == 400 and "Incorrect email or password." in page.text
        page = client.post("/sign-in", data={"csrf_token": token, "email": user["email"],
                                             "password": user["password"]})
        assert page.url.path == "/sign-in/verify"
        for _ in range(4):
            page = client.post("/sign-in/verify", data={"csrf_token": token, "method": "authenticator",
                                                        "code": "12345x"})
            assert page.status_code == 400
            assert "Google Authenticator code: the code is not correct" in page.text
        page = client.post("/sign-in/verify", data={"csrf_token": token, "method": "authenticator",
                                                    "code": "000000"})
        assert "Too many wrong codes" in page.text
        # The pending sign-in is gone: the right code no longer signs in.
        page = client.post("/sign-in/verify", data={"csrf_token": token, "method": "authenticator",
                                                    "code": fresh_totp(user["totp_secret"])})
        assert page.url.path == "/sign-in"
        assert client.get("/api-config").url.path == "/sign-in"


def test_sign_in_returns_to_the_page_asked_for(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    with httpx.Client(base_url=sandbox.base_url, follow_redirects=True) as client:
        assert client.get("/assets").url.path == "/sign-in"
        token = csrf_of(client.get("/sign-in").text)
        client.post("/sign-in",
                    data={"csrf_token": token, "email": user["email"], "password": user["password"]})
        page = client.post("/sign-in/verify", data={"csrf_token": token, "method": "authenticator",
                                                    "code": fresh_totp(user["totp_secret"])})
        assert page.url.path == "/assets"


def test_create_edit_delete_key(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    browser = signed_in_client(sandbox.base_url, user)
    token = csrf_of(browser.get("/api-config").text)
    too_many = ", ".join(f"10.0.0.{i}" for i in range(1, 22))
    page = browser.post("/api-config/create",
                        data={"csrf_token": token, "memo": "m1", "ip_whitelist": too_many})
    assert page.status_code == 400 and "21 addresses given" in page.text and "at most 20" in page.text
    page = browser.post("/api-config/create", data={"csrf_token": token, "memo": "bad#memo"})
    assert page.status_code == 400 and "Memo:" in page.text
    page = browser.post("/api-config/create", data={"csrf_token": token, "memo": "m1", "future_trade": "on",
                                                    "ip_whitelist": "127.0.0.1\n127.0.0.2"})
    assert "Security verification" in page.text
    # Submit without the email code, and with a wrong one: refused, nothing created.
    page = browser.post("/api-config/create/verify",
                        data={"csrf_token": token, "action": "submit", "totp_code": "123456"})
    assert page.status_code == 400 and "Email verification code: required" in page.text
    browser.post("/api-config/create/verify", data={"csrf_token": token, "action": "send"})
    outbox = browser.get("/outbox", params={"email": user["email"]})
    assert outbox.status_code == 200 and "API key verification code" in outbox.text
    code = re.search(r"\d{6}", sandbox.admin.outbox(user["email"])[-1]["body"]).group(0)  # type: ignore[union-attr]
    wrong = "000000" if code != "000000" else "111111"
    page = browser.post("/api-config/create/verify", data={"csrf_token": token, "action": "submit",
                                                           "email_code": wrong, "totp_code": "000000"})
    assert page.status_code == 400 and "not correct" in page.text
    page = browser.post("/api-config/create/verify", data={
        "csrf_token": token, "action": "submit", "email_code": code,
        "totp_code": fresh_totp(user["totp_secret"])})
    assert page.status_code == 200 and "API key created" in page.text
    assert page.headers["cache-control"] == "no-store"
    api_key = re.search(r'id="access-key" readonly value="([0-9a-f]{40})"', page.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="secret-key" readonly value="([0-9a-f]{64})"', page.text).group(1)  # type: ignore[union-attr]
    listing = browser.get("/api-config").text
    assert api_key in listing and secret not in listing

    # Edit: IPs and permissions, with the authenticator code.
    edit = browser.get(f"/api-config/{api_key}/edit")
    assert "127.0.0.2" in edit.text and secret not in edit.text
    page = browser.post(f"/api-config/{api_key}/edit", data={"csrf_token": token, "ip_whitelist": "127.0.0.9",
                                                              "spot_trade": "on", "totp_code": "000000"})
    assert page.status_code == 400 and "Google Authenticator code" in page.text
    page = browser.post(f"/api-config/{api_key}/edit", data={
        "csrf_token": token, "ip_whitelist": "127.0.0.9", "spot_trade": "on",
        "totp_code": fresh_totp(user["totp_secret"])})
    row = page.text[page.text.index(f'data-api-key="{api_key}"'):]
    assert "127.0.0.9" in row[:600] and "spot_trade" in row[:600] and "future_trade" not in row[:600]

    # Another user cannot see or touch the key.
    other = signed_in_client(sandbox.base_url, new_user(sandbox))
    assert other.get(f"/api-config/{api_key}/edit").status_code == 404
    other.post(f"/api-config/{api_key}/delete", data={"csrf_token": csrf_of(other.get("/api-config").text)})
    assert api_key in browser.get("/api-config").text

    browser.post(f"/api-config/{api_key}/delete", data={"csrf_token": token})
    assert api_key not in browser.get("/api-config").text
