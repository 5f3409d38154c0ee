"""Fast Connect authorisation server: the happy path (raw HTTP and Authlib) and every refusal."""

from __future__ import annotations

import os
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bitmart.api_contract import APIContract

from perpdesk.sandbox.web.oauth_grants import CODE_TTL_S
from tests.fixtures.sandbox import SandboxServer
from tests.integration.sandbox_oauth.conftest import make_client, new_user
from tests.integration.sandbox_oauth.flow import authorize_params, consent, pkce_pair, signed_in_client


def _redeem(server: SandboxServer, client: dict, code: str, verifier: str | None,
            redirect_uri: str | None = None, secret: str | None = None) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": redirect_uri or client["redirect_uris"][0]}
    if verifier is not None:
        form["code_verifier"] = verifier
    return httpx.post(server.base_url + "/oauth/token", data=form,
                      auth=(client["client_id"], secret or client["client_secret"]), timeout=10)


def _grant(server: SandboxServer, client: dict, spot: bool = False) -> tuple[str, str, httpx.Client]:
    user = new_user(server)
    browser = signed_in_client(server.base_url, user)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    query = consent(browser, authorize_params(client["client_id"], client["redirect_uris"][0], challenge,
                                              state), spot=spot)
    assert query["state"] == [state]
    return query["code"][0], verifier, browser


