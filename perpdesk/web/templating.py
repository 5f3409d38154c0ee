"""The shared Jinja2 `templates` object and `render()`, which every page uses.

`render(request, "name.html", **context)` adds `csrf_token`, `user` (when signed in) and
`public_url` and the top-nav links.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from perpdesk.exchanges.registry import all_info
from perpdesk.web.error_envelope import public_message
from perpdesk.web.numbers_display import FILTERS

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Top-nav entries between "Dashboard" and "Settings" for signed-in users.
NAV_LINKS = (("Portfolio", "/portfolio"), ("Fills", "/fills"))

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.filters.update(FILTERS)
templates.env.filters["public"] = public_message  # {{ error | public }}: never the exchange's raw text
# the exchanges whose futures accounts can be connected (the landing page names them)
templates.env.globals["futures_exchanges"] = tuple(i.name for i in all_info() if "futures" in i.markets)


def csrf_token(request: Request) -> str:
    from perpdesk.web.deps import session_cookie_name
    from perpdesk.web.security import csrf_token_for

    services = request.app.state.services
    seed = request.scope.get("state", {}).get("csrf_seed", "")
    return csrf_token_for(services.session_secret, seed, request.cookies.get(session_cookie_name(services)))


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "request": request,
        "csrf_token": csrf_token(request),
        "user": getattr(request.state, "user", None),
        "public_url": request.app.state.services.settings.public_url,
        "nav_links": NAV_LINKS,
    }
    ctx.update(context)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
