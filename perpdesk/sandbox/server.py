"""Run the sandbox with uvicorn (uvloop + httptools), standalone or inside another app's loop."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn

from perpdesk.sandbox.api.transport import CoalescingProtocol
from perpdesk.sandbox.app import SandboxApp, create_app
from perpdesk.sandbox.context import SandboxConfig


def uvicorn_config(config: SandboxConfig, app: Any = None, **kw: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app or create_app(config),
        host=config.host,
        port=kw.pop("port", config.port),
        http=CoalescingProtocol,  # one socket write per answer (faults reach the raw transport)
        loop="uvloop",
        lifespan="on",
        access_log=False,
        server_header=False,
        # The IP whitelist is checked against the TCP peer: never let X-Forwarded-For rewrite it.
        proxy_headers=False,
        ws_max_size=1 << 20,  # WebSocket frames over 1 MiB close the connection (1009)
        log_level=kw.pop("log_level", "warning"),
        timeout_keep_alive=kw.pop("timeout_keep_alive", 30),
        **kw,
    )


def binance_uvicorn_config(config: SandboxConfig, app: SandboxApp) -> uvicorn.Config:
    """The Binance dialect's port, over `app`'s engine and users (`config.binance_port` is set)."""
    from perpdesk.sandbox.binance.app import binance_app

    assert config.binance_port is not None
    return uvicorn_config(config, binance_app(app), port=config.binance_port)


async def serve_sandbox(config: SandboxConfig, app: SandboxApp | None = None) -> None:
    """Serve in the running loop until cancelled; cancelling shuts down gracefully (the engine
    stops, state is flushed to disk, the port is released) before the cancellation propagates.
    With `config.binance_port`, the Binance dialect is served there too."""
    app = app or create_app(config)
    configs = [uvicorn_config(config, app)]
    if config.binance_port is not None:
        configs.append(binance_uvicorn_config(config, app))
    servers = [uvicorn.Server(uv_config) for uv_config in configs]
    task = asyncio.ensure_future(asyncio.gather(*(server.serve() for server in servers)))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        for server in servers:
            server.should_exit = True
        await task
        raise


def run_sandbox(config: SandboxConfig) -> None:
    """Blocking entry point for `perpdesk sandbox`: its own uvloop event loop (serving the Binance
    port too from that loop, when configured)."""
    if config.binance_port is not None:
        import uvloop

        uvloop.run(serve_sandbox(config))
        return
    uvicorn.Server(uvicorn_config(config)).run()
