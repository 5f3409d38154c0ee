"""How web code reaches the live runtime (None when live mirrors are off)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from perpdesk.live.runtime import LiveRuntime

LIVE_KEY = "live"


def live_runtime(request: HTTPConnection) -> LiveRuntime | None:
    runtime: LiveRuntime | None = request.app.state.services.extra.get(LIVE_KEY)
    return runtime


def unavailable(reason: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={
        "code": "live_unavailable", "message": reason,
        "next_step": "Read /api/accounts/{id}/portfolio instead (it asks the exchange)."})


def sse_frame(kind: str, data: dict[str, Any], seq: int | None = None) -> bytes:
    """One server-sent event; `seq` (the bus's sequence number) becomes its id."""
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {kind}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"
