"""The write wrapper: a trading write has the account's mirror re-read plans, another account
write has the supervisor scan now, a refused write or a read does nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from perpdesk.web.live.writes import AfterWrite

ACCT = "0123456789abcdef0123456789abcdef"


class Supervisor:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def after_write(self, account_id: str, *parts: str) -> None:
        self.calls.append(("after_write", account_id, *parts))

    def kick(self) -> None:
        self.calls.append(("kick",))


async def _call(method: str, path: str, status: int) -> list[tuple[str, ...]]:
    sup = Supervisor()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    services = SimpleNamespace(live=SimpleNamespace(supervisor=sup))
    await AfterWrite(app, services)({"type": "http", "method": method, "path": path}, receive, send)
    assert sent[0]["status"] == status  # the response passes through untouched
    return sup.calls


@pytest.mark.parametrize(("method", "path", "status", "calls"), [
    ("POST", f"/api/accounts/{ACCT}/orders", 201, [("after_write", ACCT, "plans", "positions")]),
    ("POST", f"/accounts/{ACCT}/trade/tp-sl", 303, [("after_write", ACCT, "plans", "positions")]),
    ("DELETE", f"/api/accounts/{ACCT}/orders/123", 204, [("after_write", ACCT, "plans", "positions")]),
    ("POST", f"/api/accounts/{ACCT}/leverage", 200, [("after_write", ACCT, "plans", "positions")]),
    ("POST", f"/accounts/{ACCT}/trade/leverage", 303, [("after_write", ACCT, "plans", "positions")]),
    ("PUT", f"/api/accounts/{ACCT}/position-mode", 200,
     [("after_write", ACCT, "plans", "positions", "mode")]),
    ("POST", "/api/accounts", 201, [("kick",)]),
    ("DELETE", f"/api/accounts/{ACCT}", 204, [("kick",)]),
    ("POST", f"/settings/exchange-accounts/{ACCT}/edit", 303, [("kick",)]),
    ("POST", f"/api/accounts/{ACCT}/orders", 400, []),
    ("GET", f"/api/accounts/{ACCT}/live", 200, []),
    ("POST", "/api/auth/signin", 200, []),
])
async def test_writes_tell_the_live_side(method: str, path: str, status: int, calls: list[Any]) -> None:
    assert await _call(method, path, status) == calls
