"""Where other parts plug their web routes into the platform.

Each module listed in EXTENSIONS is imported if it exists. It may define either
`setup(app: FastAPI) -> None` (include routers, add startup hooks via
`app.state.services.on_startup.append(...)`, template dirs, ...) or a module-level `router`
(an APIRouter) that is simply included. To add a module: append its dotted name here.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

from fastapi import APIRouter, FastAPI

log = logging.getLogger("perpdesk.web")

EXTENSIONS: list[str] = [
    "perpdesk.web.accounts",
    "perpdesk.web.fast_connect",
    "perpdesk.web.trading",
    "perpdesk.web.trade",
    "perpdesk.web.orders",
    "perpdesk.web.positions",
    "perpdesk.web.dashboard",
    "perpdesk.web.live",
]


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:  # the module does not exist (yet); errors inside it do surface
            return None
        raise


def install_extensions(app: FastAPI) -> list[str]:
    loaded = []
    for name in EXTENSIONS:
        module = _import(name)
        if module is None:
            continue
        setup = getattr(module, "setup", None)
        router = getattr(module, "router", None)
        if callable(setup):
            setup(app)
        elif isinstance(router, APIRouter):
            app.include_router(router)
        else:
            continue
        loaded.append(name)
    return loaded
