"""The shared Jinja2 `templates` object and `render()`, which every page uses.

`render(request, "name.html", **context)` adds `csrf_token`, `user` (when signed in) and
`settings` (non-secret fields only). Other packages may add template folders with
`add_template_dir(path)`; perpdesk/web/templates is searched last, so `base.html` is shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from starlette.responses import HTMLResponse

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
_loaders: list[FileSystemLoader] = [FileSystemLoader(str(TEMPLATE_DIR))]


def add_template_dir(path: str | Path) -> None:
    """Let another package's templates be found (before the shared ones)."""
    loader = FileSystemLoader(str(path))
    if all(str(path) not in ldr.searchpath for ldr in _loaders):
        _loaders.insert(0, loader)
        templates.env.loader = ChoiceLoader(list(_loaders))


def csrf_token(request: Request) -> str:
    from perpdesk.web.security import csrf_token_for

    services = request.app.state.services
    return csrf_token_for(services.session_secret, request.scope.get("state", {}).get("csrf_seed", ""))


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "request": request,
        "csrf_token": csrf_token(request),
        "user": getattr(request.state, "user", None),
        "public_url": request.app.state.services.settings.public_url,
        "nav_links": getattr(request.app.state, "nav_links", []),
    }
    ctx.update(context)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
