"""How web code reaches the live runtime (None when live mirrors are off)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from perpdesk.live.runtime import LiveRuntime

LIVE_KEY = "live"


def live_runtime(request: HTTPConnection) -> LiveRuntime | None:
    runtime: LiveRuntime | None = request.app.state.services.extra.get(LIVE_KEY)
    return runtime
