"""Limits that hold across a cluster's web processes: two real `perpdesk serve --web-only`
processes on one PostgreSQL database and the real sandbox. Wrong passwords for one email spread
over both processes are refused after the same five as on one process; an identical order ticket
sent to the second process while the first process is still sending it is refused there with the
first one named (and sent once confirmed); an order being confirmed on one process (no answer in
time) is refused again on the other.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from perpdesk.store.db import make_engine
from perpdesk.vault import ensure_keyring_file
from tests.fixtures.db import run_sync
from tests.fixtures.procs import free_port, spawn_logged, stop_process, wait_healthy
from tests.fixtures.sandbox import SandboxServer

PASSWORD = "Cluster-Passw0rd-9"
SUBMIT = "/contract/private/submit-order"
TIMEOUT_S = 5  # how long a web process waits for the exchange's answer to an order


@pytest.fixture(scope="module")
def web_pair(
    pg_module_url: str, sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Two web-only processes sharing the (migrated) database, data directory and secrets."""
    where = tmp_path_factory.mktemp("webpair")
    data = where / "data"
    data.mkdir()
    ensure_keyring_file(data / "master.key")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERPDESK_")}
    env.update(
        PERPDESK_DATABASE_URL=pg_module_url, PERPDESK_DATA_DIR=str(data),
        PERPDESK_MASTER_KEY_FILE=str(data / "master.key"), PERPDESK_HOST="127.0.0.1",
        PERPDESK_BITMART_API_URL=sandbox.base_url, PERPDESK_BITMART_WEB_URL=sandbox.base_url,
        PERPDESK_BITMART_WS_URL=f"{sandbox.ws_url}/user?protocol=1.1",
        PERPDESK_SESSION_SECRET=secrets.token_urlsafe(32), PERPDESK_LOG_JSON="false",
        PERPDESK_EXCHANGE_TIMEOUT_S=str(TIMEOUT_S),
    )  # fmt: skip
    procs, urls = [], []
    try:
        for i in (1, 2):
            port = free_port()
            log = where / f"web{i}.log"
            cmd = [sys.executable, "-m", "perpdesk", "serve", "--web-only"]
            procs.append((spawn_logged(cmd, log, env={**env, "PERPDESK_PORT": str(port)}), log))
            urls.append(f"http://127.0.0.1:{port}")
        for (proc, log), url in zip(procs, urls, strict=True):
            wait_healthy(proc, url + "/healthz", log, name="web", timeout=120)
        yield urls
    finally:
        for proc, _ in procs:
            stop_process(proc)


def browser(base: str, cookies: httpx.Cookies | None = None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, cookies=cookies)
    client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["csrf_token"]
    return client


def signed_up(base: str) -> tuple[httpx.Client, str]:
    client = browser(base)
    email = f"trader-{secrets.token_hex(4)}@example.com"
    r = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["csrf_token"]
    return client, email


def test_wrong_passwords_spread_over_two_web_processes_are_refused_after_five(web_pair: list[str]) -> None:
    owner, email = signed_up(web_pair[0])
    guessers = [browser(url) for url in web_pair]  # one client (127.0.0.1), no known-device cookie
    codes = [guessers[i % 2].post("/api/auth/signin", json={"email": email, "password": f"not-it-{i:04}"})
             .status_code for i in range(8)]
    assert codes[:5] == [422] * 5, codes  # wrong password; one process alone would allow 5 on each
    assert codes[5:] == [429] * 3, codes
    refused = guessers[1].post("/api/auth/signin", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    # the owner's browser (known device, signed up on process 1) still signs in on process 2
    known = browser(web_pair[1], cookies=owner.cookies)
    assert known.post("/api/auth/signin", json={"email": email, "password": PASSWORD}).status_code == 200


def test_an_identical_ticket_on_the_other_web_process_is_refused_while_the_first_is_sent(
    web_pair: list[str], sandbox: SandboxServer, pg_module_url: str
) -> None:
    key, account, web1, web2 = connected(web_pair, sandbox)
    admin = sandbox.admin
    admin.set_price("ETHUSDT", "3500")
    admin.fault("latency", SUBMIT, latency_ms=2500, times=1, api_key=key["api_key"])
    ticket = {"symbol": "ETHUSDT", "side": "buy", "size": "1", "price": "3000", "leverage": "5"}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(web1.post, f"/api/accounts/{account}/orders", json=ticket)
        wait_for_claim(pg_module_url, account)  # process 1 is sending it (the exchange answers in 2.5 s)
        second = web2.post(f"/api/accounts/{account}/orders", json=ticket)
        placed = first.result(timeout=60)
    assert placed.status_code == 201, placed.text
    cid = placed.json()["order"]["client_order_id"]
    assert second.status_code == 409 and "duplicate_ticket" in second.text, second.text
    assert cid in second.text  # the first one is named
    confirmed = web2.post(f"/api/accounts/{account}/orders", json={**ticket, "confirm_duplicate": True})
    assert confirmed.status_code == 201, confirmed.text


def connected(
    web_pair: list[str], sandbox: SandboxServer
) -> tuple[dict[str, Any], str, httpx.Client, httpx.Client]:
    """A trader's sandbox key connected on process 1, and the same session on process 2."""
    trader = sandbox.admin.create_user()
    key = sandbox.admin.create_key(trader["email"])
    web1, _ = signed_up(web_pair[0])
    added = web1.post("/api/accounts", json={"api_key": key["api_key"], "secret": key["secret_key"],
                                             "passphrase": key["memo"], "label": "Pair"})
    assert added.status_code == 201, added.text
    return key, added.json()["account"]["id"], web1, browser(web_pair[1], cookies=web1.cookies)


def test_an_order_being_confirmed_on_one_process_is_refused_again_on_the_other(
    web_pair: list[str], sandbox: SandboxServer
) -> None:
    key, account, web1, web2 = connected(web_pair, sandbox)
    sandbox.admin.set_price("ETHUSDT", "3500")
    sandbox.admin.fault("latency", SUBMIT, latency_ms=int(TIMEOUT_S * 1000) + 2000, times=1,
                        api_key=key["api_key"])
    ticket = {"symbol": "ETHUSDT", "side": "buy", "size": "1", "price": "2900", "leverage": "5"}
    first = web1.post(f"/api/accounts/{account}/orders", json=ticket)
    assert first.status_code == 202, first.text  # no answer in time: being confirmed
    again = web2.post(f"/api/accounts/{account}/orders", json=ticket)
    assert again.status_code == 409 and "order_being_confirmed" in again.text, again.text


def wait_for_claim(url: str, account_id: str, timeout: float = 20.0) -> None:
    async def claims() -> int:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(
                    text("SELECT count(*) FROM ticket_claims WHERE account_id = :a"), {"a": account_id})
                return int(found.scalar_one())
        finally:
            await engine.dispose()

    deadline = time.monotonic() + timeout
    while run_sync(claims()) == 0:
        assert time.monotonic() < deadline, "the first ticket was never claimed"
        time.sleep(0.02)
