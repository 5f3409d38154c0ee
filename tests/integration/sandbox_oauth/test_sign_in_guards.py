"""Sandbox sign-in security: the outbox is the signed-in user's own, password attempts are
throttled, an authenticator code works once, and the email-code Send button has a cooldown."""

from __future__ import annotations

import httpx

from tests.fixtures.sandbox import SandboxServer, fresh_totp
from tests.integration.sandbox_oauth.conftest import new_user
from tests.integration.sandbox_oauth.flow import csrf_of, signed_in_client


def _password_step(base_url: str, user: dict[str, str]) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url, follow_redirects=True, timeout=10)
    page = client.get("/sign-in")
    page = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "email": user["email"],
                                         "password": user["password"]})  # fmt: skip
    assert page.url.path == "/sign-in/verify", page.text[:300]
    return client, csrf_of(page.text)


def test_outbox_shows_only_the_signed_in_users_mail(sandbox: SandboxServer) -> None:
    alice, bob = new_user(sandbox), new_user(sandbox)
    with httpx.Client(base_url=sandbox.base_url, follow_redirects=True, timeout=10) as anonymous:
        page = anonymous.get("/outbox", params={"email": bob["email"]})
        assert page.url.path == "/sign-in"
    # bob has a sign-in code waiting; someone who knows only his password cannot read it
    bob_client, token = _password_step(sandbox.base_url, bob)
    bob_client.post("/sign-in/verify", data={"csrf_token": token, "action": "send", "method": "email"})
    assert bob_client.get("/outbox").url.path == "/sign-in"
    bob_client.close()
    alice_browser = signed_in_client(sandbox.base_url, alice)
    try:
        page = alice_browser.get("/outbox", params={"email": bob["email"]})
        assert page.status_code == 200 and "sign-in verification code" not in page.text
        assert bob["email"] not in page.text
    finally:
        alice_browser.close()
    assert any("sign-in" in m["subject"] for m in sandbox.admin.outbox(bob["email"]))  # operators still can


def test_an_authenticator_code_signs_in_once(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    code = fresh_totp(user["totp_secret"])
    first, t1 = _password_step(sandbox.base_url, user)
    second, t2 = _password_step(sandbox.base_url, user)
    try:
        ok = first.post("/sign-in/verify", data={"csrf_token": t1, "method": "authenticator", "code": code})
        assert ok.url.path == "/api-config"
        again = second.post(
            "/sign-in/verify", data={"csrf_token": t2, "method": "authenticator", "code": code}
        )
        assert again.status_code == 400 and "not correct" in again.text
        assert second.get("/api-config").url.path == "/sign-in"
    finally:
        first.close()
        second.close()


def test_password_attempts_are_throttled(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    with httpx.Client(base_url=sandbox.base_url, follow_redirects=True, timeout=10) as client:
        token = csrf_of(client.get("/sign-in").text)
        for _ in range(5):
            page = client.post(
                "/sign-in", data={"csrf_token": token, "email": user["email"], "password": "wrong-pw-1"}
            )
            assert page.status_code == 400
        page = client.post("/sign-in", data={"csrf_token": token, "email": user["email"],
                                             "password": user["password"]})  # fmt: skip
        assert page.status_code == 429 and "Too many sign-in attempts" in page.text
        assert page.url.path == "/sign-in"


def test_email_code_send_has_a_cooldown(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    client, token = _password_step(sandbox.base_url, user)
    try:
        sent = client.post("/sign-in/verify", data={"csrf_token": token, "action": "send", "method": "email"})
        assert "A verification code was sent" in sent.text
        again = client.post(
            "/sign-in/verify", data={"csrf_token": token, "action": "send", "method": "email"}
        )
        assert again.status_code == 400 and "before sending another code" in again.text
    finally:
        client.close()
    assert len([m for m in sandbox.admin.outbox(user["email"]) if "sign-in" in m["subject"]]) == 1


def test_wrong_authenticator_codes_count_toward_the_throttle(sandbox: SandboxServer) -> None:
    user = new_user(sandbox)
    client, token = _password_step(sandbox.base_url, user)
    try:
        for _ in range(5):
            page = client.post(
                "/sign-in/verify", data={"csrf_token": token, "method": "authenticator", "code": "000000"}
            )
        assert "Too many wrong codes" in page.text
        page = client.post(
            "/sign-in", data={"csrf_token": token, "email": user["email"], "password": user["password"]}
        )
        assert page.status_code == 429 and "Too many sign-in attempts" in page.text
    finally:
        client.close()
