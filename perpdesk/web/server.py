"""Running the platform with uvicorn inside an existing event loop (serve and demo share this)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from perpdesk.settings import Settings


def uvicorn_config(app: FastAPI, settings: Settings, **kw: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,  # our redacting handler (perpdesk.log_config) formats uvicorn's logs too
        access_log=kw.pop("access_log", True),
        proxy_headers=False,
        server_header=False,
        **kw,
    )


class PlatformServer(uvicorn.Server):
    """Ends this process's live streams (SSE) when it shuts down: uvicorn waits for every open
    connection to close first, and a page's stream never closes by itself, so a restart would
    wait for it. The pages' EventSource reconnects, to the next process."""

    def __init__(self, config: uvicorn.Config, end_streams: Callable[[], object] | None = None) -> None:
        super().__init__(config)
        self._end_streams = end_streams

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._end_streams is not None:
            self._end_streams()
        await super().shutdown(sockets)


async def serve_platform(app: FastAPI, settings: Settings) -> None:
    services = getattr(app.state, "services", None)
    # anything else still open (the notifications stream, a request waiting on the exchange) gets
    # the exchange's timeout to finish, then is cancelled: a restart never waits for ever
    config = uvicorn_config(app, settings, timeout_graceful_shutdown=int(settings.exchange_timeout_s) + 2)
    server = PlatformServer(config, services.open_streams.end_all if services is not None else None)
    await server.serve()
