"""Ownership on the local cluster (tests/fixtures/cluster.py): every active account is mirrored by
exactly the worker rendezvous hashing gives it among the live workers (checked in PostgreSQL's
lock table and each worker's /metrics); a worker joining takes its share, one leaving gives its
accounts back; a worker killed with SIGKILL while it holds accounts with open orders and two
orders being confirmed is replaced within 10 s, and those orders are decided as the exchange has
them (one placed, one never executed: not placed), nothing doubled or lost.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from bitmart.api_contract import APIContract

from perpdesk.live.spread import assign
from tests.fixtures.cluster import (
    SCAN_S,
    TIMEOUT_S,
    WINDOW_S,
    Cluster,
    connect_accounts,
    signed_in,
    wait_for,
)
from tests.fixtures.sandbox import SandboxAdmin

SUBMIT = "/contract/private/submit-order"


def spread_settled(cluster: Cluster) -> dict[str, str] | None:
    """account id -> owner id, once every active account is held by exactly the worker the
    assignment over the live workers gives, and each worker runs a mirror for each it holds."""
    ids = {w: cluster.owner_id(w) for w in cluster.workers()}
    owners = cluster.owners()
    want = assign(owners, ids.values())
    if any(owners[a] != [want[a]] for a in owners):
        return None
    for worker, owner in ids.items():
        if cluster.mirrors(worker) != sum(1 for o in want.values() if o == owner):
            return None
    return want


def loads(held: dict[str, str]) -> list[int]:
    return sorted(list(held.values()).count(o) for o in set(held.values()))


def test_accounts_spread_evenly_and_rebalance_when_a_worker_joins_and_leaves(cluster: Cluster) -> None:
    cluster.ensure_workers(2)
    web = signed_in(cluster.url("web1"))
    connect_accounts(cluster, web, 6, "Spread")
    before = wait_for("the accounts spread over 2 workers", lambda: spread_settled(cluster), 30, 0.5)
    assert len(set(before.values())) == 2 and max(loads(before)) - min(loads(before)) <= 1

    joined = cluster.add_worker()
    started = time.monotonic()
    after = wait_for("rebalanced over 3 workers", lambda: spread_settled(cluster), 20, 0.2)
    took_join = time.monotonic() - started
    newcomer = cluster.owner_id(joined)
    assert len(set(after.values())) == 3 and max(loads(after)) - min(loads(after)) <= 1
    taken = [a for a in after if after[a] == newcomer]
    moved = [a for a in before if before[a] != after[a]]
    assert set(taken) <= set(moved) and len(moved) <= 2 * len(taken)  # little else moves
    assert took_join < 2 * SCAN_S + 5  # the handover kicks the scans: measured ~2 s

    cluster.kill(joined, signal.SIGTERM)  # leaves in good order
    started = time.monotonic()
    back = wait_for("back on 2 workers", lambda: spread_settled(cluster), 15, 0.2)
    took_leave = time.monotonic() - started
    assert back == before  # the same workers and accounts: the same assignment
    assert cluster.mirrored_twice() == []  # each handover stopped one mirror before the next started
    print(f"join rebalanced in {took_join:.1f} s ({len(moved)} of {len(after)} accounts moved), "
          f"leave in {took_leave:.1f} s")


def place(web: httpx.Client, account_id: str, price: str) -> httpx.Response:
    return web.post(f"/api/accounts/{account_id}/orders", json={
        "symbol": "BTCUSDT", "side": "buy", "type": "limit", "price": price, "size": "1",
        "leverage": "5", "margin_mode": "isolated"})


def exchange_cids(key: dict[str, Any], url: str) -> list[str]:
    api = APIContract(key["api_key"], key["secret_key"], key["memo"], url=url)
    body, _ = api.get_open_order(contract_symbol="BTCUSDT")
    return sorted(o["client_order_id"] for o in body["data"])


def intent_status(web: httpx.Client, account_id: str, cid: str) -> str:
    intents = web.get(f"/api/accounts/{account_id}/orders", params={"state": "intents"}).json()["intents"]
    return next(i["status"] for i in intents if i["client_order_id"] == cid)


def test_a_killed_workers_accounts_move_within_10s_and_its_orders_being_confirmed_are_decided(
    cluster: Cluster,
) -> None:
    cluster.ensure_workers(2)
    admin = SandboxAdmin(cluster["SANDBOX_URL"], cluster["SANDBOX_ADMIN_TOKEN"])
    web = signed_in(cluster.url("web2"))
    accounts = connect_accounts(cluster, web, len(cluster.workers()) + 1, "Kill")
    held = wait_for("the accounts spread", lambda: spread_settled(cluster), 30, 0.5)
    ids = {cluster.owner_id(w): w for w in cluster.workers()}
    # a worker holding two of these accounts (there is one: more accounts than workers)
    victim_id = next(o for o in ids if sum(held[a["id"]] == o for a in accounts) >= 2)
    victim = ids[victim_id]
    first, second = [a for a in accounts if held[a["id"]] == victim_id][:2]
    victims_accounts = [a for a, o in held.items() if o == victim_id]

    resting = {}
    for acct in (first, second):  # an open order on each
        r = place(web, acct["id"], "1000")
        assert r.status_code == 201, r.text
        resting[acct["id"]] = r.json()["order"]["client_order_id"]
    # answers lost: the first arrives after perpdesk stopped waiting but within the exchange's
    # window (executed), the second after the window (refused by the exchange, never executed)
    late, too_late = int((TIMEOUT_S + 2.5) * 1000), (WINDOW_S + 3) * 1000
    admin.fault("latency", SUBMIT, latency_ms=late, times=1, api_key=first["api_key"])
    admin.fault("latency", SUBMIT, latency_ms=too_late, times=1, api_key=second["api_key"])
    with ThreadPoolExecutor(2) as pool:
        lost = list(pool.map(lambda a: place(web, a["id"], "1100"), (first, second)))
    sent_at = time.monotonic()
    for r in lost:
        assert r.status_code == 202 and r.json()["error"]["code"] == "being_confirmed", r.text
    placed_cid, absent_cid = (r.json()["order"]["client_order_id"] for r in lost)

    cluster.kill(victim)
    killed_at = time.monotonic()
    survivors = wait_for("the survivors own every account", lambda: spread_settled(cluster), 10, 0.2)
    took_over = time.monotonic() - killed_at
    assert took_over < 10
    assert victim_id not in survivors.values() and set(victims_accounts) <= set(survivors)

    wait_for("the late order decided: placed",
             lambda: intent_status(web, first["id"], placed_cid) == "placed", WINDOW_S + 15, 0.5)
    wait_for("the too-late order decided: not placed",
             lambda: intent_status(web, second["id"], absent_cid) == "not_placed", WINDOW_S + 15, 0.5)
    decided_after = time.monotonic() - sent_at
    # the exchange agrees, once the too-late request has reached it (and been refused)
    wait_for("the too-late request handled", lambda: time.monotonic() - sent_at > WINDOW_S + 4, 30, 0.5)
    url = cluster["SANDBOX_URL"]
    assert exchange_cids(first, url) == sorted([resting[first["id"]], placed_cid])
    assert exchange_cids(second, url) == [resting[second["id"]]]

    def live_orders(account_id: str) -> list[str] | None:
        r = web.get(f"/api/accounts/{account_id}/live")
        if r.status_code != 200 or not r.json()["freshness"]["fresh"]:
            return None
        return sorted(o["client_order_id"] for o in r.json()["open_orders"])

    # the new owners' mirrors read them again from the exchange: each order once
    wait_for("the new owner's view", lambda: live_orders(first["id"]) == exchange_cids(first, url), 15)
    wait_for("the new owner's view", lambda: live_orders(second["id"]) == [resting[second["id"]]], 15)
    assert cluster.mirrored_twice() == []
    print(f"taken over in {took_over:.1f} s; being-confirmed orders decided {decided_after:.1f} s "
          "after sending")
