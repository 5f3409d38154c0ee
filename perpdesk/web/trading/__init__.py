"""Trading pages and JSON API for connected accounts: Portfolio, Trade, /api/accounts/{id}/...

`setup(app)` is called by perpdesk/web/routers.py (after perpdesk.web.accounts, whose services
it reuses). It starts the background settler of unknown order outcomes
(Settings.order_settle_interval_s, default 15 seconds), adds the `exact` template filter
(Decimals as exact strings) and the routers.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from perpdesk.services.trading import IntentSettler
from perpdesk.web.accounts.common import DEPS_KEY
from perpdesk.web.templating import templates
from perpdesk.web.trading import api, pages
from perpdesk.web.trading.common import exact, utc_ms

SETTLER_KEY = "trading_settler"


def setup(app: FastAPI) -> None:
    templates.env.filters.setdefault("exact", exact)
    templates.env.filters.setdefault("utc_ms", utc_ms)
    services = app.state.services

    async def _start(app: Any) -> None:
        deps = services.extra.get(DEPS_KEY)
        if deps is None:  # the accounts extension is not installed: nothing to trade with
            return
        settler = IntentSettler(deps, services.settings.order_settle_interval_s)
        services.extra[SETTLER_KEY] = settler
        settler.start()

    async def _stop(app: Any) -> None:
        settler = services.extra.pop(SETTLER_KEY, None)
        if settler is not None:
            await settler.stop()

    app.state.nav_links.append(("Portfolio", "/portfolio"))
    services.on_startup.append(_start)
    services.on_shutdown.append(_stop)  # run in reverse: before the accounts' stop closes connectors
    app.include_router(api.router)
    app.include_router(pages.router)
