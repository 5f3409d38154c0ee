"""`perpdesk vault rotate` against a running platform: no downtime, every secret still opens."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pyotp

from tests.fixtures.platform import PlatformServer
from tests.fixtures.procs import ROOT

PASSWORD = "rotate-pass-123456"


def _cli(platform: PlatformServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perpdesk", "vault", *args],
        env=platform.env, cwd=str(ROOT), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


async def _user_with_2fa(client: httpx.AsyncClient) -> tuple[str, str, str]:
    email = f"rot-{secrets.token_hex(4)}@example.com"
    token = _token((await client.get("/signup")).text)
    form = {"email": email, "password": PASSWORD, "password_confirm": PASSWORD, "csrf_token": token}
    assert (await client.post("/signup", data=form)).status_code == 303
    page = await client.post("/profile/2fa/start", data={"csrf_token": token})
    m = re.search(r'data-testid="totp-seed">([A-Z2-7]+)<', page.text)
    assert m
    seed = m.group(1)
    r = await client.post("/profile/2fa/confirm", data={"csrf_token": token, "code": pyotp.TOTP(seed).now()})
    assert r.status_code == 303
    await client.post("/signout", data={"csrf_token": token})
    return email, seed, token


async def test_rotate_while_the_platform_runs(start_platform: Callable[..., PlatformServer]) -> None:
    platform = start_platform()
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        users = [await _user_with_2fa(client) for _ in range(2)]

        status = _cli(platform, "status")
        assert status.returncode == 0, status.stderr
        assert "current master key version: 1" in status.stdout and "v1: 2 sealed secret(s)" in status.stdout

        rotated = _cli(platform, "rotate")
        assert rotated.returncode == 0, rotated.stderr
        assert "new master key version: 2" in rotated.stdout and "re-wrapped 2 data key(s)" in rotated.stdout
        assert "old master keys removed" in rotated.stdout
        keyring = json.loads(platform.master_key_file.read_text())
        assert keyring["current"] == 2 and list(keyring["keys"]) == ["2"]
        for key in keyring["keys"].values():
            assert key not in rotated.stdout + rotated.stderr + platform.log_tail(1_000_000)

        # the same running server opens the re-wrapped seeds (it followed the key file)
        for email, seed, token in users:
            r = await client.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": token})
            assert r.headers["location"].startswith("/signin/2fa")
            r = await client.post("/signin/2fa", data={"code": pyotp.TOTP(seed).now(), "csrf_token": token})
            assert r.status_code == 303 and r.headers["location"] == "/", r.text
            assert (await client.get("/api/me")).json()["email"] == email
            await client.post("/signout", data={"csrf_token": token})


def test_init_creates_once_and_refuses_to_overwrite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPDESK_")}
    env.update(
        {"PERPDESK_DATA_DIR": str(tmp_path), "PERPDESK_MASTER_KEY_FILE": str(tmp_path / "k" / "m.key")}
    )

    def init() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "perpdesk", "vault", "init"],
            env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    first = init()
    assert first.returncode == 0 and "back it up" in first.stdout
    key_file = tmp_path / "k" / "m.key"
    before = key_file.read_bytes()
    assert key_file.stat().st_mode & 0o777 == 0o600
    for key in json.loads(before)["keys"].values():
        assert key not in first.stdout + first.stderr
    second = init()
    assert second.returncode == 1 and "already exists" in second.stderr
    assert key_file.read_bytes() == before
