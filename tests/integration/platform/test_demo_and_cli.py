"""The demo and the CLI on one data directory, as a new user runs them: the demo as a real process,
the CLI from another folder through the command line the banner prints (nothing else set). Both
write (the CLI connects an account, places orders, renames it; the demo serves orders and
sign-ins) and the store never loses a write: the demo holds its POSIX lock on the database file
the whole time (SQLite's "How To Corrupt", 2.2), never writes into a deleted WAL, and after both
stop the database passes `PRAGMA integrity_check` with every write in it. A second demo on the
same directory is refused."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fixtures.demo import clean_env, running_demo
from tests.fixtures.file_locks import deleted_files_open, lock_holders
from tests.fixtures.procs import ROOT, demo_ports
from tests.fixtures.sandbox import SandboxAdmin

SYMBOL = "BTCUSDT"


@dataclass
class Demo:
    proc: subprocess.Popen[str]
    banner: str
    data: Path
    log: Path

    @property
    def db(self) -> Path:
        return self.data / "perpdesk.sqlite3"

    def found(self, pattern: str) -> re.Match[str]:
        m = re.search(pattern, self.banner, re.M)
        assert m, f"{pattern!r} not in the banner:\n{self.banner}"
        return m

    def holds_its_lock(self) -> None:
        """The demo has its POSIX lock on the database and no descriptor of a deleted file."""
        assert self.proc.poll() is None, self.log.read_text()[-3000:]
        assert self.proc.pid in lock_holders(self.db), "the demo holds no lock on its database"
        assert deleted_files_open(self.proc.pid, self.data) == []


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    data, log = tmp_path / "data", tmp_path / "demo.log"
    with running_demo(data, log) as proc:
        yield Demo(proc, log.read_text(), data, log)


def _shell(line: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A command line pasted into a shell, in a folder that is not the repository."""
    return subprocess.run(["bash", "-c", line], cwd=str(cwd), env={**clean_env(), **env},
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_demo_and_cli_share_the_data_directory_without_losing_a_write(demo: Demo, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cli_line = demo.found(r"^\s+(PERPDESK_DATA_DIR=\S+ \S+) portfolio --user (\S+)$")
    cli, email = cli_line.group(1), cli_line.group(2)
    base = demo.found(r"Platform\s+(http://\S+)/signin").group(1)
    sandbox_url = demo.found(r"BitMart Futures sandbox\s+(http://\S+)/").group(1)
    admin = SandboxAdmin(sandbox_url, demo.found(r"admin token\s+(\S+)").group(1))
    sandbox_email = demo.found(r"sandbox.*\n\s+email\s+(\S+)").group(1)
    admin.set_price(SYMBOL, "95000")
    admin.freeze_prices()  # the limit orders below rest
    key = admin.create_key(sandbox_email, memo="cli-memo")
    demo.holds_its_lock()

    def run(*args: str, line: str = cli, **env: str) -> str:
        done = _shell(" ".join([line, *args]), elsewhere, **env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        demo.holds_its_lock()
        return done.stdout

    connected = json.loads(run(
        "accounts", "connect", "--user", email, "--api-key", key["api_key"], "--label", "From-CLI", "--json",
        PERPDESK_API_SECRET=key["secret_key"], PERPDESK_API_PASSPHRASE="cli-memo",
    ))  # fmt: skip
    account = connected["account"]["id"]
    assert connected["account"]["api_url"] == sandbox_url  # the demo's sandbox, not BitMart's host

    with httpx.Client(base_url=base, timeout=30) as web:  # the demo writes too: a session, orders
        web.get(demo.found(r"(http://\S+/demo/enter\?token=\S+)").group(1), follow_redirects=True)
        web.headers["X-CSRF-Token"] = web.get("/api/auth/csrf").json()["csrf_token"]
        cli_orders, web_orders = [], []
        for i in range(2):
            placed = json.loads(run(
                "trade", "place", "--user", email, "--account", account, "--symbol", SYMBOL, "--side", "buy",
                "--size", "1", "--price", str(90000 - i), "--leverage", "5", "--json",
            ))  # fmt: skip
            assert placed["status"] == "placed", placed
            cli_orders.append(placed["client_order_id"])
            r = web.post(f"/api/accounts/{account}/orders", json={
                "symbol": SYMBOL, "side": "buy", "size": "1", "price": str(89000 - i), "leverage": "5",
            })  # fmt: skip
            assert r.status_code == 201, r.text
            web_orders.append(r.json()["order"]["client_order_id"])
            renamed = run("accounts", "edit", account, "--user", email, "--label", f"Renamed-{i}")
            assert account in renamed  # the whole id, never shortened
            demo.holds_its_lock()
        portfolio = json.loads(run("--json", line=cli_line.group(0).strip()))  # the banner's line
        (snap,) = portfolio["accounts"]
        assert snap["account"]["label"] == "Renamed-1" and snap["errors"] == {}
        assert portfolio["total"]["equity"] not in ("0", "—")

    # a second demo on this data directory would overwrite the first one's sandbox: refused
    ports = demo_ports()
    second = subprocess.run(
        [sys.executable, "-m", "perpdesk", "demo", "--data-dir", str(demo.data),
         "--port", str(ports[0]), "--sandbox-port", str(ports[1])],
        capture_output=True, text=True, timeout=120, env=clean_env(), cwd=str(ROOT), check=False,
    )  # fmt: skip
    assert second.returncode == 2, second.stdout + second.stderr
    assert "another perpdesk demo is using" in second.stderr and "--data-dir" in second.stderr
    assert "Traceback" not in second.stderr
    demo.holds_its_lock()

    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(timeout=30) in (0, 130, -signal.SIGINT)
    with sqlite3.connect(demo.db) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        intents = {r[0] for r in db.execute(
            "select client_order_id from order_intents where account_id = ?", (account,))}  # fmt: skip
        assert set(cli_orders) | set(web_orders) <= intents and len(cli_orders + web_orders) == 4
        (label,) = db.execute("select label from exchange_accounts where id = ?", (account,)).fetchone()
        assert label == "Renamed-1"
    assert "Traceback" not in demo.log.read_text()
