"""Live account state on the web: the runtime's start/stop hooks, the JSON read API and SSE."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from perpdesk.web.live.api import router
from perpdesk.web.live.common import LIVE_KEY
from perpdesk.web.live.market_api import router as market_router
from perpdesk.web.live.writes import AfterWrite

__all__ = ["LIVE_KEY", "setup"]


def setup(app: FastAPI) -> None:
    services = app.state.services
    app.include_router(router)
    app.include_router(market_router)
    if not services.settings.live_enabled:
        return
    app.add_middleware(AfterWrite, services=services)

    async def _start(app: Any) -> None:
        from perpdesk.live.accounts_source import DbAccountSource
        from perpdesk.live.runtime import build_live
        from perpdesk.web.accounts.common import DEPS_KEY, POOL_KEY

        services = app.state.services
        extra = services.extra
        ownership = None
        if services.settings.live_ownership == "postgres":
            from perpdesk.live.pg_lease import PgLeaseOwnership

            ownership = PgLeaseOwnership(services.engine)
        runtime = build_live(services.settings, DbAccountSource(extra[DEPS_KEY]), extra[POOL_KEY].connector,
                             ownership=ownership)
        extra[LIVE_KEY] = runtime
        runtime.start()

    async def _stop(app: Any) -> None:
        runtime = app.state.services.extra.pop(LIVE_KEY, None)
        if runtime is not None:
            await runtime.aclose()

    services.on_startup.append(_start)
    services.on_shutdown.insert(0, _stop)  # before the connectors close
