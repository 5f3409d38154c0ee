"""The real platform (`perpdesk serve` on loopback): auth API and pages, CSRF on every form and
call, sessions, 2FA, error pages that echo nothing, and start-up failures that name the setting."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from tests.fixtures.platform import PlatformServer
from tests.fixtures.procs import ROOT

PASSWORD = "correct-horse-battery-9"


def _email() -> str:
    return f"u{secrets.token_hex(5)}@example.com"


@pytest.fixture
async def client(platform: PlatformServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.url, timeout=20) as c:
        yield c


async def csrf(client: httpx.AsyncClient) -> str:
    r = await client.get("/api/auth/csrf")
    assert r.status_code == 200
    token: str = r.json()["csrf_token"]
    return token


def _db(platform: PlatformServer) -> Path:
    return Path(platform.database_url.removeprefix("sqlite+aiosqlite:///"))


def _form_token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "form has a CSRF field"
    return m.group(1)


async def test_openapi_and_health(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/auth/signin" in paths and "/api/me" in paths
    assert not any(p.startswith("/signin") for p in paths)  # pages are not API
    assert (await client.get("/api/health")).json() == {"status": "ok"}


async def test_pages_set_csrf_cookie_and_security_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/signin")
    assert r.status_code == 200
    assert "perpdesk_csrf" in r.cookies
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert '<script src="/static/htmx.min.js"' in r.text
    assert 'hx-headers=\'{"X-CSRF-Token": "' in r.text
    assert (await client.get("/static/htmx.min.js")).status_code == 200


async def test_state_changing_calls_need_a_csrf_token(client: httpx.AsyncClient) -> None:
    body = {"email": _email(), "password": PASSWORD}
    r = await client.post("/api/auth/signup", json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    token = await csrf(client)
    r = await client.post(
        "/api/auth/signup",
        json=body,
        headers={"X-CSRF-Token": token[:-1] + ("1" if token[-1] == "0" else "0")},
    )
    assert r.status_code == 403
    r = await client.post(
        "/api/auth/signup", json=body, headers={"X-CSRF-Token": token, "Origin": "http://evil.example"}
    )
    assert r.status_code == 403 and "another site" in r.json()["error"]["message"]
    r = await client.post("/api/auth/signup", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    # a form post without the hidden field is refused too
    r = await client.post("/signout", data={})
    assert r.status_code == 403 and "This form expired" in r.text


async def test_csrf_token_from_another_browser_does_not_work(platform: PlatformServer) -> None:
    async with httpx.AsyncClient(base_url=platform.url) as a, httpx.AsyncClient(base_url=platform.url) as b:
        token_a = await csrf(a)
        await csrf(b)
        r = await b.post(
            "/api/auth/signup",
            json={"email": _email(), "password": PASSWORD},
            headers={"X-CSRF-Token": token_a},
        )
        assert r.status_code == 403


async def test_signup_signin_me_signout_via_api(client: httpx.AsyncClient, platform: PlatformServer) -> None:
    email = _email()
    h = {"X-CSRF-Token": await csrf(client)}
    r = await client.post("/api/auth/signup", json={"email": email.upper(), "password": PASSWORD}, headers=h)
    assert r.status_code == 201 and r.json()["email"] == email
    cookie = client.cookies["perpdesk_session"]
    me = (await client.get("/api/me")).json()
    assert me["email"] == email and me["totp_enabled"] is False

    # only a hash of the session id is stored
    with sqlite3.connect(_db(platform)) as db:
        hashes = {row[0] for row in db.execute("SELECT id_hash FROM user_sessions")}
    assert hashlib.sha256(cookie.encode()).hexdigest() in hashes and cookie not in hashes

    r = await client.post("/api/auth/signout", headers=h)
    assert r.status_code == 204
    async with httpx.AsyncClient(base_url=platform.url, cookies={"perpdesk_session": cookie}) as replay:
        r = await replay.get("/api/me")  # replaying the old cookie does not work
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_signed_in"

    r = await client.post("/api/auth/signin", json={"email": email, "password": PASSWORD}, headers=h)
    assert r.status_code == 200 and r.json()["mfa_required"] is False
    assert client.cookies["perpdesk_session"] != cookie  # a new session id on every sign-in
    assert (await client.get("/api/me")).status_code == 200


async def test_bad_input_names_the_field_and_echoes_no_secret(client: httpx.AsyncClient) -> None:
    h = {"X-CSRF-Token": await csrf(client)}
    r = await client.post("/api/auth/signup", json={"email": _email(), "password": "short-pw1"}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "password" and "shorter than 15" in r.json()["error"]["message"]
    assert "short-pw1" not in r.text
    r = await client.post("/api/auth/signup", json={"email": "nope", "password": PASSWORD}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "email" and PASSWORD not in r.text
    long_pw = "P" * 300
    r = await client.post("/api/auth/signup", json={"email": _email(), "password": long_pw}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "password"
    assert long_pw not in r.text
    r = await client.post("/api/auth/signin", json={"email": "x@example.com"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "password"


async def test_duplicate_email_and_wrong_password(client: httpx.AsyncClient) -> None:
    email = _email()
    h = {"X-CSRF-Token": await csrf(client)}
    assert (
        await client.post("/api/auth/signup", json={"email": email, "password": PASSWORD}, headers=h)
    ).status_code == 201
    r = await client.post("/api/auth/signup", json={"email": email, "password": PASSWORD}, headers=h)
    assert r.status_code == 409 and "already exists" in r.json()["error"]["message"]
    r = await client.post(
        "/api/auth/signin", json={"email": email, "password": "wrong-password-1"}, headers=h
    )
    assert r.status_code == 422 and "wrong-password-1" not in r.text
    assert r.json()["error"]["message"] == "is wrong, or the email is not registered"


async def test_pages_redirect_to_sign_in_and_errors_echo_nothing(client: httpx.AsyncClient) -> None:
    r = await client.get("/profile?tab=x")
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/profile%3Ftab%3Dx"
    r = await client.get("/profile", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/signin?next=")
    r = await client.get("/no-such-page?password=hunter2-secret")
    assert r.status_code == 404 and "hunter2-secret" not in r.text and "Page not found" in r.text
    r = await client.get("/signin?next=//evil.example/x")
    assert 'value="/"' in r.text  # an off-site next is dropped


async def test_form_signup_then_totp_enrolment_and_two_step_sign_in(
    client: httpx.AsyncClient, platform: PlatformServer
) -> None:
    email = _email()
    page = await client.get("/signup")
    r = await client.post(
        "/signup",
        data={
            "email": email,
            "password": PASSWORD,
            "password_confirm": PASSWORD + "x",
            "csrf_token": _form_token(page.text),
        },
    )
    assert r.status_code == 400 and "does not match the password" in r.text and email in r.text
    assert PASSWORD not in r.text
    r = await client.post(
        "/signup",
        data={
            "email": email,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "csrf_token": _form_token(page.text),
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    token = _form_token((await client.get("/")).text)  # signed in: the token is bound to the csrf cookie

    r = await client.post("/profile/2fa/start", data={"csrf_token": token})
    seed_match = re.search(r'data-testid="totp-seed">([A-Z2-7]+)<', r.text)
    assert r.status_code == 200 and seed_match
    seed = seed_match.group(1)
    r = await client.post("/profile/2fa/confirm", data={"csrf_token": token, "code": "000000"})
    assert r.status_code == 400 and "does not match" in r.text
    r = await client.post("/profile/2fa/confirm", data={"csrf_token": token, "code": pyotp.TOTP(seed).now()})
    assert r.status_code == 303
    assert (await client.get("/api/me")).json()["totp_enabled"] is True

    with sqlite3.connect(_db(platform)) as db:  # the TOTP seed is sealed, not stored
        db.execute("PRAGMA wal_checkpoint(FULL)")
    assert seed.encode() not in b"".join(
        p.read_bytes() for p in _db(platform).parent.glob("perpdesk.sqlite3*")
    )

    await client.post("/signout", data={"csrf_token": token})
    assert (await client.get("/api/me")).status_code == 401
    stale = await client.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert stale.status_code == 403  # the token belonged to the session that ended
    token = _form_token((await client.get("/signin")).text)
    r = await client.post(
        "/signin", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/profile"}
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/signin/2fa")
    assert (await client.get("/api/me")).status_code == 401  # half signed-in is not signed in
    token = _form_token((await client.get(r.headers["location"])).text)
    r = await client.post("/signin/2fa", data={"code": "123456", "csrf_token": token, "next": "/profile"})
    assert r.status_code == 400 and "does not match" in r.text
    r = await client.post(
        "/signin/2fa", data={"code": pyotp.TOTP(seed).now(), "csrf_token": token, "next": "/profile"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/profile"
    assert (await client.get("/api/me")).json()["email"] == email


async def test_logs_never_contain_passwords(client: httpx.AsyncClient, platform: PlatformServer) -> None:
    h = {"X-CSRF-Token": await csrf(client)}
    await client.post(
        "/api/auth/signup", json={"email": _email(), "password": "log-probe-pass-77"}, headers=h
    )
    await client.post(
        "/api/auth/signin", json={"email": "x@example.com", "password": "log-probe-pass-78"}, headers=h
    )
    log = platform.log_tail(1_000_000)
    assert '"logger": "uvicorn.access"' in log  # the log is being written
    assert "log-probe-pass" not in log


def _serve(env_extra: dict[str, str], tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPDESK_")}
    env.update({"PERPDESK_DATA_DIR": str(tmp), **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "perpdesk", "serve", *args],
        env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_serve_names_a_malformed_setting(tmp_path: Path) -> None:
    result = _serve({"PERPDESK_PORT": "eighty"}, tmp_path)
    assert result.returncode == 2
    assert "PERPDESK_PORT" in result.stderr and "valid integer" in result.stderr


def test_serve_names_a_missing_master_key(tmp_path: Path) -> None:
    result = _serve({}, tmp_path)
    assert result.returncode == 2
    assert "PERPDESK_MASTER_KEY_FILE" in result.stderr and "perpdesk vault init" in result.stderr


async def test_platform_on_postgresql(start_platform: Any) -> None:
    from tests.fixtures.db import PG_ENV, create_pg_database, drop_pg_database

    admin = os.environ.get(PG_ENV)
    if not admin:
        pytest.skip(f"{PG_ENV} is not set: run the suite with scripts/test.sh, which starts PostgreSQL")
    url = await create_pg_database(admin)
    try:
        platform = start_platform(database_url=url)  # migrations run on start
        async with httpx.AsyncClient(base_url=platform.url, timeout=20) as c:
            h = {"X-CSRF-Token": await csrf(c)}
            email = _email()
            assert (
                await c.post("/api/auth/signup", json={"email": email, "password": PASSWORD}, headers=h)
            ).status_code == 201
            await c.post("/api/auth/signout", headers=h)
            r = await c.post("/api/auth/signin", json={"email": email, "password": PASSWORD}, headers=h)
            assert r.status_code == 200 and (await c.get("/api/me")).json()["email"] == email
        platform.stop()
    finally:
        await drop_pg_database(admin, url)


def test_serve_names_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres:pg-pass-secret@127.0.0.1:9/perpdesk"  # nothing listens on port 9
    result = _serve({"PERPDESK_DATABASE_URL": url}, tmp_path, "--init-master-key")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "PERPDESK_DATABASE_URL: cannot open or migrate the database" in result.stderr
    assert "pg-pass-secret" not in result.stderr


async def test_a_totp_code_opens_one_sign_in_only(client: httpx.AsyncClient) -> None:
    email = _email()
    page = await client.get("/signup")
    token = _form_token(page.text)
    form = {"email": email, "password": PASSWORD, "password_confirm": PASSWORD, "csrf_token": token}
    assert (await client.post("/signup", data=form)).status_code == 303
    r = await client.post("/profile/2fa/start", data={"csrf_token": token})
    m = re.search(r'data-testid="totp-seed">([A-Z2-7]+)<', r.text)
    assert m
    seed = m.group(1)
    await client.post("/profile/2fa/confirm", data={"csrf_token": token, "code": pyotp.TOTP(seed).now()})
    code = pyotp.TOTP(seed).now()
    for attempt in range(2):
        await client.post("/signout", data={"csrf_token": token})
        await client.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": token})
        r = await client.post("/signin/2fa", data={"code": code, "csrf_token": token})
        if attempt == 0:
            assert r.status_code == 303
        else:
            assert r.status_code == 400 and "The code was already used" in r.text
            assert (await client.get("/api/me")).status_code == 401


async def test_sign_out_all_other_sessions(platform: PlatformServer) -> None:
    email = _email()
    async with httpx.AsyncClient(base_url=platform.url) as a, httpx.AsyncClient(base_url=platform.url) as b:
        ha = {"X-CSRF-Token": await csrf(a)}
        hb = {"X-CSRF-Token": await csrf(b)}
        await a.post("/api/auth/signup", json={"email": email, "password": PASSWORD}, headers=ha)
        await b.post("/api/auth/signin", json={"email": email, "password": PASSWORD}, headers=hb)
        assert (await b.get("/api/me")).status_code == 200
        r = await a.post("/profile/signout-others", headers=ha)
        assert r.status_code == 303 and r.headers["location"] == "/profile?signed_out_others=1"
        assert (await b.get("/api/me")).status_code == 401
        assert (await a.get("/api/me")).status_code == 200


async def test_multipart_forms_are_checked_too(client: httpx.AsyncClient) -> None:
    token = await csrf(client)
    files = {"attachment": ("a.txt", b"x")}
    r = await client.post("/signout", data={"csrf_token": "wrong"}, files=files)
    assert r.status_code == 403
    r = await client.post("/signout", data={"csrf_token": token}, files=files)
    assert r.status_code == 303 and r.headers["location"] == "/signin?signed_out=1"
