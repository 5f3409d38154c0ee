"""The one-method seam every exchange connector sends its HTTP through, and an in-memory
implementation of it for unit tests (the real one is `perpdesk.http.client.HttpClient`)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Protocol

from perpdesk.http.message import HttpRequest, HttpResponse, headers_of


class Transport(Protocol):
    async def request(self, req: HttpRequest) -> HttpResponse: ...


Handler = Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]


def response(status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None
             ) -> HttpResponse:
    """An HttpResponse as a handler returns it (header names are matched lower-case)."""
    return HttpResponse(status, headers_of([(name.lower(), value) for name, value in headers or []]), body)


class InMemoryTransport:
    """Answers each request with `handler(req)` (a function or coroutine function, which may raise
    a TransportError to play a network failure) and records every request it was given."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[HttpRequest] = []

    async def request(self, req: HttpRequest) -> HttpResponse:
        self.requests.append(req)
        answer = self.handler(req)
        if inspect.isawaitable(answer):
            answer = await answer
        return answer

    async def aclose(self) -> None:
        """Nothing to close; there for code that owns its transport."""