def test_code_redeems_once_and_key_works(sandbox: SandboxServer) -> None:
    client = make_client(sandbox)
    code, verifier, browser = _grant(sandbox, client)
    answer = _redeem(sandbox, client, code, verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "future_trade"
    assert token["permissions"] == ["read", "future_trade"]
    assert token["ip_whitelist"] == ["127.0.0.1"]
    assert token["memo"].startswith("fastconnect") and len(token["secret_key"]) == 64
    # The key is real: the official SDK reads the futures assets with it.
    api = APIContract(token["api_key"], token["secret_key"], token["memo"], url=sandbox.base_url)
    assert api.get_assets_detail()[0]["code"] == 1000
    # The key shows at the exchange as a Fast Connect key; its secret never does.
    page = browser.get("/api-config").text
    assert token["api_key"] in page and "Fast Connect" in page and token["secret_key"] not in page

    # Second redemption: refused, and the key issued by the first is revoked (RFC 6749 §4.1.2).
    again = _redeem(sandbox, client, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert token["api_key"] not in browser.get("/api-config").text


def test_authlib_client_with_pkce(sandbox: SandboxServer) -> None:
    from authlib.integrations.requests_client import OAuth2Session

    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # loopback http in tests
    registered = make_client(sandbox)
    user = new_user(sandbox)
    browser = signed_in_client(sandbox.base_url, user)
    oauth = OAuth2Session(registered["client_id"], registered["client_secret"],
                         redirect_uri=registered["redirect_uris"][0], scope="future_trade",
                         code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    verifier = secrets.token_urlsafe(48)
    url, state = oauth.create_authorization_url(sandbox.base_url + "/oauth/authorize",
                                                code_verifier=verifier, ip_whitelist="127.0.0.2")
    query = consent(browser, url.removeprefix(sandbox.base_url), spot=True)
    callback = registered["redirect_uris"][0] + "?" + "&".join(f"{k}={v[0]}" for k, v in query.items())
    token = oauth.fetch_token(sandbox.base_url + "/oauth/token", authorization_response=callback,
                              code_verifier=verifier, state=state)
    assert token["permissions"] == ["read", "spot_trade", "future_trade"]
    assert token["ip_whitelist"] == ["127.0.0.2"]
    # Revoke (idempotent) deletes the key.
    for _ in range(2):
        gone = httpx.post(sandbox.base_url + "/oauth/revoke", data={"api_key": token["api_key"]},
                          auth=(registered["client_id"], registered["client_secret"]))
        assert gone.status_code == 200 and gone.json() == {}
    assert token["api_key"] not in browser.get("/api-config").text


def test_wrong_or_missing_verifier(sandbox: SandboxServer) -> None:
    client = make_client(sandbox)
    code, verifier, _ = _grant(sandbox, client)
    missing = _redeem(sandbox, client, code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = _redeem(sandbox, client, code, verifier[::-1])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_wrong_client_secret_and_foreign_client(sandbox: SandboxServer) -> None:
    client = make_client(sandbox)
    other = make_client(sandbox)
    code, verifier, _ = _grant(sandbox, client)
    bad = _redeem(sandbox, client, code, verifier, secret="not-the-secret")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert bad.headers["cache-control"] == "no-store"
    stolen = httpx.post(sandbox.base_url + "/oauth/token",
                        data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                              "redirect_uri": client["redirect_uris"][0]},
                        auth=(other["client_id"], other["client_secret"]))
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    # The refusals did not burn the code for its rightful client.
    assert _redeem(sandbox, client, code, verifier).status_code == 200


def test_wrong_redirect_uri(sandbox: SandboxServer) -> None:
    client = make_client(sandbox)
    user = new_user(sandbox)
    browser = signed_in_client(sandbox.base_url, user)
    _, challenge = pkce_pair()
    evil = "http://127.0.0.1:1/steal"
    page = browser.get(authorize_params(client["client_id"], evil, challenge, "s1"), follow_redirects=False)
    # Shown at the exchange, never redirected to the unregistered URI.
    assert page.status_code == 400 and "location" not in page.headers
    assert "invalid_request" in page.text or "redirect" in page.text.lower()
    near = client["redirect_uris"][0] + "/"
    page = browser.get(authorize_params(client["client_id"], near, challenge, "s1"), follow_redirects=False)
    assert page.status_code == 400 and "location" not in page.headers
    unknown = browser.get(authorize_params("bm_nope", client["redirect_uris"][0], challenge, "s1"),
                          follow_redirects=False)
    assert unknown.status_code == 400 and "location" not in unknown.headers
    # At the token endpoint, the redirect_uri must equal the one of the authorisation request.
    code, verifier, _ = _grant(sandbox, client)
    mismatch = _redeem(sandbox, client, code, verifier, redirect_uri=near)
    assert mismatch.status_code == 400 and mismatch.json()["error"] in ("invalid_request", "invalid_grant")


def test_plain_pkce_and_foreign_ips_refused(sandbox: SandboxServer) -> None:
    client = make_client(sandbox)
    user = new_user(sandbox)
    browser = signed_in_client(sandbox.base_url, user)
    redirect_uri = client["redirect_uris"][0]
    page = browser.get(authorize_params(client["client_id"], redirect_uri, "x" * 43, "s2",
                                        code_challenge_method="plain"), follow_redirects=False)
    assert page.status_code == 303
    assert parse_qs(urlsplit(page.headers["location"]).query)["error"] == ["invalid_request"]
    page = browser.get(authorize_params(client["client_id"], redirect_uri, "x" * 43, "s3",
                                        ip_whitelist="127.0.0.1,10.9.9.9"), follow_redirects=False)
    query = parse_qs(urlsplit(page.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and "10.9.9.9" in query["error_description"][0]
    assert query["state"] == ["s3"]


def test_access_denied(sandbox: SandboxServer) -> None:
    client = make_client(sandbox)
    user = new_user(sandbox)
    browser = signed_in_client(sandbox.base_url, user)
    _, challenge = pkce_pair()
    query = consent(browser, authorize_params(client["client_id"], client["redirect_uris"][0], challenge,
                                              "deny-me"), decision="cancel")
    assert query["error"] == ["access_denied"] and query["state"] == ["deny-me"]
    assert "Fast Connect" not in browser.get("/api-config").text  # no key was created


def test_expired_code(sandbox: SandboxServer) -> None:
    client = make_client(sandbox)
    in_time, in_time_verifier, _ = _grant(sandbox, client)
    code, verifier, browser = _grant(sandbox, client)
    assert "Fast Connect" in browser.get("/api-config").text
    # BitMart's 5 minutes, less 30 s: the real seconds this test takes on a busy machine count too
    sandbox.admin.advance_identity_clock(CODE_TTL_S - 30)
    assert _redeem(sandbox, client, in_time, in_time_verifier).status_code == 200
    sandbox.admin.advance_identity_clock(31)  # past 5 minutes since the second code, whatever ran
    late = _redeem(sandbox, client, code, verifier)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    # The key behind a code that was never redeemed is revoked: nobody can ever receive its secret.
    assert "Fast Connect" not in browser.get("/api-config").text


def test_revoke_only_own_keys(sandbox: SandboxServer) -> None:
    client = make_client(sandbox)
    other = make_client(sandbox)
    code, verifier, _ = _grant(sandbox, client)
    token = _redeem(sandbox, client, code, verifier).json()
    refused = httpx.post(sandbox.base_url + "/oauth/revoke", data={"api_key": token["api_key"]},
                         auth=(other["client_id"], other["client_secret"]))
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"
    unauth = httpx.post(sandbox.base_url + "/oauth/revoke", data={"api_key": token["api_key"]},
                        auth=(client["client_id"], "wrong"))
    assert unauth.status_code == 401 and unauth.json()["error"] == "invalid_client"
    by_token = httpx.post(sandbox.base_url + "/oauth/revoke", data={"token": token["access_token"]},
                          auth=(client["client_id"], client["client_secret"]))
    assert by_token.status_code == 200
    api = APIContract(token["api_key"], token["secret_key"], token["memo"], url=sandbox.base_url)
    with pytest.raises(Exception):  # noqa: B017 - the SDK raises its own error type for 4xx
        api.get_assets_detail()
