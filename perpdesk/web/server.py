"""Running the platform with uvicorn inside an existing event loop (serve and demo share this)."""

from __future__ import annotations

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


async def serve_platform(app: FastAPI, settings: Settings) -> None:
    server = uvicorn.Server(uvicorn_config(app, settings))
    await server.serve()
