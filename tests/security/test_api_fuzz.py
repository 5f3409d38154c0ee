"""Schemathesis over the whole OpenAPI of a real platform (wired to the real sandbox, a user
signed in with a connected account): no generated request may get a 5xx. Bounded: at most
PERPDESK_FUZZ_EXAMPLES cases per operation (default 20) and PERPDESK_FUZZ_SECONDS in all (75)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.trading.conftest import api_user
from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.procs import free_port
from tests.fixtures.sandbox import SandboxServer

EXAMPLES = os.environ.get("PERPDESK_FUZZ_EXAMPLES", "20")
SECONDS = os.environ.get("PERPDESK_FUZZ_SECONDS", "75")


@pytest.fixture(scope="module")
def fuzzed_platform(sandbox: SandboxServer) -> Iterator[PlatformServer]:
    """Everything configured, Fast Connect included, so every operation can do its real work."""
    port = free_port()
    callback = f"http://127.0.0.1:{port}/settings/exchange-accounts/fast-connect/callback"
    oauth = sandbox.admin.create_oauth_client("fuzz", [callback], ["127.0.0.1"])
    server = launch_platform(
        sandbox,
        port=port,
        egress_ips="127.0.0.1",
        fast_connect_client_id=oauth["client_id"],
        fast_connect_client_secret=oauth["client_secret"],
    )
    yield server
    server.stop()


async def test_no_request_gets_a_server_error(
    sandbox: SandboxServer, fuzzed_platform: PlatformServer, tmp_path: Path
) -> None:
    user = await api_user(fuzzed_platform)
    account_id, _ = await user.connect(sandbox)
    # the connected account's id for every {account_id}: the fuzzer reaches the trading code
    (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"path.account_id" = "{account_id}"\n')
    cookies = "; ".join(f"{k}={v}" for k, v in user.http.cookies.items())
    cli = Path(sys.executable).parent / "schemathesis"
    report = tmp_path / "report.json"
    cmd = [
        str(cli), "run", fuzzed_platform.url + "/api/openapi.json",
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", EXAMPLES, "--max-time", SECONDS,
        "--seed", "13", "--no-shrink", "--workers", "2",
        "--generation-database", "none", "--request-timeout", "20",
        "-H", f"Cookie: {cookies}", "-H", f"X-CSRF-Token: {user.http.headers['X-CSRF-Token']}",
        # signing out or changing the password would end the session the fuzzer runs under
        "--exclude-path", "/api/auth/signout", "--exclude-path", "/api/auth/password",
        "--report", "json", "--report-json-path", str(report), "--no-color",
    ]  # fmt: skip
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=int(SECONDS) + 120, cwd=str(tmp_path), check=False
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    assert "not_a_server_error" in out or "passed" in out.lower(), out[-3000:]
    assert "Server error" not in out, out[-6000:]
    await user.http.aclose()
