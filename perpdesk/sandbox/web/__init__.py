"""The exchange's pages, Fast Connect authorisation server and WebSocket (sandbox part 2).

Modules: `pages_auth` (Sign Up with Google Authenticator, Sign In, 2FA, email fallback, outbox),
`pages_api` (API Management), `pages_binance_api` (Binance keys' API Management),
`pages_account` (Assets, API Whitelist Request), `oauth` (Fast Connect authorisation server),
`ws` (WebSocket /api and /user), `sessions` (browser login).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from perpdesk.sandbox.context import SandboxContext


def routes(ctx: SandboxContext) -> list[BaseRoute]:
    """Routes the sandbox app mounts beside the REST API: pages, /oauth/*, WebSocket /api and /user."""
    from perpdesk.sandbox.web import (
        oauth,
        pages_account,
        pages_api,
        pages_auth,
        pages_binance_api,
        pages_subaccounts,
        ws,
    )
    from perpdesk.sandbox.web.backend import Backend
    from perpdesk.sandbox.web.common import STATIC_DIR, WebState
    from perpdesk.sandbox.web.guards import TotpGuard
    from perpdesk.sandbox.web.sessions import SessionStore

    secure = ctx.config.public_url.startswith("https://")
    state = WebState(
        ctx=ctx,
        backend=Backend(ctx),
        sessions=SessionStore(ctx.persist, secure_cookie=secure, clock=ctx.identity.clock),
        totp=TotpGuard(ctx.persist),
    )
    return [
        *pages_auth.routes(state),
        *pages_api.routes(state),
        *pages_binance_api.routes(state),
        *pages_account.routes(state),
        *pages_subaccounts.routes(state),
        *oauth.routes(state),
        *ws.routes(ctx),
        Mount("/static/sandbox", app=StaticFiles(directory=str(STATIC_DIR)), name="sandbox-static"),
    ]
