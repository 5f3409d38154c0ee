"""After a successful write to an account (an order, TP/SL, leverage...), tell its mirror to read
the plan orders again: BitMart pushes trigger and TP/SL orders only once they fire. Orders,
positions and balances come back by the private stream's pushes, so nothing else is re-read.

A pure ASGI wrapper (no BaseHTTPMiddleware), so streaming responses pass through untouched.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ACCOUNT_WRITE = re.compile(r"^(?:/api)?/accounts/([0-9a-f]{32})/")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AfterWrite:
    def __init__(self, app: ASGIApp, services: Any) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        match = _ACCOUNT_WRITE.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, send_status)
        if status < 400:
            runtime = self.services.live
            if runtime is not None:
                runtime.supervisor.after_write(match.group(1), "plans")
