"""The platform's FastAPI application: `create_app(settings)`.

Layout: JSON API under /api (OpenAPI at /api/openapi.json), HTML pages at the root, static files
at /static. The services built by perpdesk/bootstrap.py are on `app.state.services`.
Migrations run in the lifespan, before the first request is served; the background tasks start
after them and stop before the database closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from perpdesk.bootstrap import Services, bootstrap
from perpdesk.services.users.sessions import purge_expired_sessions
from perpdesk.services.users.throttle import limits_for
from perpdesk.settings import Settings
from perpdesk.store.db import migrate
from perpdesk.web import accounts, api_auth, live, metrics, pages_auth, portfolio, terminal, trading
from perpdesk.web.body_limit import BodyLimit
from perpdesk.web.csrf import CSRFMiddleware
from perpdesk.web.deps import session_cookie_name
from perpdesk.web.error_envelope import ERROR_RESPONSES
from perpdesk.web.error_responses import install_error_handlers
from perpdesk.web.templating import STATIC_DIR

log = logging.getLogger("perpdesk.web")

# Scripts and styles come only from /static (no inline <script>, <style> or style="..."); images
# also from data: URIs (the 2FA QR code).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
    ]
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.headers = {**SECURITY_HEADERS, **({"strict-transport-security": HSTS} if https else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in self.headers.items():
                    headers.setdefault(key, value)
                if not scope["path"].startswith("/static"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_headers)


def create_app(
    settings: Settings, *, services: Services | None = None, run_migrations: bool = True
) -> FastAPI:
    services = services or bootstrap(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_migrations:
            await migrate(settings.database_url)
        if services.role != "web":  # one-off chores: the workers do them (or the one process)
            await services.record_venues()
            await purge_expired_sessions(services)  # those that expired while we were down
        services.start_background()
        log.info("platform ready", extra={"public_url": settings.public_url})
        try:
            yield
        finally:
            await services.aclose()

    app = FastAPI(
        title="perpdesk",
        version="0.1.0",
        description="Connect, trade and manage exchange futures accounts.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # FastAPI's Swagger UI loads from a CDN; pages here never do
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    # a cluster's web processes count attempts in PostgreSQL, so throttles hold across them
    app.state.auth_limits = limits_for(
        settings.rate_limit_factor, services.engine, shared=services.role != "all"
    )
    app.state.csrf_exempt = []  # path prefixes; e.g. server-to-server webhooks

    install_error_handlers(app)
    app.include_router(api_auth.router, responses=ERROR_RESPONSES)
    app.include_router(portfolio.pages.router)  # "/": the dashboard
    app.include_router(pages_auth.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(accounts.api.router)
    app.include_router(accounts.pages.router)
    app.include_router(trading.api.router, responses=ERROR_RESPONSES)
    app.include_router(trading.pages.router)
    app.include_router(portfolio.api.router, responses=ERROR_RESPONSES)
    app.include_router(portfolio.notifications_api.router, responses=ERROR_RESPONSES)
    app.include_router(portfolio.notifications_pages.router)
    app.include_router(terminal.api.router, responses=ERROR_RESPONSES)
    app.include_router(terminal.pages.router)
    app.include_router(live.api.router, responses=ERROR_RESPONSES)
    app.include_router(live.market_api.router, responses=ERROR_RESPONSES)
    app.include_router(metrics.router)
    if services.live is not None:
        app.add_middleware(live.AfterWrite, services=services)

    app.add_middleware(
        CSRFMiddleware,
        secret=services.session_secret,
        secure_cookie=settings.secure_cookies,
        exempt=app.state.csrf_exempt,
        session_cookie=session_cookie_name(services),
        public_url=settings.public_url,
    )
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, https=settings.public_url.startswith("https://"))
    return app
