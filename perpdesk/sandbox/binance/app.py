"""`binance_app(sandbox_app)`: the ASGI app of the Binance port (REST and WebSocket)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perpdesk.sandbox.binance.endpoints import ENDPOINTS, routes
from perpdesk.sandbox.binance.engine_errors import binance_error
from perpdesk.sandbox.binance.listen_keys import ListenKeys
from perpdesk.sandbox.binance.rest import BinanceRest
from perpdesk.sandbox.binance.streams import BinanceStreams

if TYPE_CHECKING:
    from perpdesk.sandbox.app import SandboxApp
    from perpdesk.sandbox.context import SandboxContext


def binance_app(sandbox: SandboxApp) -> BinanceRest:
    def context() -> SandboxContext | None:
        return sandbox.ctx

    listen_keys = ListenKeys()
    streams = BinanceStreams(context, listen_keys, sandbox.binance_limits)
    return BinanceRest(
        context, routes(ENDPOINTS), sandbox.binance_limits, binance_error, streams, listen_keys,
        sandbox.faults,
    )
