"""The local cluster of scripts/cluster.sh (PostgreSQL, the sandbox, 2 web-only processes, 2
workers): one user's pages served by both web processes, a live page on web process 2 fed by the
mirror in a worker, and a worker killed with SIGKILL whose account another worker owns within
10 s, reconciled from the exchange (the order placed before is still there).

Starting the cluster takes most of this module's time; set PERPDESK_TEST_CLUSTER_DIR to the
directory of a cluster already started by the script to run against it instead.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.procs import ROOT
from tests.fixtures.sandbox import SandboxAdmin

NO_TOOLS = shutil.which("curl") is None or not list(Path("/usr/lib/postgresql").glob("*/bin"))
pytestmark = pytest.mark.skipif(NO_TOOLS, reason="needs PostgreSQL's binaries and curl (scripts/cluster.sh)")
SCAN_S = 2.0  # PERPDESK_LIVE_SCAN_INTERVAL_S: how often workers claim accounts
PASSWORD = "Cluster-Passw0rd-9"


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    given = os.environ.get("PERPDESK_TEST_CLUSTER_DIR")
    if given:
        yield read_env(Path(given) / "cluster.env")
        return
    where = tmp_path_factory.mktemp("cluster")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPDESK_")}
    env.update(PERPDESK_CLUSTER_DIR=str(where), PERPDESK_CLUSTER_SKIP_SYNC="1",
               PERPDESK_LIVE_SCAN_INTERVAL_S=str(SCAN_S), PERPDESK_RATE_LIMIT_FACTOR="100",
               PERPDESK_CLUSTER_SANDBOX_ARGS="--price-interval 3600")
    script = [str(ROOT / "scripts/cluster.sh")]
    started = subprocess.run([*script, "start", "2"], env=env, capture_output=True, text=True, timeout=400)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield read_env(where / "cluster.env")
    finally:
        subprocess.run([*script, "stop"], env=env, capture_output=True, timeout=120)


def metric(url: str, name: str) -> float:
    text = httpx.get(url + "/metrics", timeout=5).text
    return sum(float(v) for v in re.findall(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", text, re.M))


def wait_for(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.1)


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = client.get("/api/auth/csrf").json()["csrf_token"]
    email = f"trader-{secrets.token_hex(4)}@example.com"
    r = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["csrf_token"]
    return client


def sse_events(response: httpx.Response) -> Iterator[tuple[str, str | None]]:
    """(event kind, id) of each frame of a server-sent event stream."""
    kind, seq = "", None
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("id: "):
            seq = line[4:]
        elif line == "" and kind:
            yield kind, seq
            kind, seq = "", None


def test_two_web_processes_serve_live_pages_fed_by_workers_and_a_killed_worker_is_replaced(
    cluster: dict[str, str],
) -> None:
    admin = SandboxAdmin(cluster["SANDBOX_URL"], cluster["SANDBOX_ADMIN_TOKEN"])
    trader = admin.create_user()
    key = admin.create_key(trader["email"])
    workers = [cluster[f"WORKER{i}_URL"] for i in (1, 2)]
    before = {w: metric(w, "perpdesk_mirrors") for w in workers}  # accounts of earlier runs
    web1 = signed_in(cluster["WEB1_URL"])
    added = web1.post("/api/accounts", json={"api_key": key["api_key"], "secret": key["secret_key"],
                                             "passphrase": key["memo"], "label": "Cluster"})
    assert added.status_code == 201, added.text
    account_id = added.json()["account"]["id"]
    # the same session on web process 2: one user's pages from either process
    web2 = httpx.Client(base_url=cluster["WEB2_URL"], cookies=web1.cookies, timeout=30)
    assert account_id in web2.get("/api/accounts").text

    owner = wait_for("a worker mirrors the account", lambda: next(
        (w for w in workers if metric(w, "perpdesk_mirrors") == before[w] + 1), None), 20)
    held = {w: metric(w, "perpdesk_mirrors") for w in workers}
    assert sum(held.values()) == sum(before.values()) + 1  # exactly one owner

    def live_view() -> dict[str, Any] | None:
        r = web2.get(f"/api/accounts/{account_id}/live")
        return r.json() if r.status_code == 200 and r.json()["freshness"]["fresh"] else None

    assert wait_for("web process 2 has the worker's live view", live_view, 10)["label"] == "Cluster"

    from bitmart.api_contract import APIContract

    api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=cluster["SANDBOX_URL"])
    received = metric(cluster["WEB2_URL"], "perpdesk_events_received_total")
    with web2.stream("GET", f"/api/live/stream?account={account_id}") as stream:
        frames = sse_events(stream)
        assert next(frames) == ("account", None)  # the current state first
        api.post_submit_order(contract_symbol="BTCUSDT", client_order_id=f"c{secrets.token_hex(6)}",
                              type="limit", side=1, leverage="5", open_type="isolated", mode=1,
                              price="1000", size=1)
        t0 = time.monotonic()
        for kind, seq in frames:  # the worker's mirror saw the order: its event reaches this page
            if kind == "account" and seq is not None:
                break
            assert time.monotonic() - t0 < 10, "no event from the worker's mirror"
    assert metric(cluster["WEB2_URL"], "perpdesk_events_received_total") > received
    wait_for("the order in web process 2's view", lambda: (v := live_view()) and v["open_orders"], 10)

    os.kill(int(cluster[f"WORKER{workers.index(owner) + 1}_PID"]), signal.SIGKILL)
    killed_at = time.monotonic()
    survivor = next(w for w in workers if w != owner)
    everything = sum(held.values())  # the killed worker's accounts, this one among them
    wait_for("the other worker owns them", lambda: metric(survivor, "perpdesk_mirrors") == everything, 10)
    took_over = time.monotonic() - killed_at
    assert took_over < 10
    view = wait_for("the new owner's reconciled view on web process 2", live_view, 15)
    assert [o["price"] for o in view["open_orders"]] == ["1000"]  # read again from the exchange
