"""Manual Connection of a Binance key over the platform's JSON API (a real `perpdesk serve` pointed
at the sandbox's Binance port): a good key is added with no passphrase; every failure of the key
audit is refused with its one reason and the fix in Binance's words, and nothing is stored."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from perpdesk.core.models import Credentials
from perpdesk.exchanges.binance import BinanceFuturesConnector
from perpdesk.services import connect_manual
from perpdesk.services.key_audit import Verdict
from tests.fixtures.binance import BinanceSandbox
from tests.fixtures.platform import PlatformServer, launch_platform
from tests.fixtures.services import accounts_deps
from tests.integration.connector_binance.test_inspect_key import UncorrectableClock

PASSWORD = "Platform-Passw0rd-42"
PAGE = "Binance's API Management page"


@pytest.fixture(scope="module")
def binance_platform(binance_sandbox: BinanceSandbox) -> Iterator[PlatformServer]:
    server = launch_platform(
        binance_sandbox.server,
        egress_ips="127.0.0.1",
        binance_api_url=binance_sandbox.url,
        binance_web_url=binance_sandbox.url,
        binance_ws_url=binance_sandbox.url.replace("http://", "ws://"),
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(binance_platform: PlatformServer) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A signed-in platform user's client and its CSRF header."""
    c = httpx.Client(base_url=binance_platform.url, timeout=30)
    tok = c.get("/api/auth/csrf").json()["csrf_token"]
    body = {"email": f"bn-{secrets.token_hex(4)}@example.com", "password": PASSWORD}
    assert c.post("/api/auth/signup", json=body, headers={"X-CSRF-Token": tok}).status_code == 201
    yield c, {"X-CSRF-Token": tok}
    c.close()


def key_body(binance_sandbox: BinanceSandbox, **key_kw: Any) -> dict[str, str]:
    client = binance_sandbox.client(**key_kw)
    return {"exchange": "binance", "api_key": client.api_key, "secret": client.secret}


def test_exchanges_list_binance_beside_bitmart_with_its_own_fields(api: Any) -> None:
    c, _ = api
    choices = {ch["id"]: ch for ch in c.get("/api/accounts/exchanges").json()["choices"]}
    assert {"bitmart", "binance"} <= {i for i, ch in choices.items() if ch["supported"]}
    binance = choices["binance"]
    assert binance["credential_fields"] == ["api_key", "secret"] and not binance["fast_connect"]
    assert binance["key_page"] == PAGE and binance["default_label"] == "Binance Futures"
    assert "Enable Futures ticked" in binance["key_needs"]
    assert choices["bitmart"]["credential_fields"] == ["api_key", "secret", "passphrase"]


def test_a_good_key_shows_the_balance_then_is_added(api: Any, binance_sandbox: BinanceSandbox) -> None:
    c, h = api
    body = key_body(binance_sandbox, usdt="2500.5")
    seen = c.post("/api/accounts/inspect", json=body, headers=h).json()
    assert seen["verdict"] == "ok" and seen["problem"] is None
    usdt = [Decimal(b["equity"]) for b in seen["balances"] if b["currency"] == "USDT"]
    assert usdt == [Decimal("2500.5")]
    r = c.post("/api/accounts", json=body, headers=h)
    assert r.status_code == 201, r.text
    acc = r.json()["account"]
    assert (acc["exchange"], acc["exchange_name"], acc["label"], acc["status"]) == (
        "binance", "Binance", "Binance Futures", "active"
    )
    assert body["secret"] not in r.text and body["api_key"] not in r.text
    listed = c.get("/api/accounts").json()["accounts"]
    assert [a["id"] for a in listed] == [acc["id"]]


# (what the sandbox key has, the code, words the reason and the fix must hold)
FAILURES = {
    "futures_off": ({"permissions": ()}, "permission_missing", ("Enable Futures", "Edit restrictions")),
    "withdrawals_on": (
        {"permissions": ("future_trade", "withdraw")}, "withdraw_refused", ("Enable Withdrawals",),
    ),
    "no_ip_restriction": (
        {"ip": None}, "ip_restriction_missing", ("Restrict access to trusted IPs only (Recommended)",),
    ),
    "ip_without_platform": (
        {"ip": ("203.0.113.7",)}, "ip_not_allowed", ("Restrict access to trusted IPs only", "127.0.0.1"),
    ),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_each_bad_key_is_refused_with_its_reason_and_fix(
    api: Any, binance_sandbox: BinanceSandbox, case: str
) -> None:
    c, h = api
    key_kw, code, words = FAILURES[case]
    body = key_body(binance_sandbox, **key_kw)
    _refused_everywhere(c, h, body, code, words)


def test_a_wrong_secret_and_an_unknown_key(api: Any, binance_sandbox: BinanceSandbox) -> None:
    c, h = api
    good = key_body(binance_sandbox)
    wrong_secret = {**good, "secret": secrets.token_hex(32)}
    problem = _refused_everywhere(c, h, wrong_secret, "invalid_signature", ("Secret Key",))
    assert problem["title"] == "The Secret is wrong" and "Passphrase" not in str(problem)
    unknown = {**good, "api_key": secrets.token_urlsafe(48)[:64]}
    problem = _refused_everywhere(c, h, unknown, "unknown_api_key", ("Copy the API Key again", PAGE))
    assert problem["field"] == "api_key"


def test_an_empty_secret_names_the_field_without_asking_a_passphrase(api: Any) -> None:
    c, h = api
    r = c.post("/api/accounts", json={"exchange": "binance", "api_key": "k" * 64, "secret": ""}, headers=h)
    err = r.json()["error"]
    assert r.status_code == 422 and err["field"] == "secret" and PAGE in err["next_step"]


def _refused_everywhere(
    c: httpx.Client, h: dict[str, str], body: dict[str, str], code: str, words: tuple[str, ...]
) -> dict[str, Any]:
    """Save (inspect) and Add both refuse with `code`; the fix holds `words`; nothing is stored."""
    seen = c.post("/api/accounts/inspect", json=body, headers=h).json()
    assert seen["verdict"] == "refused" and seen["problem"]["code"] == code, seen
    problem: dict[str, Any] = seen["problem"]
    text = problem["title"] + " " + problem["message"] + " " + problem["next_step"]
    for w in words:
        assert w in text, (w, text)
    assert "BitMart" not in text and "Memo" not in text
    r = c.post("/api/accounts", json=body, headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == code
    assert body["secret"] not in r.text
    assert c.get("/api/accounts").json()["accounts"] == []
    return problem


@pytest.fixture
async def skewed(binance_sandbox: BinanceSandbox) -> AsyncIterator[BinanceFuturesConnector]:
    clock = UncorrectableClock(wall_ms=lambda: time.time_ns() // 1_000_000 - 600_000)
    conn = BinanceFuturesConnector(binance_sandbox.url, clock=clock, timeout_s=5)
    yield conn
    await conn.aclose()


async def test_clock_skew_is_refused_with_the_clock_fix(
    db_sessionmaker: Any, skewed: BinanceFuturesConnector, binance_sandbox: BinanceSandbox
) -> None:
    """The platform's own clock cannot be moved from outside: the Save use case with a connector
    whose clock is ten minutes behind."""
    client = binance_sandbox.client()
    deps = accounts_deps(db_sessionmaker, skewed)
    result = await connect_manual.inspect(deps, "u1", Credentials(client.api_key, client.secret), "binance")
    assert result.verdict is Verdict.REFUSED and result.problem is not None
    assert result.problem.code == "timestamp_out_of_window"
    assert result.problem.title == "Clocks disagree with Binance" and "NTP" in result.problem.next_step
