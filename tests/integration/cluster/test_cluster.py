"""The local cluster (tests/fixtures/cluster.py: PostgreSQL, the sandbox, 2 web-only processes,
the workers): one user's pages served by both web processes, a live page on web process 2 fed by
the mirror in a worker, an order placed through one web process and cancelled through the other
(both views follow), and a worker killed with SIGKILL whose account another worker owns within
10 s, reconciled from the exchange (the order placed before is still there).

Starting the cluster takes most of this module's time; set PERPDESK_TEST_CLUSTER_DIR to the
directory of a cluster already started by the script to run against it instead.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx

from tests.fixtures.cluster import Cluster, metric, signed_in, wait_for
from tests.fixtures.sandbox import SandboxAdmin


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
    cluster: Cluster,
) -> None:
    admin = SandboxAdmin(cluster["SANDBOX_URL"], cluster["SANDBOX_ADMIN_TOKEN"])
    trader = admin.create_user()
    key = admin.create_key(trader["email"])
    names = cluster.ensure_workers(2)
    workers = [cluster.url(n) for n in names]
    before = {w: metric(w, "perpdesk_mirrors") for w in workers}  # accounts of earlier runs
    web1 = signed_in(cluster["WEB1_URL"])
    added = web1.post("/api/accounts", json={"api_key": key["api_key"], "secret": key["secret_key"],
                                             "passphrase": key["memo"], "label": "Cluster"})
    assert added.status_code == 201, added.text
    account_id = added.json()["account"]["id"]
    # the same session on web process 2: one user's pages from either process
    web2 = httpx.Client(base_url=cluster["WEB2_URL"], cookies=web1.cookies, timeout=30,
                        headers={"X-CSRF-Token": web1.headers["X-CSRF-Token"]})  # web 1's token works
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

    # an order placed through web process 1 shows on web process 2; cancelled there, gone on both
    r = web1.post(f"/api/accounts/{account_id}/orders", json={
        "symbol": "BTCUSDT", "side": "buy", "type": "limit", "price": "1100", "size": "1",
        "leverage": "5", "margin_mode": "isolated"})
    assert r.status_code == 201, r.text
    prices = lambda: sorted(o["price"] for o in (live_view() or {}).get("open_orders", []))  # noqa: E731
    wait_for("web 1's order on web 2", lambda: prices() == ["1000", "1100"], 10)
    order_id = next(o["order_id"] for o in web2.get(f"/api/accounts/{account_id}/orders").json()["orders"]
                    if o["price"] == "1100")
    r = web2.delete(f"/api/accounts/{account_id}/orders/{order_id}", params={"symbol": "BTCUSDT"})
    assert r.status_code == 204, r.text
    wait_for("cancelled on web 2, gone from the view", lambda: prices() == ["1000"], 10)
    on_web1 = web1.get(f"/api/accounts/{account_id}/live").json()
    assert [o["price"] for o in on_web1["open_orders"]] == ["1000"]

    cluster.kill(names[workers.index(owner)])
    killed_at = time.monotonic()
    survivors = [w for w in workers if w != owner]
    everything = sum(held.values())  # the killed worker's accounts, this one among them
    wait_for("the other workers own them",
             lambda: sum(metric(w, "perpdesk_mirrors") for w in survivors) == everything, 10)
    took_over = time.monotonic() - killed_at
    assert took_over < 10
    view = wait_for("the new owner's reconciled view on web process 2", live_view, 15)
    assert [o["price"] for o in view["open_orders"]] == ["1000"]  # read again from the exchange
