"""The Sub-Accounts page: a main account creates a sub-account that then signs in and trades."""

from __future__ import annotations

import secrets

from tests.fixtures.sandbox import DEFAULT_PASSWORD, SandboxServer
from tests.integration.sandbox_oauth.conftest import new_user
from tests.integration.sandbox_oauth.flow import csrf_of, signed_in_client


def test_main_account_creates_a_sub_account_on_the_page(sandbox: SandboxServer) -> None:
    main = new_user(sandbox)
    sub_email = f"sub-{secrets.token_hex(4)}@example.com"
    browser = signed_in_client(sandbox.base_url, main)
    try:
        page = browser.get("/sub-accounts")
        assert page.status_code == 200 and "No sub-accounts yet." in page.text
        token = csrf_of(page.text)
        bad = browser.post(
            "/sub-accounts", data={"csrf_token": token, "email": "not-an-email", "password": "x"}
        )
        assert bad.status_code == 400 and 'id="email-error"' in bad.text
        short = browser.post(
            "/sub-accounts", data={"csrf_token": token, "email": sub_email, "password": "short"}
        )
        assert short.status_code == 400 and 'id="password-error"' in short.text
        done = browser.post(
            "/sub-accounts", data={"csrf_token": token, "email": sub_email, "password": DEFAULT_PASSWORD}
        )
        assert done.status_code == 200 and done.url.query == b"done=created"
        assert sub_email in done.text
    finally:
        browser.close()
    info = sandbox.admin.user(sub_email)
    assert info["parent_uid"] == sandbox.admin.user(main["email"])["uid"]
    assert sandbox.admin.user(main["email"])["sub_accounts"] == [sub_email]
