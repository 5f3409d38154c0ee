"""`perpdesk worker`: account mirrors (through PostgreSQL leases) and the background jobs, with no
pages or API; it answers only GET /metrics and GET /healthz on PERPDESK_HOST:PERPDESK_PORT."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from perpdesk.bootstrap import Services
from perpdesk.settings import Settings

log = logging.getLogger("perpdesk.worker")


def needs_postgres(settings: Settings, what: str) -> str | None:
    """Why this process cannot run on this database (several processes share PostgreSQL), or None."""
    if settings.database_url.startswith("postgresql"):
        return None
    return (f"PERPDESK_DATABASE_URL: {what} shares the database with other processes, so it needs "
            "PostgreSQL, not SQLite. Set PERPDESK_DATABASE_URL=postgresql+asyncpg://user@host/db "
            "(docs/deploy.md), or run the all-in-one `perpdesk serve` on SQLite.")


def create_worker_app(services: Services) -> FastAPI:
    from perpdesk.web import metrics

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await services.record_venues()
        services.start_background()
        log.info("worker ready", extra={"owner": services.live.supervisor.ownership.owner_id
                                        if services.live is not None else ""})
        try:
            yield
        finally:
            await services.aclose()  # closes the lease connection: other workers take the accounts

    app = FastAPI(title="perpdesk worker", openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.include_router(metrics.router)
    return app
