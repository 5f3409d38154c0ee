"""`perpdesk demo` with no configuration: both servers answer, the one-click link signs in and
opens Settings > Exchange Account API Keys, the printed credentials work, Ctrl+C stops it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyotp

from tests.fixtures.procs import ROOT, demo_ports, free_port


def _wait_for_banner(proc: subprocess.Popen[str], log: Path, timeout: float = 150.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        if "perpdesk demo is running" in text and "Data:" in text:
            return text
        assert proc.poll() is None, f"demo exited early:\n{text[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"demo did not start:\n{log.read_text()[-3000:]}")


def test_demo_runs_both_servers_with_no_configuration(tmp_path: Path) -> None:
    port, sandbox_port = demo_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPDESK_")}
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "perpdesk", "demo", "--data-dir", str(tmp_path / "data"),
             "--port", str(port), "--sandbox-port", str(sandbox_port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT), text=True,
        )  # fmt: skip
    try:
        banner = _wait_for_banner(proc, log)
        base, sandbox = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
        assert httpx.get(base + "/signin").status_code == 200
        assert httpx.get(sandbox + "/system/time").status_code == 200
        # the Binance dialect, one port up, on the same sandbox
        assert httpx.get(f"http://127.0.0.1:{sandbox_port + 1}/fapi/v1/ping").json() == {}
        assert (tmp_path / "data" / "master.key").exists()  # generated on first start

        link = re.search(r"(http://\S+/demo/enter\?token=\S+)", banner)
        assert link
        with httpx.Client() as browser:
            r = browser.get(link.group(1), follow_redirects=True)
            assert r.status_code == 200 and str(r.url) == base + "/settings/exchange-accounts"
            assert "demo@perpdesk.local" in r.text
            wrong = browser.get(base + "/demo/enter?token=wrong")
            assert wrong.status_code == 303 and wrong.headers["location"] == "/signin"

        password = re.search(r"Platform .*\n\s+email\s+(\S+)\n\s+password\s+(\S+)", banner)
        assert password
        with httpx.Client(base_url=base) as c:
            token = c.get("/api/auth/csrf").json()["csrf_token"]
            r = c.post(
                "/api/auth/signin",
                json={"email": password.group(1), "password": password.group(2)},
                headers={"X-CSRF-Token": token},
            )
            assert r.status_code == 200, r.text
            # the landing page and the connect chooser name both exchanges; the Binance key of the
            # banner connects at the demo's Binance port (the platform's settings point there)
            assert "Connect a Futures account (Binance or Bitmart)" in c.get("/").text
            names = {x["name"] for x in c.get("/api/accounts/exchanges").json()["choices"] if x["supported"]}
            assert names == {"Binance", "Bitmart"}
            bkey = re.search(r"API Key\s+(\S+)\n\s+Secret Key\s+(\S+)", banner)
            assert bkey and f"{sandbox}/binance/api-management" in banner
            body = {"exchange": "binance", "api_key": bkey.group(1), "secret": bkey.group(2)}
            seen = c.post("/api/accounts/inspect", json=body, headers={"X-CSRF-Token": token}).json()
            assert seen["verdict"] == "ok" and seen["balances"], seen
            # the demo's mail catcher receives the reset link where the banner says
            mail_dir = re.search(r"Email \(sign-up and password reset links\) is caught.* in (\S+)", banner)
            assert mail_dir
            forgot = {"email": password.group(1)}
            r = c.post("/api/auth/password/forgot", json=forgot, headers={"X-CSRF-Token": token})
            assert r.status_code == 202, r.text
            for _ in range(100):
                caught = list(Path(mail_dir.group(1)).glob("*.eml"))
                if caught:
                    break
                time.sleep(0.1)
            assert caught and "/password/reset?token=" in caught[0].read_text()

        totp = re.search(r"2FA secret\s+([A-Z2-7]+)", banner)
        assert totp and len(pyotp.TOTP(totp.group(1)).now()) == 6
        # the banner gives the sandbox admin token and a command that uses it
        admin = re.search(r"admin token\s+(\S+)", banner)
        assert admin and f"--token {admin.group(1)}" in banner and "sandbox admin set-price" in banner
        auth = {"Authorization": f"Bearer {admin.group(1)}"}
        market = httpx.get(sandbox + "/sandbox-admin/market", headers=auth)
        assert market.status_code == 200 and "marks" in market.json()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=20) in (0, 130, -signal.SIGINT)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert "Traceback" not in log.read_text()


def test_demo_says_which_port_is_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "perpdesk", "demo", "--data-dir", str(tmp_path),
             "--port", str(free_port()), "--sandbox-port", str(port)],
            capture_output=True, text=True, timeout=180, cwd=str(ROOT),
        )  # fmt: skip
    assert result.returncode == 2
    assert f"127.0.0.1:{port} is not available" in result.stderr and "--sandbox-port" in result.stderr
