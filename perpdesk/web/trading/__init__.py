"""Trading pages and JSON API for connected accounts: Portfolio, Trade, /api/accounts/{id}/...

`setup(app)` is called by perpdesk/web/routers.py (after perpdesk.web.accounts, whose services
it reuses). It adds the `exact` template filter (Decimals as exact strings) and the routers.
"""

from __future__ import annotations

from fastapi import FastAPI

from perpdesk.web.templating import templates
from perpdesk.web.trading import api, pages
from perpdesk.web.trading.common import exact


def setup(app: FastAPI) -> None:
    templates.env.filters.setdefault("exact", exact)
    app.include_router(api.router)
    app.include_router(pages.router)
