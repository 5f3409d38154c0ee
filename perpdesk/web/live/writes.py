"""After a successful write through the web, tell the live side what may have changed:

- a write to an account's trading (an order, TP/SL, leverage...): its mirror reads the plan
  orders again (BitMart pushes trigger and TP/SL orders only once they fire; orders and balances
  come back by the private stream's pushes) and the positions (a position push carries neither
  leverage nor margin mode, and an order may change the leverage), and after a position-mode
  change the position mode;
- any other write to accounts (connect, edit, replace the key, disconnect): the supervisor scans
  now instead of at its next interval, so the mirror starts or stops at once.

A pure ASGI wrapper (no BaseHTTPMiddleware), so streaming responses pass through untouched.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ACCOUNT = re.compile(r"^(?:/api)?/accounts/([0-9a-f]{32})(/.*)?$")
_TRADING = ("/orders", "/positions", "/tp-sl", "/leverage", "/trade", "/plan-orders", "/trail-orders",
            "/conditional-orders", "/position-mode")
_ACCOUNT_PAGES = ("/api/accounts", "/settings/exchange-accounts", "/accounts/")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AfterWrite:
    def __init__(self, app: ASGIApp, services: Any) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in _WRITES or not path.startswith(_ACCOUNT_PAGES):
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, send_status)
        runtime = self.services.live
        if status >= 400 or runtime is None:
            return
        match = _ACCOUNT.match(path)
        rest = (match.group(2) or "") if match else ""
        if match and rest.startswith(_TRADING):
            parts = ["plans", "positions"]
            if rest.endswith("/position-mode"):
                parts.append("mode")
            runtime.supervisor.after_write(match.group(1), *parts)
        else:
            runtime.supervisor.kick()
