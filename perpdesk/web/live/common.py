"""How web code reaches the live runtime (None when live mirrors are off)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

from perpdesk.web.error_envelope import error_body

if TYPE_CHECKING:
    from perpdesk.live.query import LiveQuery
    from perpdesk.live.runtime import LiveRuntime

# For a streaming route's `responses=`: the OpenAPI names its content (the frames are text).
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def live_runtime(request: HTTPConnection) -> LiveRuntime | None:
    runtime: LiveRuntime | None = request.app.state.services.live
    return runtime


def live_query(request: HTTPConnection) -> LiveQuery | None:
    """The read side of the live mirrors (None when they are off)."""
    runtime = live_runtime(request)
    return runtime.query if runtime is not None else None


def unavailable(reason: str) -> JSONResponse:
    return JSONResponse(status_code=503, content=error_body(
        "live_unavailable", reason,
        next_step="Read /api/accounts/{id}/portfolio instead (it asks the exchange)."))


def sse_frame(kind: str, data: dict[str, Any], seq: int | None = None) -> bytes:
    """One server-sent event; `seq` (the bus's sequence number) becomes its id."""
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {kind}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"
