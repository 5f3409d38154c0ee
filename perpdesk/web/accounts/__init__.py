"""Settings > Exchange Account API Keys: pages, the JSON API and the Fast Connect callback.

`setup(app)` is called by perpdesk/web/routers.py. It builds the account services from the
platform's settings and starts the whitelist watcher in the app's lifespan.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from perpdesk.services.whitelist_watch import WhitelistWatcher
from perpdesk.services.wiring import build_accounts_deps
from perpdesk.web.accounts import api, pages
from perpdesk.web.accounts.common import DEPS_KEY, POOL_KEY, WATCHER_KEY


def setup(app: FastAPI) -> None:
    services = app.state.services
    deps, pool = build_accounts_deps(services.settings, services.sessionmaker, services.vault)
    services.extra[DEPS_KEY] = deps
    services.extra[POOL_KEY] = pool

    async def _start(app: Any) -> None:
        watcher = WhitelistWatcher(deps)
        services.extra[WATCHER_KEY] = watcher
        watcher.start()

    async def _stop(app: Any) -> None:
        watcher = services.extra.pop(WATCHER_KEY, None)
        if watcher is not None:
            await watcher.stop()
        await pool.aclose()

    services.on_startup.append(_start)
    services.on_shutdown.append(_stop)
    app.include_router(api.router)
    app.include_router(pages.router)
